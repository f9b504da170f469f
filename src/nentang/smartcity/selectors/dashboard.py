"""The city operations centre's reads: every sensor of a city with its latest reading
and alert level, the alerts, and the points projected on the city's map. Sensor data
is public (no personal data), so these reads need no grant."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from nentang.smartcity.models import Entity, Tenant
from nentang.smartcity.ngsild.contexts import DEFAULT_VOCAB, core_terms
from nentang.smartcity.ngsild.entities import LOCATION, parse_time
from nentang.smartcity.thresholds import MAIN_ATTRIBUTE, RULES, level

MAX_SENSORS = 2000


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


@dataclass(frozen=True)
class Dashboard:
    tenant: Tenant
    sensors: list[Sensor]
    alerts: list[Sensor]
    width: int
    height: int


def cities() -> list[Tenant]:
    return list(Tenant.objects.exclude(name="").order_by("name"))


def _sensor(row: Entity) -> Sensor | None:
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
    value = instance.get("value")
    observed = instance.get("observedAt")
    return Sensor(
        entity_id=data["id"],
        entity_type=entity_type,
        name=str(name_attr.get("value") or data["id"].rsplit(":", 1)[-1]),
        longitude=float(location["coordinates"][0]),
        latitude=float(location["coordinates"][1]),
        attribute=main,
        value=value,
        unit=str(instance.get("unitCode", "")),
        observed_at=parse_time(observed, "observedAt") if observed else None,
        level=level(entity_type, value),
    )


def city_dashboard(*, tenant: str, width: int = 600, height: int = 600) -> Dashboard | None:
    """The sensors of ``tenant`` (a city) with their latest values, or None."""
    row_tenant = Tenant.objects.filter(name=tenant).exclude(name="").first()
    if row_tenant is None:
        return None
    rows = Entity.objects.filter(
        tenant=row_tenant,
        type__in=[DEFAULT_VOCAB + t for t in MAIN_ATTRIBUTE],
    ).order_by("type", "entity_id")[:MAX_SENSORS]
    sensors = [s for s in (_sensor(r) for r in rows) if s is not None]
    if sensors:
        min_x = min(s.longitude for s in sensors)
        max_x = max(s.longitude for s in sensors)
        min_y = min(s.latitude for s in sensors)
        max_y = max(s.latitude for s in sensors)
        span = max(max_x - min_x, max_y - min_y, 1e-3)
        pad = 30
        scale = (min(width, height) - 2 * pad) / span
        sensors = [
            Sensor(
                **{
                    **s.__dict__,
                    "x": round(pad + (s.longitude - min_x) * scale, 1),
                    "y": round(height - pad - (s.latitude - min_y) * scale, 1),
                }
            )
            for s in sensors
        ]
    alerts = sorted(
        (s for s in sensors if s.level != "ok"),
        key=lambda s: (s.level != "alarm", s.entity_type, s.entity_id),
    )
    return Dashboard(row_tenant, sensors, alerts, width, height)


def rule_label(entity_type: str) -> str:
    rule = RULES.get(entity_type)
    return rule.label if rule else ""
