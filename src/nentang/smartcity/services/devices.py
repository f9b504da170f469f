"""The device registry and MQTT ingestion: devices publish signed readings, the bridge
(``ingest.bridge``) hands verified batches to :func:`readings_ingest`, which folds them
into the entities (newest observation wins the current state) and keeps every
observation in the history, idempotently (a re-sent or out-of-order reading changes
nothing it should not)."""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from nentang.kernel import auditing
from nentang.smartcity.models import Device, Entity, Observation, Subscription, Tenant
from nentang.smartcity.ngsild import contexts
from nentang.smartcity.ngsild.entities import (
    LOCATION,
    attributes_in,
    check_name,
    check_uri,
    iso,
    json_loads,
    parse_time,
)
from nentang.smartcity.ngsild.errors import bad_data
from nentang.smartcity.services.common import Caller, tenant_for
from nentang.smartcity.services.entities import _row, update_rows
from nentang.smartcity.services.history import HistoryRow, _number, history_write
from nentang.smartcity.services.notify import Change, notify

# Smart Data Models per kind of device: entity type and payload key → (attribute, unit).
KINDS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "air": (
        "AirQualityObserved",
        {
            "pm25": ("pm25", "GQ"),
            "pm10": ("pm10", "GQ"),
            "no2": ("no2", "GQ"),
            "o3": ("o3", "GQ"),
            "co": ("co", "GP"),
            "t": ("temperature", "CEL"),
        },
    ),
    "traffic": (
        "TrafficFlowObserved",
        {
            "n": ("intensity", "E50"),
            "v": ("averageVehicleSpeed", "KMH"),
            "occ": ("occupancy", "P1"),
        },
    ),
    "weather": (
        "WeatherObserved",
        {
            "t": ("temperature", "CEL"),
            "rh": ("relativeHumidity", "P1"),
            "rain": ("precipitation", "MMT"),
            "wind": ("windSpeed", "MTS"),
        },
    ),
    "flood": ("FloodMonitoring", {"h": ("currentLevel", "MTR")}),
    "streetlight": (
        "Streetlight",
        {"on": ("powerState", ""), "lux": ("illuminanceLevel", "P1")},
    ),
    "parking": ("ParkingSpot", {"occupied": ("status", "")}),
}
MAX_FUTURE_SECONDS = 300


_SIGNED_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def signature(key: str, device_id: str, ts: str, measures: Mapping[str, Any]) -> str:
    """HMAC-SHA256 of ``device_id.ts.<measures as sorted compact JSON>`` in hex."""
    message = f"{device_id}.{ts}.{_SIGNED_JSON.encode(measures)}".encode()
    return hmac.digest(key.encode(), message, hashlib.sha256).hex()


def device_register(
    *,
    caller: Caller,
    tenant: str,
    device_id: str,
    kind: str,
    longitude: float,
    latitude: float,
    name: str = "",
    ward_code: str = "",
    key: str | None = None,
) -> tuple[Device, str]:
    """Register a device (idempotent by id); returns it and its signing key."""
    if kind not in KINDS:
        raise bad_data(f"kind is one of {', '.join(KINDS)}.")
    if (
        not device_id
        or len(device_id) > 100
        or not all(c.isalnum() or c in "-_" for c in device_id)
    ):
        raise bad_data("A device id is letters, digits, '-' and '_'.")
    if not (-180 <= longitude <= 180 and -90 <= latitude <= 90):
        raise bad_data("The device's position is out of range.")
    entity_type, _ = KINDS[kind]
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        existing = Device.objects.filter(tenant=row_tenant, device_id=device_id).first()
        if existing is not None:
            return existing, existing.key
        device = Device.objects.create(
            tenant=row_tenant,
            device_id=device_id,
            kind=kind,
            entity_id=check_uri(f"urn:ngsi-ld:{entity_type}:{device_id}", "entity id"),
            entity_type=entity_type,
            key=key or secrets.token_urlsafe(24),
            longitude=longitude,
            latitude=latitude,
            name=name,
            ward_code=ward_code,
            created_at=timezone.now(),
        )
        auditing.record(
            actor=caller.actor,
            action="smartcity.device.register",
            subject_type="smartcity.device",
            subject=f"{tenant}/{device_id}",
            summary={"kind": kind},
        )
    return device, device.key


@dataclass(frozen=True)
class Reading:
    """One verified message of a device."""

    device: Device
    ts: str
    measures: Mapping[str, Any]


# A device's payload keys compiled to (attribute IRI, unitCode, kind of value), once per
# kind and custom mapping: the bridge folds thousands of readings a second.
Compiled = dict[str, tuple[str, str, str]]
_COMPILED: dict[tuple[str, tuple[tuple[str, str, str], ...]], Compiled] = {}


def _compiled(device: Device) -> Compiled:
    # Kept on the instance too: the bridge holds one Device per device and folds its
    # readings thousands of times (building the cache key cost more than the mapping).
    mine: Compiled | None = vars(device).get("_compiled_mapping")
    if mine is not None:
        return mine
    custom = tuple(
        (str(k), str(v[0]), str(v[1]) if len(v) > 1 else "") for k, v in device.mapping.items()
    )
    key = (device.kind, custom)
    found = _COMPILED.get(key)
    if found is not None:
        vars(device)["_compiled_mapping"] = found
        return found
    terms = contexts.core_terms()
    _, mapping = KINDS[device.kind]
    merged = {**mapping, **{k: (name, unit) for k, name, unit in custom}}
    compiled: Compiled = {}
    for measure, (name, unit) in merged.items():
        check_name(name)
        iri = terms.expand(name)
        if iri == LOCATION:
            raise bad_data("A measure cannot be mapped to the entity's location.")
        if len(unit) > 16:
            raise bad_data(f"{name}.unitCode must be a UN/CEFACT code such as GQ or CEL.")
        convert = "switch" if (device.kind, measure) == ("streetlight", "on") else ""
        if device.kind == "parking":
            convert = "parking"
        compiled[measure] = (iri, unit, convert)
    if len(_COMPILED) < 256:
        _COMPILED[key] = compiled
    vars(device)["_compiled_mapping"] = compiled
    return compiled


def reading_instances(reading: Reading, observed: str, stamp: str) -> dict[str, list[Any]]:
    """The attribute instances (IRI → [instance], the stored form) of one reading
    observed at ``observed``: Properties with ``observedAt`` and ``unitCode``, built
    straight from the compiled mapping (what ``attributes_in`` makes of the NGSI-LD
    form, without writing and parsing that form per reading)."""
    compiled = _compiled(reading.device)
    attrs: dict[str, list[Any]] = {}
    for key, value in reading.measures.items():
        found = compiled.get(key)
        if found is None:
            raise bad_data(f"Unknown measure {key!r} for a {reading.device.kind} device.")
        iri, unit, convert = found
        if convert == "switch":
            value = "on" if value else "off"
        elif convert == "parking":
            value = "occupied" if value else "free"
        elif isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise bad_data(f"Measure {key!r} must be a number.")
        elif not isinstance(value, str):
            try:
                finite = math.isfinite(float(value))
            except OverflowError:
                finite = False
            if not finite:
                raise bad_data(f"Measure {key!r} must be a finite number.")
        instance: dict[str, Any] = {"type": "Property", "value": value, "observedAt": observed}
        if unit:
            instance["unitCode"] = unit
        instance["createdAt"] = stamp
        instance["modifiedAt"] = stamp
        attrs[iri] = [instance]
    return attrs


def _newer(old: Sequence[Mapping[str, Any]] | None, new: Sequence[Mapping[str, Any]]) -> bool:
    if not old:
        return True
    return str(new[0].get("observedAt", "")) >= str(old[0].get("observedAt", ""))


# PostgreSQL: every reading's instances in one statement (one JSON parameter, one row per
# reading, expanded by the server); the numeric column from the JSON number.
_POSTGRES_HISTORY = (
    "INSERT INTO {table} (tenant_id, entity_id, attr, dataset_id, observed_at, value, number, "
    "instance_id) SELECT %s, r.e, a.key, '', r.t, a.value->0, CASE jsonb_typeof(a.value->0->"
    "'value') WHEN 'number' THEN (a.value->0->>'value')::double precision END, "
    "gen_random_uuid() FROM jsonb_to_recordset(%s::jsonb) AS r(e text, t timestamptz, a jsonb) "
    "CROSS JOIN LATERAL jsonb_each(r.a) AS a ON CONFLICT DO NOTHING"
)
# The latest values of every entity of the batch in one statement: an attribute takes
# the reading's instance when it is at least as new as the stored one (``observedAt``
# compared as text: both are ``iso`` stamps); rows were locked in entity order before.
_POSTGRES_LATEST = (
    "UPDATE {table} AS e SET data = jsonb_set(e.data, '{{attrs}}', (e.data->'attrs') || "
    "n.newer), modified_at = %s FROM (SELECT r.id, jsonb_object_agg(a.key, a.value) AS "
    "newer FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, a jsonb) CROSS JOIN LATERAL "
    "jsonb_each(r.a) AS a JOIN {table} AS o ON o.id = r.id WHERE coalesce(o.data->'attrs'->"
    "a.key->0->>'observedAt', '') <= a.value->0->>'observedAt' GROUP BY r.id) AS n "
    "WHERE e.id = n.id"
)
_RETURNING = " RETURNING e.data, ARRAY(SELECT jsonb_object_keys(n.newer))"


def _new_entity(
    tenant: Tenant, device: Device, attrs: dict[str, list[Any]], stamp: str
) -> tuple[Entity, dict[str, Any]]:
    terms = contexts.core_terms()
    base = attributes_in(
        terms,
        {
            "location": {
                "type": "GeoProperty",
                "value": {"type": "Point", "coordinates": [device.longitude, device.latitude]},
            },
            "name": {"type": "Property", "value": device.name or device.device_id},
        },
        stamp=stamp,
    )
    data: dict[str, Any] = {
        "id": device.entity_id,
        "type": [terms.expand(device.entity_type)],
        "attrs": {**base, **attrs},
    }
    return _row(tenant, data, created=stamp, modified=stamp), data


def _latest_in_python(
    locked: Mapping[str, Entity], latest: Mapping[str, dict[str, list[Any]]], stamp: str
) -> list[Change]:
    """SQLite (in process): the same rule as ``_POSTGRES_LATEST``, row by row."""
    changed: list[Entity] = []
    changes: list[Change] = []
    for entity_id, row in locked.items():
        data = {**row.data, "attrs": dict(row.data["attrs"])}
        touched = set()
        for iri, instances in latest[entity_id].items():
            if _newer(data["attrs"].get(iri), instances):
                data["attrs"][iri] = instances
                touched.add(iri)
        if touched:
            row.data = data
            row.modified_at = parse_time(stamp, "time")
            changed.append(row)
            changes.append(Change(data, touched, stamp, stamp))
    update_rows(changed)
    return changes


def _latest_in_postgres(
    locked: Mapping[str, int],
    latest: Mapping[str, dict[str, list[Any]]],
    stamp: str,
    *,
    returning: bool,
) -> list[Change]:
    document = [{"id": pk, "a": latest[entity_id]} for entity_id, pk in locked.items()]
    sql = _POSTGRES_LATEST.format(table=connection.ops.quote_name(Entity._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(
            sql + (_RETURNING if returning else ""),
            [stamp, json.dumps(document, ensure_ascii=False, separators=(",", ":"))],
        )
        if not returning:
            return []
        rows = cursor.fetchall()
    return [
        Change(json_loads(data) if isinstance(data, str) else data, set(keys), stamp, stamp)
        for data, keys in rows
    ]


def readings_ingest(*, caller: Caller, tenant: str, readings: Sequence[Reading]) -> int:
    """Fold verified readings into the entities and the history; returns how many
    observations the batch carried. One transaction and one audit entry for the batch;
    on PostgreSQL one statement for the history and one for the latest values."""
    if not readings:
        return 0
    now = timezone.now()
    stamp = iso(now)
    times: dict[str, tuple[datetime, str]] = {}
    devices: dict[str, Device] = {}
    latest: dict[str, dict[str, list[Any]]] = {}
    history: list[tuple[str, str, datetime, dict[str, list[Any]]]] = []
    count = 0
    for reading in readings:
        known = times.get(reading.ts)
        if known is None:
            moment = parse_time(reading.ts, "ts")
            if (moment - now).total_seconds() > MAX_FUTURE_SECONDS:
                raise bad_data("A reading from the future.")
            known = times[reading.ts] = (moment, iso(moment))
        attrs = reading_instances(reading, known[1], stamp)
        entity_id = reading.device.entity_id
        history.append((entity_id, known[1], known[0], attrs))
        count += len(attrs)
        devices[entity_id] = reading.device
        folded = latest.setdefault(entity_id, {})
        for iri, instances in attrs.items():
            if _newer(folded.get(iri), instances):
                folded[iri] = instances
    if connection.vendor == "postgresql":
        # Sorted by entity and time: two bridges writing the same readings (a message
        # sent again) take the history's unique keys in the same order.
        history.sort(key=lambda item: (item[0], item[1]))
        for attempt in range(_ATTEMPTS):
            try:
                _ingest_postgres(caller, tenant, readings, devices, latest, history, stamp)
                return count
            except OperationalError as error:
                # Another bridge's batch: a deadlock PostgreSQL broke by failing us (rare,
                # see _ingest_postgres). Ours was rolled back whole: run it again.
                if attempt + 1 == _ATTEMPTS or connection.in_atomic_block:
                    raise
                if getattr(error.__cause__, "sqlstate", None) not in _RETRYABLE:
                    raise
        return count  # pragma: no cover - the loop returns or raises
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        rows = Entity.objects.filter(tenant=row_tenant, entity_id__in=sorted(latest))
        # SQLite: the transaction is IMMEDIATE, so writers (bridges) take turns.
        locked = {row.entity_id: row for row in rows.order_by("entity_id")}
        changes: list[Change] = []
        new_rows: list[Entity] = []
        for entity_id, attrs in latest.items():
            if entity_id not in locked:
                row, data = _new_entity(row_tenant, devices[entity_id], attrs, stamp)
                new_rows.append(row)
                changes.append(Change(data, set(attrs), stamp, stamp))
        Entity.objects.bulk_create(new_rows, batch_size=500)
        changes += _latest_in_python(locked, latest, stamp)
        history_write(
            [
                HistoryRow(row_tenant.pk, entity_id, iri, "", moment, instances[0], _number(v))
                for entity_id, _, moment, attrs in history
                for iri, instances in attrs.items()
                for v in (instances[0]["value"],)
            ]
        )
        _audit(caller, row_tenant, readings, latest)
        notify(row_tenant, changes)
    return count


_ATTEMPTS = 3
_RETRYABLE = {"40P01", "40001"}  # deadlock detected, serialization failure


def _audit(
    caller: Caller, tenant: Tenant, readings: Sequence[Reading], latest: Mapping[str, Any]
) -> None:
    auditing.record(
        actor=caller.actor,
        action="smartcity.reading.ingest",
        subject_type="smartcity.tenant",
        subject=tenant.name or "(default)",
        summary={"readings": len(readings), "entities": len(latest)},
    )


def _ingest_postgres(
    caller: Caller,
    tenant: str,
    readings: Sequence[Reading],
    devices: Mapping[str, Device],
    latest: Mapping[str, dict[str, list[Any]]],
    history: Sequence[tuple[str, str, datetime, dict[str, list[Any]]]],
    stamp: str,
) -> None:
    """One batch on PostgreSQL, safe with several bridges at once (shared subscriptions
    hand one device's readings to any of them). The history first (it needs no entity);
    then the batch's entities locked in id order (ids only); those that do not exist yet
    are inserted in id order with ``ON CONFLICT DO NOTHING`` — another bridge creating
    the same one makes us wait for its commit, never fail — and locked in turn; then the
    newest values merged. Bridges wait for each other in id order, except when a third
    creates an entity between two others' reads: PostgreSQL then breaks the circle by
    failing one batch, which :func:`readings_ingest` runs again."""
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        _history_in_postgres(row_tenant, history)
        ids = sorted(latest)
        lock = (
            Entity.objects.select_for_update()
            .filter(tenant=row_tenant)
            .order_by("entity_id")
            .values_list("entity_id", "pk")
        )
        locked: dict[str, int] = dict(lock.filter(entity_id__in=ids))
        missing = [entity_id for entity_id in ids if entity_id not in locked]
        if missing:
            # Created with their location and name only: the merge below adds the
            # readings to them as to any other entity (and notifies the same way).
            Entity.objects.bulk_create(
                [_new_entity(row_tenant, devices[e], {}, stamp)[0] for e in missing],
                batch_size=500,
                ignore_conflicts=True,
            )
            locked.update(lock.filter(entity_id__in=missing))
        watched = Subscription.objects.filter(tenant=row_tenant, is_active=True).exists()
        changes = _latest_in_postgres(locked, latest, stamp, returning=watched)
        _audit(caller, row_tenant, readings, latest)
        notify(row_tenant, changes)


def _history_in_postgres(
    tenant: Tenant, history: Sequence[tuple[str, str, datetime, dict[str, list[Any]]]]
) -> None:
    document = [
        {"e": entity_id, "t": observed, "a": attrs} for entity_id, observed, _, attrs in history
    ]
    sql = _POSTGRES_HISTORY.format(table=connection.ops.quote_name(Observation._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [tenant.pk, json.dumps(document, ensure_ascii=False, separators=(",", ":"))]
        )
