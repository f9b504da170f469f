"""The NGSI-LD temporal API's reads (``/temporal/entities``): the history of attributes
within a time window (``timerel`` before/after/between with ``timeAt``/``endTimeAt``),
the last N instances (``lastN``), and aggregation (``avg``, ``min``, ``max``, ``sum``,
``totalCount``, ``distinctCount``) over periods of ``aggrPeriodDuration``.

The database filters the rows (tenant, entity, attribute, time: one index range per
attribute, the unique key ``(tenant, entity, attribute, time, dataset)``; on PostgreSQL
only the partitions of the window's months are read). Aggregation over a ``between``
window with a whole-second period runs in the database: one ``GROUP BY`` per entity of
the bucket number (seconds since ``timeAt`` divided by the period), computed with
``extract(epoch …)`` on PostgreSQL and ``strftime('%s', …)`` on SQLite, so no row
reaches Python. Other aggregations (``distinctCount``, open windows, ``lastN``) walk
the ordered rows once per entity and attribute.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection

from nentang.smartcity.models import Observation
from nentang.smartcity.ngsild.contexts import TermMap
from nentang.smartcity.ngsild.entities import iso, parse_time
from nentang.smartcity.ngsild.errors import bad_data
from nentang.smartcity.selectors.entities import EntityView, entity_get, entity_query
from nentang.smartcity.services.common import Caller

AGGREGATIONS = ("avg", "min", "max", "sum", "totalCount", "distinctCount")
MAX_LAST_N = 1000
MAX_INSTANCES = 10_000
MAX_BUCKETS = 10_000
DURATION = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+(?:\.\d+)?)S)?)?$"
)


@dataclass(frozen=True)
class Window:
    timerel: str | None = None
    time_at: datetime | None = None
    end_time_at: datetime | None = None
    last_n: int | None = None


@dataclass(frozen=True)
class Aggregation:
    methods: tuple[str, ...]
    period: timedelta | None


def parse_duration(text: str) -> timedelta:
    match = DURATION.match(text or "")
    if not match or text in ("P", "PT") or text.endswith("T"):
        raise bad_data("aggrPeriodDuration is an ISO 8601 duration such as PT1H or P1D.")
    parts = {k: float(v) for k, v in match.groupdict().items() if v}
    duration = timedelta(**parts)
    if duration <= timedelta(0):
        raise bad_data("aggrPeriodDuration must be longer than zero.")
    return duration


def window(
    timerel: str | None, time_at: str | None, end_time_at: str | None, last_n: str | None
) -> Window:
    if timerel is not None and timerel not in ("before", "after", "between"):
        raise bad_data("timerel is before, after or between.")
    start = parse_time(time_at, "timeAt") if time_at else None
    end = parse_time(end_time_at, "endTimeAt") if end_time_at else None
    if timerel and start is None:
        raise bad_data("timerel needs timeAt.")
    if timerel == "between":
        if end is None:
            raise bad_data("timerel=between needs endTimeAt.")
        if end <= start:  # type: ignore[operator]
            raise bad_data("endTimeAt must come after timeAt.")
    if start is not None and not timerel:
        raise bad_data("timeAt needs timerel.")
    count = None
    if last_n is not None:
        if not re.fullmatch(r"[1-9][0-9]{0,5}", last_n) or int(last_n) > MAX_LAST_N:
            raise bad_data(f"lastN is a whole number from 1 to {MAX_LAST_N}.")
        count = int(last_n)
    return Window(timerel, start, end, count)


def aggregation(methods: str | None, period: str | None) -> Aggregation:
    chosen = tuple(m.strip() for m in (methods or "").split(",") if m.strip())
    if not chosen:
        raise bad_data("aggregatedValues needs aggrMethods (avg, min, max, sum, totalCount).")
    for method in chosen:
        if method not in AGGREGATIONS:
            raise bad_data(f"aggrMethods are among {', '.join(AGGREGATIONS)}.")
    return Aggregation(chosen, parse_duration(period) if period else None)


def _rows(
    caller_tenant_id: int, entity_id: str, attrs: set[str] | None, span: Window
) -> dict[str, list[Observation]]:
    rows = Observation.objects.filter(tenant_id=caller_tenant_id, entity_id=entity_id)
    if attrs:
        rows = rows.filter(attr__in=sorted(attrs))
    if span.timerel == "before":
        rows = rows.filter(observed_at__lt=span.time_at)
    elif span.timerel == "after":
        rows = rows.filter(observed_at__gt=span.time_at)
    elif span.timerel == "between":
        rows = rows.filter(observed_at__gte=span.time_at, observed_at__lt=span.end_time_at)
    by_attr: dict[str, list[Observation]] = defaultdict(list)
    if span.last_n:
        names = sorted(attrs) if attrs else sorted(set(rows.values_list("attr", flat=True)))
        for name in names:
            recent = list(rows.filter(attr=name).order_by("-observed_at")[: span.last_n])
            by_attr[name] = recent[::-1]
        return by_attr
    for row in rows.order_by("observed_at")[:MAX_INSTANCES]:
        by_attr[row.attr].append(row)
    return by_attr


def _instance(row: Observation, simplified: bool) -> Any:
    value = row.value
    if simplified:
        shown = value.get("object", value.get("value", value.get("languageMap")))
        return [shown, iso(row.observed_at)]
    out = {k: v for k, v in value.items() if k not in ("createdAt", "modifiedAt", "sub")}
    out["observedAt"] = iso(row.observed_at)
    out["instanceId"] = f"urn:ngsi-ld:attribute:instance:{row.instance_id}"
    return out


def _aggregate(
    rows: Sequence[Observation], how: Aggregation, span: Window
) -> dict[str, list[list[Any]]]:
    if not rows:
        return {method: [] for method in how.methods}
    first = span.time_at if span.timerel in ("after", "between") else rows[0].observed_at
    assert first is not None
    end = span.end_time_at if span.timerel == "between" else rows[-1].observed_at
    assert end is not None
    period = how.period or (end - first) + timedelta(microseconds=1)
    if (end - first) / period > MAX_BUCKETS:
        raise bad_data(f"The window holds more than {MAX_BUCKETS} periods; choose a longer one.")
    buckets: dict[int, list[Observation]] = defaultdict(list)
    for row in rows:
        index = int((row.observed_at - first) / period)
        buckets[index].append(row)
    out: dict[str, list[list[Any]]] = {method: [] for method in how.methods}
    for index in sorted(buckets):
        members = buckets[index]
        start_at = first + index * period
        bounds = [iso(start_at), iso(start_at + period)]
        numbers = [r.number for r in members if r.number is not None]
        for method in how.methods:
            value: Any
            if method == "totalCount":
                value = len(members)
            elif method == "distinctCount":
                value = len({repr(_instance(r, True)[0]) for r in members})
            elif not numbers:
                value = None
            elif method == "avg":
                value = sum(numbers) / len(numbers)
            elif method == "min":
                value = min(numbers)
            elif method == "max":
                value = max(numbers)
            else:
                value = sum(numbers)
            out[method].append([value, *bounds])
    return out


_SQL_METHODS = {"totalCount": 2, "avg": 3, "min": 4, "max": 5, "sum": 6}


def _aggregate_in_sql(
    tenant_id: int, entity_id: str, attrs: set[str] | None, span: Window, how: Aggregation
) -> dict[str, dict[str, list[list[Any]]]] | None:
    """The aggregation grouped by the database, per attribute; None when this window or
    method needs the rows in Python."""
    grouped = _aggregate_many_in_sql(tenant_id, [entity_id], attrs, span, how)
    return None if grouped is None else grouped.get(entity_id, {})


def _aggregate_many_in_sql(
    tenant_id: int, entity_ids: Sequence[str], attrs: set[str] | None, span: Window,
    how: Aggregation,
) -> dict[str, dict[str, dict[str, list[list[Any]]]]] | None:  # fmt: skip
    """:func:`_aggregate_in_sql` for a page of entities in one grouped query: entity id →
    attribute → series (an entity without rows in the window is absent)."""
    first, end, period = span.time_at, span.end_time_at, how.period
    if span.timerel != "between" or first is None or end is None or period is None:
        return None
    seconds = period.total_seconds()
    if "distinctCount" in how.methods or seconds != int(seconds) or first.microsecond:
        return None
    if (end - first) / period > MAX_BUCKETS:
        raise bad_data(f"The window holds more than {MAX_BUCKETS} periods; choose a longer one.")
    if connection.vendor == "postgresql":
        bucket = "floor(extract(epoch FROM (observed_at - %s)) / %s)::bigint"
        bucket_params: list[Any] = [first, int(seconds)]
    elif connection.vendor == "sqlite":
        bucket = "(CAST(strftime('%%s', observed_at) AS INTEGER) - %s) / %s"
        bucket_params = [int(first.timestamp()), int(seconds)]
    else:
        return None
    ops = connection.ops
    names = sorted(attrs) if attrs else []
    only = f"AND attr IN ({', '.join(['%s'] * len(names))}) " if names else ""
    ids = ", ".join(["%s"] * len(entity_ids))
    table = ops.quote_name(Observation._meta.db_table)
    sql = (
        f"SELECT entity_id, attr, {bucket} AS bucket, count(*), avg(number), min(number), "  # noqa: S608 - names only
        f"max(number), sum(number) FROM {table} WHERE tenant_id = %s AND entity_id IN ({ids}) "
        f"{only}AND observed_at >= %s AND observed_at < %s GROUP BY entity_id, attr, bucket "
        "ORDER BY entity_id, attr, bucket"
    )
    if not entity_ids:
        return {}
    params = [
        *bucket_params,
        tenant_id,
        *entity_ids,
        *names,
        ops.adapt_datetimefield_value(first),
        ops.adapt_datetimefield_value(end),
    ]
    out: dict[str, dict[str, dict[str, list[list[Any]]]]] = {}
    # Every entity of the page has the same buckets: each one's bounds are formatted
    # once (720 for a month of hours), not once per entity and bucket (720,000).
    bounds_of: dict[int, tuple[str, str]] = {}
    columns = [(method, _SQL_METHODS[method] + 1) for method in how.methods]
    series: dict[str, list[list[Any]]] = {}
    current: tuple[str, str] | None = None
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for row in cursor.fetchall():
            index = int(row[2])
            bounds = bounds_of.get(index)
            if bounds is None:
                start_at = first + index * period
                bounds = bounds_of[index] = (iso(start_at), iso(start_at + period))
            if current != (row[0], row[1]):  # rows come ordered by entity, attribute
                current = (row[0], row[1])
                per_attr = out.setdefault(row[0], {})
                series = per_attr.setdefault(row[1], {method: [] for method in how.methods})
            for method, column in columns:
                series[method].append([row[column], bounds[0], bounds[1]])
    return out


def _kind(view: EntityView, tenant_id: int, attr: str, span: Window) -> str:
    """The NGSI-LD type of an attribute: from the entity's current state, else from any
    one instance of the window (unordered: an index probe)."""
    current = view.data.get("attrs", {}).get(attr) or []
    if current and isinstance(current[0], dict) and "type" in current[0]:
        return str(current[0]["type"])
    value = next(
        iter(
            Observation.objects.filter(
                tenant_id=tenant_id,
                entity_id=view.data["id"],
                attr=attr,
                observed_at__gte=span.time_at,
                observed_at__lt=span.end_time_at,
            )
            .order_by()
            .values_list("value", flat=True)[:1]
        ),
        None,
    )
    return str((value or {}).get("type", "Property"))


def _temporal_entity(
    view: EntityView,
    tenant_id: int,
    terms: TermMap,
    attrs: set[str] | None,
    span: Window,
    mode: str,
    how: Aggregation | None,
    page: dict[str, dict[str, dict[str, list[list[Any]]]]] | None = None,
) -> dict[str, Any]:
    """One entity's temporal representation; ``page``: the aggregation of the whole page
    of entities, grouped already (:func:`_aggregate_many_in_sql`)."""
    data = view.data
    types = [terms.compact(t) for t in data["type"]]
    out: dict[str, Any] = {"id": data["id"], "type": types[0] if len(types) == 1 else types}
    if mode == "aggregated" and how is not None:
        grouped = (
            page.get(data["id"], {})
            if page is not None
            else _aggregate_in_sql(tenant_id, data["id"], attrs, span, how)
        )
        if grouped is not None:
            for iri, series in sorted(grouped.items()):
                kind = _kind(view, tenant_id, iri, span)
                out[terms.compact(iri)] = {"type": kind, **series}
            return out
    for iri, rows in sorted(_rows(tenant_id, data["id"], attrs, span).items()):
        kind = rows[0].value.get("type", "Property") if rows else "Property"
        name = terms.compact(iri)
        if mode == "aggregated" and how is not None:
            out[name] = {"type": kind, **_aggregate(rows, how, span)}
        elif mode == "simplified":
            out[name] = {"type": kind, "values": [_instance(r, True) for r in rows]}
        else:
            out[name] = [_instance(r, False) for r in rows]
    return out


def temporal_get(
    *,
    caller: Caller,
    tenant: str,
    entity_id: str,
    terms: TermMap,
    attrs: Sequence[str],
    span: Window,
    mode: str = "normalized",
    how: Aggregation | None = None,
) -> dict[str, Any]:
    """The history of one entity (``mode``: normalized, simplified or aggregated)."""
    from nentang.smartcity.services.common import tenant_for

    view = entity_get(caller=caller, tenant=tenant, entity_id=entity_id)
    # The entity came with its tenant (read through the caller's grant).
    tenant_id = view.tenant_id or tenant_for(caller, tenant, write=False).pk
    wanted = {terms.expand(a) for a in attrs} or None
    return _temporal_entity(view, tenant_id, terms, wanted, span, mode, how)


def temporal_query(
    *,
    caller: Caller,
    tenant: str,
    terms: TermMap,
    types: Sequence[str],
    ids: Sequence[str],
    id_pattern: str | None,
    q: str | None,
    attrs: Sequence[str],
    span: Window,
    mode: str = "normalized",
    how: Aggregation | None = None,
    limit: int = 20,
    offset: int = 0,
    count: bool = False,
) -> tuple[list[dict[str, Any]], int | None]:
    """The history of the entities a query selects."""
    from nentang.smartcity.services.common import tenant_for

    if span.timerel is None and span.last_n is None:
        raise bad_data("The temporal query needs timerel with timeAt, or lastN.")
    found = entity_query(
        caller=caller,
        tenant=tenant,
        terms=terms,
        types=types,
        ids=ids,
        id_pattern=id_pattern,
        q=q,
        limit=limit,
        offset=offset,
        count=count,
    )
    tenant_row = tenant_for(caller, tenant, write=False)
    wanted = {terms.expand(a) for a in attrs} or None
    # Aggregated: the page's entities in one grouped query, not one each.
    page = None
    if mode == "aggregated" and how is not None:
        ids = [view.data["id"] for view in found.entities]
        page = _aggregate_many_in_sql(tenant_row.pk, ids, wanted, span, how)
    return (
        [
            _temporal_entity(view, tenant_row.pk, terms, wanted, span, mode, how, page)
            for view in found.entities
        ],
        found.count,
    )
