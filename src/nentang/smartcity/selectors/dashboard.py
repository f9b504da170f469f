"""The city operations centre's reads: every sensor of a city with its latest reading
and alert level, the alerts, and the points projected on the city's map. Sensor data
is public (no personal data), so these reads need no grant.

Alerts come from the threshold rules (``thresholds``: the defaults of
``data/thresholds.json`` overlaid with the city's ``ThresholdRule`` rows). A rule with
``hold_minutes`` alerts only at the level the attribute has held for that long: the
values in force over the window (the last reading at or before its start, and every
reading in it, from the history) all beyond the limit. Without a reading that old the
condition has not lasted long enough yet, and nothing is raised.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from nentang.smartcity.models import Entity, Observation, Tenant, ThresholdRule
from nentang.smartcity.ngsild.contexts import DEFAULT_VOCAB, core_terms
from nentang.smartcity.ngsild.entities import LOCATION, parse_time
from nentang.smartcity.thresholds import (
    FIELDS,
    MAIN_ATTRIBUTE,
    Rule,
    default_rules,
    rule_from,
    worst,
)

MAX_SENSORS = 2000


@dataclass(frozen=True)
class Alert:
    rule: Rule
    value: object
    level: str


@dataclass(frozen=True)
class Sensor:
    entity_id: str
    entity_type: str
    name: str
    longitude: float
    latitude: float
    attribute: str
    value: object
    unit: str
    observed_at: datetime | None
    level: str
    x: float = 0.0
    y: float = 0.0
    alerts: tuple[Alert, ...] = ()


@dataclass(frozen=True)
class Dashboard:
    tenant: Tenant
    sensors: list[Sensor]
    alerts: list[Sensor]
    width: int
    height: int


def cities() -> list[Tenant]:
    return list(Tenant.objects.exclude(name="").order_by("name"))


def rules_for(tenant: Tenant) -> dict[tuple[str, str], Rule]:
    """The rules in force in ``tenant``: the defaults, overridden, added to or switched
    off by the city's rows."""
    rules = {rule.key: rule for rule in default_rules()}
    for row in ThresholdRule.objects.filter(tenant=tenant).order_by("id"):
        key = (row.entity_type, row.attribute)
        if row.is_active:
            rules[key] = rule_from({name: getattr(row, name) for name in FIELDS})
        else:
            rules.pop(key, None)
    return rules


def _held_level(tenant: Tenant, entity_id: str, iri: str, rule: Rule, at: datetime) -> str:
    """The level ``rule`` gives to every value in force over the ``hold_minutes`` before
    ``at`` (the weakest of them), or ``ok`` when the history does not reach back."""
    start = at - timedelta(minutes=rule.hold_minutes)
    history = Observation.objects.filter(tenant=tenant, entity_id=entity_id, attr=iri)
    before = history.filter(observed_at__lte=start).order_by("-observed_at")
    first = before.values_list("number", flat=True)[:1]
    if not first:
        return "ok"
    inside = history.filter(observed_at__gt=start, observed_at__lte=at)
    values = [*first, *inside.values_list("number", flat=True)]
    levels = [rule.level(v) for v in values]
    return min(levels, key=("ok", "warning", "alarm").index)


def _alerts(
    tenant: Tenant, entity_id: str, attrs: dict[str, list[dict[str, object]]], rules: list[Rule]
) -> tuple[Alert, ...]:
    found = []
    for rule in rules:
        iri = core_terms().expand(rule.attribute)
        instance = (attrs.get(iri) or [{}])[0]
        value = instance.get("value")
        level = rule.level(value)
        observed = instance.get("observedAt")
        if level != "ok" and rule.hold_minutes and isinstance(observed, str):
            level = _held_level(tenant, entity_id, iri, rule, parse_time(observed, "observedAt"))
        if level != "ok":
            found.append(Alert(rule, value, level))
    return tuple(found)


def _sensor(tenant: Tenant, row: Entity, rules: dict[str, list[Rule]]) -> Sensor | None:
    data = row.data
    entity_type = data["type"][0].removeprefix(DEFAULT_VOCAB)
    attrs = data["attrs"]
    location = next(
        (i["value"] for i in attrs.get(LOCATION, []) if i["type"] == "GeoProperty"), None
    )
    if location is None or location["type"] != "Point":
        return None
    main = MAIN_ATTRIBUTE.get(entity_type, "")
    instance = (attrs.get(core_terms().expand(main)) or [{}])[0] if main else {}
    name_attr = (attrs.get(DEFAULT_VOCAB + "name") or [{}])[0]
    observed = instance.get("observedAt")
    alerts = _alerts(tenant, data["id"], attrs, rules.get(entity_type, []))
    return Sensor(
        entity_id=data["id"],
        entity_type=entity_type,
        name=str(name_attr.get("value") or data["id"].rsplit(":", 1)[-1]),
        longitude=float(location["coordinates"][0]),
        latitude=float(location["coordinates"][1]),
        attribute=main,
        value=instance.get("value"),
        unit=str(instance.get("unitCode", "")),
        observed_at=parse_time(observed, "observedAt") if observed else None,
        level=worst(a.level for a in alerts),
        alerts=alerts,
    )


def city_dashboard(
    *, tenant: str, width: int = 600, height: int = 600, types: frozenset[str] | None = None
) -> Dashboard | None:
    """The sensors of ``tenant`` (a city) with their latest values (of the entity
    ``types`` only, when given), or None."""
    row_tenant = Tenant.objects.filter(name=tenant).exclude(name="").first()
    if row_tenant is None:
        return None
    by_type: dict[str, list[Rule]] = {}
    for rule in rules_for(row_tenant).values():
        by_type.setdefault(rule.entity_type, []).append(rule)
    known = set(MAIN_ATTRIBUTE) | set(by_type)
    wanted = known & types if types is not None else known
    rows = Entity.objects.filter(
        tenant=row_tenant, type__in=[DEFAULT_VOCAB + t for t in sorted(wanted)]
    ).order_by("type", "entity_id")[:MAX_SENSORS]
    sensors = [s for s in (_sensor(row_tenant, r, by_type) for r in rows) if s is not None]
    if sensors:
        min_x = min(s.longitude for s in sensors)
        max_x = max(s.longitude for s in sensors)
        min_y = min(s.latitude for s in sensors)
        max_y = max(s.latitude for s in sensors)
        span = max(max_x - min_x, max_y - min_y, 1e-3)
        pad = 30
        scale = (min(width, height) - 2 * pad) / span
        sensors = [
            replace(
                s,
                x=round(pad + (s.longitude - min_x) * scale, 1),
                y=round(height - pad - (s.latitude - min_y) * scale, 1),
            )
            for s in sensors
        ]
    alerts = sorted(
        (s for s in sensors if s.level != "ok"),
        key=lambda s: (s.level != "alarm", s.entity_type, s.entity_id),
    )
    return Dashboard(row_tenant, sensors, alerts, width, height)


# The alerts the public is warned of (the others are for the city's staff).
PUBLIC_TYPES = frozenset({"FloodMonitoring", "AirQualityObserved"})


@dataclass(frozen=True)
class PublicWarning:
    city: Tenant
    sensor: Sensor
    alert: Alert


def public_warnings() -> list[PublicWarning]:
    """The flood and air-quality alerts in force in every city, alarms first: what the
    public warnings page and its feed show (sensor readings: no personal data)."""
    found = []
    for tenant in cities():
        board = city_dashboard(tenant=tenant.name, types=PUBLIC_TYPES)
        if board is None:
            continue
        found += [PublicWarning(tenant, s, a) for s in board.sensors for a in s.alerts]
    found.sort(
        key=lambda w: (w.alert.level != "alarm", w.city.name, w.sensor.entity_type, w.sensor.name)
    )
    return found


MAX_POINTS = 288  # one every 5 minutes over a day
MAX_ROWS = 20_000


@dataclass(frozen=True)
class SensorHistory:
    sensor: Sensor
    series: list[tuple[datetime, float]]  # time order, averaged when dense
    limits: list[tuple[float, str]]  # (value, level) of the rules on the attribute
    hours: int
    city_title: str


def _thin(rows: list[tuple[datetime, float]]) -> list[tuple[datetime, float]]:
    """At most MAX_POINTS points: equal-count buckets averaged (time of the bucket's
    middle reading)."""
    if len(rows) <= MAX_POINTS:
        return rows
    size = math.ceil(len(rows) / MAX_POINTS)
    thinned = []
    for i in range(0, len(rows), size):
        bucket = rows[i : i + size]
        thinned.append((bucket[len(bucket) // 2][0], sum(v for _t, v in bucket) / len(bucket)))
    return thinned


def sensor_history(*, tenant: str, entity_id: str, hours: int = 24) -> SensorHistory | None:
    """One sensor of a city with its main attribute over the ``hours`` before its latest
    reading (from the history), or None."""
    row_tenant = Tenant.objects.filter(name=tenant).exclude(name="").first()
    if row_tenant is None:
        return None
    row = Entity.objects.filter(tenant=row_tenant, entity_id=entity_id).first()
    if row is None:
        return None
    by_type: dict[str, list[Rule]] = {}
    for rule in rules_for(row_tenant).values():
        by_type.setdefault(rule.entity_type, []).append(rule)
    sensor = _sensor(row_tenant, row, by_type)
    if sensor is None or not sensor.attribute:
        return None
    iri = core_terms().expand(sensor.attribute)
    history = Observation.objects.filter(
        tenant=row_tenant, entity_id=entity_id, attr=iri, dataset_id="", number__isnull=False
    )
    latest = history.order_by("-observed_at").values_list("observed_at", flat=True).first()
    series: list[tuple[datetime, float]] = []
    if latest is not None:
        rows = history.filter(observed_at__gt=latest - timedelta(hours=hours)).order_by(
            "-observed_at"
        )
        recent = list(rows.values_list("observed_at", "number")[:MAX_ROWS])
        series = _thin([(t, float(v)) for t, v in reversed(recent) if v is not None])
    limits = [
        (limit, level)
        for rule in by_type.get(sensor.entity_type, [])
        if rule.attribute == sensor.attribute
        for limit, level in ((rule.warning, "warning"), (rule.alarm, "alarm"))
    ]
    return SensorHistory(sensor, series, limits, hours, row_tenant.title)
