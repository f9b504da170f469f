"""NGSI-LD reads: one entity, queries (type, id, idPattern, q, geo-queries, paging) and
subscriptions. The ORM narrows the rows (tenant, type, ids, bounding box); ``qlang`` and
``geo`` decide each candidate exactly. Nothing user-given is pasted into SQL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from nentang.smartcity.models import Entity, Subscription, Tenant, TenantGrant
from nentang.smartcity.ngsild import geo, qlang
from nentang.smartcity.ngsild.contexts import TermMap
from nentang.smartcity.ngsild.entities import LOCATION, check_uri, iso
from nentang.smartcity.ngsild.errors import NgsiError, bad_data, not_found
from nentang.smartcity.services.common import Caller, tenant_for

MAX_LIMIT = 1000
SCAN_CHUNK = 2000


@dataclass(frozen=True)
class EntityView:
    data: dict[str, Any]
    created_at: str
    modified_at: str
    tenant_id: int = 0


@dataclass(frozen=True)
class QueryResult:
    entities: list[EntityView]
    count: int | None


def _view(row: Entity) -> EntityView:
    return EntityView(row.data, iso(row.created_at), iso(row.modified_at), row.tenant_id)


# The tenant by the caller's grant as a scalar subquery: it plans in a fraction of the
# three-table join's time (EXPLAIN: 0.09 ms against 0.55 ms), the bulk of one GET's work
# in the database.
_GET = (
    "SELECT e.data, e.created_at, e.modified_at, e.tenant_id FROM {entity} e "
    "WHERE e.tenant_id = (SELECT g.tenant_id FROM {grant} g JOIN {tenant} t ON t.id = g.tenant_id "
    "WHERE g.client_id = %s AND t.name = %s) AND e.entity_id = %s"
)
_GET_TRUSTED = (
    "SELECT e.data, e.created_at, e.modified_at, e.tenant_id FROM {entity} e "
    "WHERE e.tenant_id = (SELECT t.id FROM {tenant} t WHERE t.name = %s) AND e.entity_id = %s"
)


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        moment = value
    else:  # SQLite hands back text
        parsed = parse_datetime(str(value))
        if parsed is None:
            raise ValueError(f"not a stored time: {value!r}")
        moment = parsed
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def entity_get(*, caller: Caller, tenant: str, entity_id: str) -> EntityView:
    """One entity by id, for a caller with a grant on ``tenant``.

    The hot path of the broker: one fixed SQL statement (the entity joined with the
    caller's grant on the tenant; no ORM query to build per request). Only a miss asks
    why (no tenant / no grant → NonexistentTenant, else ResourceNotFound)."""
    check_uri(entity_id, "The entity id")
    names = {
        "entity": connection.ops.quote_name(Entity._meta.db_table),
        "tenant": connection.ops.quote_name(Tenant._meta.db_table),
        "grant": connection.ops.quote_name(TenantGrant._meta.db_table),
    }
    with connection.cursor() as cursor:
        if caller.trusted:
            cursor.execute(_GET_TRUSTED.format(**names), [tenant, entity_id])
        else:
            cursor.execute(_GET.format(**names), [caller.client_id, tenant, entity_id])
        found = cursor.fetchone()
    if found is None:
        tenant_for(caller, tenant, write=False)
        raise not_found(f"There is no entity {entity_id!r}.")
    data, created, modified, tenant_id = found
    return EntityView(
        json.loads(data) if isinstance(data, (str, bytes)) else data,
        iso(_moment(created)),
        iso(_moment(modified)),
        int(tenant_id),
    )


def _candidates(rows: QuerySet[Entity], geo_query: geo.GeoQuery | None) -> QuerySet[Entity]:
    if geo_query is None:
        return rows
    box = geo_query.bbox()
    rows = rows.filter(min_lon__isnull=False)
    if box is None:
        return rows
    minx, miny, maxx, maxy = box
    return rows.filter(min_lon__lte=maxx, max_lon__gte=minx, min_lat__lte=maxy, max_lat__gte=miny)


def _scan(rows: QuerySet[Entity]) -> Iterator[Entity]:
    """Rows in id order, fetched in chunks (keyset paging, bounded memory)."""
    last = ""
    while True:
        chunk = list(rows.filter(entity_id__gt=last).order_by("entity_id")[:SCAN_CHUNK])
        yield from chunk
        if len(chunk) < SCAN_CHUNK:
            return
        last = chunk[-1].entity_id


def entity_query(
    *,
    caller: Caller,
    tenant: str,
    terms: TermMap,
    types: Sequence[str] = (),
    ids: Sequence[str] = (),
    id_pattern: str | None = None,
    q: str | None = None,
    geo_query: geo.GeoQuery | None = None,
    geoproperty: str | None = None,
    attrs: Sequence[str] = (),
    limit: int = 20,
    offset: int = 0,
    count: bool = False,
) -> QueryResult:
    """Entities matching every given filter, in id order; ``count`` also totals them."""
    if not types and not ids and not id_pattern and not q and geo_query is None and not attrs:
        raise bad_data("Give at least one of type, id, idPattern, attrs, q or a geo-query.")
    if not 0 <= limit <= MAX_LIMIT:
        raise NgsiError(
            "TooManyResults" if limit > MAX_LIMIT else "BadRequestData",
            f"limit is between 0 and {MAX_LIMIT}.",
        )
    if offset < 0:
        raise bad_data("offset is not negative.")
    tree = qlang.parse(q) if q else None
    pattern = None
    if id_pattern:
        try:
            pattern = re.compile(id_pattern)
        except re.error:
            raise bad_data("idPattern is not a valid regular expression.") from None
    for entity_id in ids:
        check_uri(entity_id, "id")
    row_tenant = tenant_for(caller, tenant, write=False)
    rows = Entity.objects.filter(tenant=row_tenant)
    if types:
        rows = rows.filter(type__in=[terms.expand(t) for t in types])
    if ids:
        rows = rows.filter(entity_id__in=list(ids))
    geo_iri = terms.expand(geoproperty) if geoproperty else LOCATION
    if geo_iri != LOCATION and geo_query is not None:
        narrowed = rows.filter(Q())  # bounding boxes index the default location only
    else:
        narrowed = _candidates(rows, geo_query)
    attr_iris = {terms.expand(a) for a in attrs}
    exact = tree is not None or pattern is not None or geo_query is not None or bool(attr_iris)
    if not exact:
        total = narrowed.count() if count else None
        page = list(narrowed.order_by("entity_id")[offset : offset + limit]) if limit else []
        return QueryResult([_view(r) for r in page], total)
    found: list[EntityView] = []
    total = 0
    for row in _scan(narrowed):
        data = row.data
        if pattern is not None and not pattern.fullmatch(data["id"]):
            continue
        if attr_iris and not attr_iris.intersection(data["attrs"]):
            continue
        if tree is not None and not qlang.evaluate(tree, data["attrs"], terms.expand):
            continue
        if geo_query is not None:
            geometry = next(
                (i["value"] for i in data["attrs"].get(geo_iri, []) if i["type"] == "GeoProperty"),
                None,
            )
            if geometry is None or not geo_query.matches(geometry):
                continue
        if offset <= total < offset + limit:
            found.append(_view(row))
        total += 1
        if not count and total >= offset + limit:
            break
    return QueryResult(found, total if count else None)


def subscription_list(*, caller: Caller, tenant: str) -> list[Subscription]:
    row_tenant = tenant_for(caller, tenant, write=False)
    rows = Subscription.objects.filter(tenant=row_tenant).order_by("created_at")
    if not caller.trusted:
        rows = rows.filter(client_id=caller.client_id)
    return list(rows[:MAX_LIMIT])


def subscription_get(*, caller: Caller, tenant: str, subscription_id: str) -> Subscription:
    for row in subscription_list(caller=caller, tenant=tenant):
        if row.subscription_id == subscription_id:
            return row
    raise not_found(f"There is no subscription {subscription_id!r}.")


def devices_for(*, tenant: str, device_ids: Sequence[str]) -> dict[str, Any]:
    """The registered devices of ``tenant`` among ``device_ids``, by id, in one query (the
    bridge's cold start: a batch of a thousand devices never seen)."""
    from nentang.smartcity.models import Device

    return {
        device.device_id: device
        for device in Device.objects.filter(tenant__name=tenant, device_id__in=device_ids)
    }


def device_for(*, tenant: str, device_id: str) -> Any:
    """The registered device ``device_id`` of ``tenant`` (for the trusted MQTT bridge)."""
    from nentang.smartcity.models import Device

    return (
        Device.objects.select_related("tenant")
        .filter(tenant__name=tenant, device_id=device_id)
        .first()
    )
