"""NGSI-LD entity writes: create, replace, append/update/delete attributes, delete, and
the batch operations. Each call is one transaction with its audit entry; every change
also lands in the history (``Observation``) and wakes the matching subscriptions.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction

from nentang.kernel import auditing
from nentang.smartcity.models import Entity, Tenant
from nentang.smartcity.ngsild import geo
from nentang.smartcity.ngsild.contexts import TermMap
from nentang.smartcity.ngsild.entities import (
    attributes_in,
    check_uri,
    entity_in,
    location_of,
    now_text,
    parse_time,
)
from nentang.smartcity.ngsild.errors import NgsiError, bad_data, not_found
from nentang.smartcity.services.common import Caller, tenant_for
from nentang.smartcity.services.history import HistoryRow, history_write, observations
from nentang.smartcity.services.notify import Change, notify

MAX_BATCH = 1000


@dataclass
class BatchResult:
    success: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def fail(self, entity_id: Any, error: NgsiError) -> None:
        self.errors.append(
            {
                "entityId": entity_id if isinstance(entity_id, str) else "",
                "error": {**error.body(), "status": error.status},
            }
        )


@dataclass
class AttrsResult:
    updated: list[str] = field(default_factory=list)
    not_updated: list[dict[str, str]] = field(default_factory=list)


def _time(text: str) -> datetime:
    return parse_time(text, "time")


def _row(tenant: Tenant, entity: Mapping[str, Any], *, created: str, modified: str) -> Entity:
    row = Entity(
        tenant=tenant,
        entity_id=entity["id"],
        created_at=_time(created),
        modified_at=_time(modified),
    )
    _fill(row, entity, modified)
    return row


def _fill(row: Entity, entity: Mapping[str, Any], modified: str) -> None:
    row.type = entity["type"][0]
    row.data = dict(entity)
    row.modified_at = _time(modified)
    location = location_of(entity)
    if location is None:
        row.min_lon = row.min_lat = row.max_lon = row.max_lat = None
    else:
        row.min_lon, row.min_lat, row.max_lon, row.max_lat = geo.bounds(location)


_POSTGRES_UPDATE = (
    "UPDATE {table} AS e SET type = r.type, data = r.data, modified_at = r.modified_at, "
    "min_lon = r.min_lon, min_lat = r.min_lat, max_lon = r.max_lon, max_lat = r.max_lat "
    "FROM jsonb_to_recordset(%s::jsonb) AS r(id bigint, type text, data jsonb, modified_at "
    "timestamptz, min_lon double precision, min_lat double precision, max_lon double "
    "precision, max_lat double precision) WHERE e.id = r.id"
)


def update_rows(rows: Sequence[Entity]) -> None:
    """Save changed entity rows in one statement on PostgreSQL (the rows as one JSON
    array, ``jsonb_to_recordset``), a parameterised ``executemany`` on SQLite. (Django's
    ``bulk_update`` builds a CASE per row and field: seconds for a batch of 500.)"""
    if not rows:
        return
    ops = connection.ops
    table = connection.ops.quote_name(Entity._meta.db_table)
    if connection.vendor == "postgresql":
        document = [
            {
                "id": row.pk,
                "type": row.type,
                "data": row.data,
                "modified_at": row.modified_at.isoformat(),
                "min_lon": row.min_lon,
                "min_lat": row.min_lat,
                "max_lon": row.max_lon,
                "max_lat": row.max_lat,
            }
            for row in rows
        ]
        text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        with connection.cursor() as cursor:
            cursor.execute(_POSTGRES_UPDATE.format(table=table), [text])
        return
    sql = (
        f"UPDATE {table} SET type = %s, data = %s, modified_at = %s, "  # noqa: S608 - names only
        "min_lon = %s, min_lat = %s, max_lon = %s, max_lat = %s WHERE id = %s"
    )
    params = [
        (
            row.type,
            json.dumps(row.data, ensure_ascii=False, separators=(",", ":")),
            ops.adapt_datetimefield_value(row.modified_at),
            row.min_lon,
            row.min_lat,
            row.max_lon,
            row.max_lat,
            row.pk,
        )
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


def merge(
    stored: Mapping[str, Any],
    attrs: Mapping[str, list[dict[str, Any]]],
    *,
    overwrite: bool = True,
    only_existing: bool = False,
) -> tuple[dict[str, Any], list[str], list[str]]:
    """``stored`` with ``attrs`` merged in by attribute and datasetId: the new entity,
    the attributes changed and those left alone."""
    entity = copy.deepcopy(dict(stored))
    current: dict[str, list[dict[str, Any]]] = entity["attrs"]
    updated: list[str] = []
    skipped: list[str] = []
    for iri, instances in attrs.items():
        existing = current.get(iri)
        if existing is None and only_existing:
            skipped.append(iri)
            continue
        if existing is not None and not overwrite:
            skipped.append(iri)
            continue
        merged = list(existing or [])
        for instance in instances:
            dataset = instance.get("datasetId")
            for index, old in enumerate(merged):
                if old.get("datasetId") == dataset:
                    if only_existing and old.get("type") != instance.get("type"):
                        raise bad_data(f"{iri} is a {old.get('type')}, not a {instance['type']}.")
                    instance = {
                        **instance,
                        "createdAt": old.get("createdAt", instance["createdAt"]),
                    }
                    merged[index] = instance
                    break
            else:
                if only_existing:
                    skipped.append(iri)
                    continue
                merged.append(instance)
        current[iri] = merged
        updated.append(iri)
    return entity, updated, skipped


def _locked(tenant: Tenant, entity_id: str) -> Entity:
    row = Entity.objects.select_for_update().filter(tenant=tenant, entity_id=entity_id).first()
    if row is None:
        raise not_found(f"There is no entity {entity_id!r}.")
    return row


def _audit(caller: Caller, action: str, tenant: Tenant, subject: str, **summary: Any) -> None:
    auditing.record(
        actor=caller.actor,
        action=f"smartcity.entity.{action}",
        subject_type="smartcity.entity",
        subject=subject,
        summary={"tenant": tenant.name, **summary},
    )


def entity_create(
    *, caller: Caller, tenant: str, payload: Mapping[str, Any], terms: TermMap
) -> str:
    """Create one entity; AlreadyExists when its id is taken in this tenant."""
    stamp = now_text()
    entity = entity_in(terms, payload, stamp=stamp)
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        row = _row(row_tenant, entity, created=stamp, modified=stamp)
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            raise NgsiError("AlreadyExists", f"The entity {entity['id']!r} exists.") from None
        history_write(observations(row_tenant, entity["id"], entity["attrs"]))
        _audit(caller, "create", row_tenant, entity["id"], type=entity["type"][0])
        notify(row_tenant, [Change(entity, set(entity["attrs"]), stamp, stamp)])
    return str(entity["id"])


def entity_replace(
    *, caller: Caller, tenant: str, entity_id: str, payload: Mapping[str, Any], terms: TermMap
) -> None:
    """Replace a whole entity (PUT): its attributes become exactly those given."""
    stamp = now_text()
    body = {**payload, "id": payload.get("id", entity_id)}
    if body["id"] != entity_id:
        raise bad_data("The id in the body is not the id in the path.")
    entity = entity_in(terms, body, stamp=stamp)
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        row = _locked(row_tenant, entity_id)
        _fill(row, entity, stamp)
        row.save()
        history_write(observations(row_tenant, entity_id, entity["attrs"]))
        _audit(caller, "replace", row_tenant, entity_id)
        notify(row_tenant, [Change(entity, set(entity["attrs"]), stamp, stamp)])


def entity_attrs_write(
    *,
    caller: Caller,
    tenant: str,
    entity_id: str,
    payload: Mapping[str, Any],
    terms: TermMap,
    mode: str,
) -> AttrsResult:
    """Append (``mode="append"``), append without overwriting (``"append_keep"``),
    update existing attributes only (``"update"``) or merge (``"merge"``)."""
    if not isinstance(payload, Mapping) or not payload:
        raise bad_data("Give the attributes as a non-empty JSON object.")
    if "id" in payload and payload["id"] != entity_id:
        raise bad_data("The id in the body is not the id in the path.")
    stamp = now_text()
    attrs = attributes_in(terms, payload, stamp=stamp)
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        row = _locked(row_tenant, entity_id)
        entity, updated, skipped = merge(
            row.data,
            attrs,
            overwrite=mode != "append_keep",
            only_existing=mode == "update",
        )
        result = AttrsResult(
            updated=[terms.compact(i) for i in updated],
            not_updated=[
                {"attributeName": terms.compact(i), "reason": "not updated"} for i in skipped
            ],
        )
        if updated:
            _fill(row, entity, stamp)
            row.save()
            history_write(observations(row_tenant, entity_id, {i: attrs[i] for i in updated}))
            _audit(caller, mode, row_tenant, entity_id, attrs=len(updated))
            notify(
                row_tenant,
                [Change(entity, set(updated), row.created_at.isoformat(), stamp)],
            )
    return result


def entity_attr_patch(
    *,
    caller: Caller,
    tenant: str,
    entity_id: str,
    attr: str,
    payload: Mapping[str, Any],
    terms: TermMap,
) -> None:
    """Partial update of one attribute (PATCH …/attrs/{attr}); ResourceNotFound if absent."""
    if not isinstance(payload, Mapping):
        raise bad_data("Give the attribute as a JSON object.")
    iri = terms.expand(attr)
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        row = _locked(row_tenant, entity_id)
        instances = row.data["attrs"].get(iri)
        dataset = payload.get("datasetId")
        old = next((i for i in instances or [] if i.get("datasetId") == dataset), None)
        if old is None:
            raise not_found(f"The entity has no attribute {attr!r}.")
        fragment = {k: v for k, v in old.items() if k in ("type", "unitCode", "datasetId")}
        fragment.update(payload)
        stamp = now_text()
        attrs = attributes_in(terms, {attr: fragment}, stamp=stamp)
        entity, updated, _ = merge(row.data, attrs, only_existing=True)
        _fill(row, entity, stamp)
        row.save()
        history_write(observations(row_tenant, entity_id, attrs))
        _audit(caller, "patch", row_tenant, entity_id, attrs=1)
        notify(row_tenant, [Change(entity, set(updated), row.created_at.isoformat(), stamp)])


def entity_attr_delete(
    *,
    caller: Caller,
    tenant: str,
    entity_id: str,
    attr: str,
    terms: TermMap,
    dataset_id: str | None = None,
    delete_all: bool = False,
) -> None:
    iri = terms.expand(attr)
    if dataset_id is not None:
        check_uri(dataset_id, "datasetId")
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        row = _locked(row_tenant, entity_id)
        data = copy.deepcopy(row.data)
        instances = data["attrs"].get(iri)
        if not instances:
            raise not_found(f"The entity has no attribute {attr!r}.")
        if delete_all:
            kept = []
        else:
            kept = [i for i in instances if i.get("datasetId") != dataset_id]
            if len(kept) == len(instances):
                raise not_found(f"The attribute {attr!r} has no such datasetId.")
        if kept:
            data["attrs"][iri] = kept
        else:
            del data["attrs"][iri]
        stamp = now_text()
        _fill(row, data, stamp)
        row.save()
        _audit(caller, "attr_delete", row_tenant, entity_id, attr=iri)


def entity_delete(*, caller: Caller, tenant: str, entity_id: str) -> None:
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        row = _locked(row_tenant, entity_id)
        row.delete()
        _audit(caller, "delete", row_tenant, entity_id)


# Batch operations --------------------------------------------------------------------


def _check_batch(payload: Any) -> Sequence[Any]:
    if not isinstance(payload, list):
        raise bad_data("A batch operation takes a JSON array.")
    if not payload:
        raise bad_data("The batch is empty.")
    if len(payload) > MAX_BATCH:
        raise NgsiError("BadRequestData", f"A batch holds at most {MAX_BATCH} items.")
    return payload


def _parsed(
    payload: Sequence[Any], terms: TermMap, stamp: str, result: BatchResult
) -> dict[str, dict[str, Any]]:
    entities: dict[str, dict[str, Any]] = {}
    for item in payload:
        item_id = item.get("id") if isinstance(item, Mapping) else None
        try:
            entity = entity_in(terms, item, stamp=stamp)
        except NgsiError as error:
            result.fail(item_id, error)
            continue
        if entity["id"] in entities:
            result.fail(entity["id"], bad_data("The batch repeats this entity id."))
            continue
        entities[entity["id"]] = entity
    return entities


def batch_write(
    *, caller: Caller, tenant: str, payload: Any, terms: TermMap, mode: str
) -> BatchResult:
    """entityOperations ``create``, ``upsert`` (``replace`` or ``update`` with
    ``mode="upsert_update"``) and ``update`` (``"update"`` / ``"update_keep"``)."""
    items = _check_batch(payload)
    for attempt in range(2):
        try:
            return _batch_write(caller, tenant, items, terms, mode)
        except IntegrityError:
            # Two batches created the same new entity at once: the rows exist now.
            if attempt == 1:
                raise
    raise AssertionError("unreachable")


def _batch_write(
    caller: Caller, tenant: str, items: Sequence[Any], terms: TermMap, mode: str
) -> BatchResult:
    stamp = now_text()
    result = BatchResult()
    entities = _parsed(items, terms, stamp, result)
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        rows = (
            Entity.objects.select_for_update()
            .filter(tenant=row_tenant, entity_id__in=sorted(entities))
            .order_by("entity_id")
        )
        if mode in ("create", "upsert"):  # the stored documents are not read: replaced
            rows = rows.defer("data")
        existing = {row.entity_id: row for row in rows}
        new_rows: list[Entity] = []
        changed_rows: list[Entity] = []
        history: list[HistoryRow] = []
        changes: list[Change] = []
        for entity_id, entity in entities.items():
            row = existing.get(entity_id)
            if row is None:
                if mode in ("update", "update_keep"):
                    result.fail(entity_id, not_found(f"There is no entity {entity_id!r}."))
                    continue
                new_rows.append(_row(row_tenant, entity, created=stamp, modified=stamp))
                history += observations(row_tenant, entity_id, entity["attrs"])
                changes.append(Change(entity, set(entity["attrs"]), stamp, stamp))
                result.success.append(entity_id)
                continue
            if mode == "create":
                result.fail(entity_id, NgsiError("AlreadyExists", f"{entity_id!r} exists."))
                continue
            if mode == "upsert":
                merged, updated = entity, list(entity["attrs"])
            else:
                merged, updated, _ = merge(
                    row.data, entity["attrs"], overwrite=mode != "update_keep"
                )
            _fill(row, merged, stamp)
            changed_rows.append(row)
            history += observations(row_tenant, entity_id, {i: entity["attrs"][i] for i in updated})
            changes.append(Change(merged, set(updated), row.created_at.isoformat(), stamp))
            result.success.append(entity_id)
        Entity.objects.bulk_create(new_rows, batch_size=500)
        update_rows(changed_rows)
        history_write(history)
        if result.success:
            auditing.record(
                actor=caller.actor,
                action=f"smartcity.entity.batch_{mode}",
                subject_type="smartcity.tenant",
                subject=row_tenant.name or "(default)",
                summary={"entities": len(result.success), "failed": len(result.errors)},
            )
            notify(row_tenant, changes)
    return result


def batch_delete(*, caller: Caller, tenant: str, payload: Any) -> BatchResult:
    items = _check_batch(payload)
    result = BatchResult()
    ids: list[str] = []
    for item in items:
        try:
            ids.append(check_uri(item, "The entity id"))
        except NgsiError as error:
            result.fail(item, error)
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        found = set(
            Entity.objects.select_for_update()
            .filter(tenant=row_tenant, entity_id__in=ids)
            .values_list("entity_id", flat=True)
        )
        for entity_id in ids:
            if entity_id in found:
                result.success.append(entity_id)
            else:
                result.fail(entity_id, not_found(f"There is no entity {entity_id!r}."))
        Entity.objects.filter(tenant=row_tenant, entity_id__in=found).delete()
        if found:
            auditing.record(
                actor=caller.actor,
                action="smartcity.entity.batch_delete",
                subject_type="smartcity.tenant",
                subject=row_tenant.name or "(default)",
                summary={"entities": len(found)},
            )
    return result
