"""Threshold rules of the city operations centre: which reading of which entity type
raises an alert, at which level. Levels: ``ok``, ``warning``, ``alarm``.

* PM2.5 (µg/m³, AirQualityObserved.pm25): above 55.5 is unhealthy (VN_AQI/US AQI
  "unhealthy" band) → warning; above 150.5 → alarm.
* River level (m, FloodMonitoring.currentLevel), at the Hương river's Kim Long gauge the
  alarm levels are 1.0 m (BĐ1), 2.0 m (BĐ2) and 3.5 m (BĐ3): BĐ2 → warning, BĐ3 → alarm.
* Traffic (km/h, TrafficFlowObserved.averageVehicleSpeed): below 15 → warning
  (congestion), below 8 → alarm.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    entity_type: str
    attribute: str
    above: bool  # True: alert when the value is above the limits
    warning: float
    alarm: float
    label: str  # Vietnamese first: what the alert says


RULES: dict[str, Rule] = {
    rule.entity_type: rule
    for rule in (
        Rule("AirQualityObserved", "pm25", True, 55.5, 150.5, "Bụi mịn PM2.5 vượt ngưỡng"),
        Rule("FloodMonitoring", "currentLevel", True, 2.0, 3.5, "Mực nước sông vượt báo động"),
        Rule("TrafficFlowObserved", "averageVehicleSpeed", False, 15, 8, "Ùn tắc giao thông"),
    )
}

# The reading each type shows first on the dashboard.
MAIN_ATTRIBUTE = {
    "AirQualityObserved": "pm25",
    "FloodMonitoring": "currentLevel",
    "TrafficFlowObserved": "averageVehicleSpeed",
    "WeatherObserved": "temperature",
    "Streetlight": "powerState",
    "ParkingSpot": "status",
}


def level(entity_type: str, value: object) -> str:
    rule = RULES.get(entity_type)
    if rule is None or isinstance(value, bool) or not isinstance(value, (int, float)):
        return "ok"
    if rule.above:
        if value > rule.alarm:
            return "alarm"
        return "warning" if value > rule.warning else "ok"
    if value < rule.alarm:
        return "alarm"
    return "warning" if value < rule.warning else "ok"
