"""The device registry and MQTT ingestion: devices publish signed readings, the bridge
(``ingest.bridge``) hands verified batches to :func:`readings_ingest`, which folds them
into the entities (newest observation wins the current state) and keeps every
observation in the history, idempotently (a re-sent or out-of-order reading changes
nothing it should not)."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from nentang.kernel import auditing
from nentang.smartcity.models import Device, Entity
from nentang.smartcity.ngsild import contexts
from nentang.smartcity.ngsild.entities import attributes_in, check_uri, iso, parse_time
from nentang.smartcity.ngsild.errors import bad_data
from nentang.smartcity.services.common import Caller, tenant_for
from nentang.smartcity.services.entities import _fill, _row, update_rows
from nentang.smartcity.services.history import HistoryRow, history_write, observations
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


def signature(key: str, device_id: str, ts: str, measures: Mapping[str, Any]) -> str:
    """HMAC-SHA256 of ``device_id.ts.<measures as sorted compact JSON>`` in hex."""
    body = json.dumps(measures, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    message = f"{device_id}.{ts}.{body}".encode()
    return hmac.new(key.encode(), message, hashlib.sha256).hexdigest()


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


def reading_attributes(reading: Reading) -> dict[str, Any]:
    """The NGSI-LD attributes of one reading (normalised form, core terms)."""
    _, mapping = KINDS[reading.device.kind]
    mapping = {**mapping, **{k: tuple(v) for k, v in reading.device.mapping.items()}}
    attrs: dict[str, Any] = {}
    for key, value in reading.measures.items():
        if key not in mapping:
            raise bad_data(f"Unknown measure {key!r} for a {reading.device.kind} device.")
        name, unit = mapping[key]
        if reading.device.kind == "streetlight" and key == "on":
            value = "on" if value else "off"
        if reading.device.kind == "parking":
            value = "occupied" if value else "free"
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise bad_data(f"Measure {key!r} must be a number.")
        attr: dict[str, Any] = {"type": "Property", "value": value, "observedAt": reading.ts}
        if unit:
            attr["unitCode"] = unit
        attrs[name] = attr
    return attrs


def _newer(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> bool:
    if old is None:
        return True
    return str(new.get("observedAt", "")) >= str(old.get("observedAt", ""))


def readings_ingest(*, caller: Caller, tenant: str, readings: Sequence[Reading]) -> int:
    """Fold verified readings into the entities and the history; returns how many
    observations were new. One transaction and one audit entry for the batch."""
    if not readings:
        return 0
    terms = contexts.core_terms()
    now = timezone.now()
    by_entity: dict[str, list[tuple[Reading, dict[str, list[dict[str, Any]]]]]] = {}
    for reading in readings:
        moment = parse_time(reading.ts, "ts")
        if (moment - now).total_seconds() > MAX_FUTURE_SECONDS:
            raise bad_data("A reading from the future.")
        stamp = iso(moment)
        raw = reading_attributes(Reading(reading.device, stamp, reading.measures))
        attrs = attributes_in(terms, raw, stamp=iso(now))
        by_entity.setdefault(reading.device.entity_id, []).append((reading, attrs))
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        rows = {
            row.entity_id: row
            for row in Entity.objects.select_for_update()
            .filter(tenant=row_tenant, entity_id__in=sorted(by_entity))
            .order_by("entity_id")
        }
        new_rows: list[Entity] = []
        changed: list[Entity] = []
        history: list[HistoryRow] = []
        changes: list[Change] = []
        for entity_id, items in by_entity.items():
            device = items[0][0].device
            row = rows.get(entity_id)
            if row is None:
                data: dict[str, Any] = {
                    "id": entity_id,
                    "type": [terms.expand(device.entity_type)],
                    "attrs": attributes_in(
                        terms,
                        {
                            "location": {
                                "type": "GeoProperty",
                                "value": {
                                    "type": "Point",
                                    "coordinates": [device.longitude, device.latitude],
                                },
                            },
                            "name": {"type": "Property", "value": device.name or device.device_id},
                        },
                        stamp=iso(now),
                    ),
                }
            else:
                data = {**row.data, "attrs": dict(row.data["attrs"])}
            touched: set[str] = set()
            for _, attrs in items:
                for iri, instances in attrs.items():
                    current = data["attrs"].get(iri)
                    if _newer(current[0] if current else None, instances[0]):
                        data["attrs"][iri] = instances
                        touched.add(iri)
                history += observations(row_tenant, entity_id, attrs)
            if row is None:
                new_rows.append(_row(row_tenant, data, created=iso(now), modified=iso(now)))
            elif touched:
                _fill(row, data, iso(now))
                changed.append(row)
            if touched:
                changes.append(Change(data, touched, iso(now), iso(now)))
        Entity.objects.bulk_create(new_rows, batch_size=500)
        update_rows(changed)
        history_write(history)
        auditing.record(
            actor=caller.actor,
            action="smartcity.reading.ingest",
            subject_type="smartcity.tenant",
            subject=row_tenant.name or "(default)",
            summary={"readings": len(readings), "entities": len(by_entity)},
        )
        notify(row_tenant, changes)
    return len(history)
