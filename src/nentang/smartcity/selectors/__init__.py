"""Read operations of the smartcity context, with their permission checks: a machine
client reads only the tenants it holds a grant for (``services.common.tenant_for``).
Sensor data carries no personal data; citizen reports are read through ``reports``
(the reporter, the officers of the city's agency, the public for resolved ones)."""

from __future__ import annotations

from nentang.smartcity.selectors import reports
from nentang.smartcity.selectors.dashboard import (
    Dashboard,
    PublicWarning,
    Sensor,
    SensorHistory,
    cities,
    city_dashboard,
    public_warnings,
    sensor_history,
)
from nentang.smartcity.selectors.entities import (
    EntityView,
    QueryResult,
    device_for,
    devices_for,
    entity_get,
    entity_query,
    subscription_get,
    subscription_list,
)
from nentang.smartcity.selectors.temporal import (
    Aggregation,
    Window,
    aggregation,
    temporal_get,
    temporal_query,
    window,
)

__all__ = [
    "Aggregation",
    "Dashboard",
    "EntityView",
    "PublicWarning",
    "QueryResult",
    "Sensor",
    "SensorHistory",
    "Window",
    "aggregation",
    "cities",
    "city_dashboard",
    "device_for",
    "devices_for",
    "entity_get",
    "entity_query",
    "public_warnings",
    "reports",
    "sensor_history",
    "subscription_get",
    "subscription_list",
    "temporal_get",
    "temporal_query",
    "window",
]
