"""The city operations centre (IOC) pages: the cities, and per city a map of its
sensors with their latest values, the alerts raised by the threshold rules and a table
of every sensor. Public: sensor readings carry no personal data."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from nentang.smartcity import selectors

TYPE_LABELS = {
    "AirQualityObserved": _("Air quality"),
    "TrafficFlowObserved": _("Traffic"),
    "WeatherObserved": _("Weather"),
    "FloodMonitoring": _("River level"),
    "Streetlight": _("Street light"),
    "ParkingSpot": _("Parking spot"),
}
LEVEL_LABELS = {"ok": _("Normal"), "warning": _("Warning"), "alarm": _("Alarm")}
UNITS = {"GQ": "µg/m³", "MTR": "m", "KMH": "km/h", "CEL": "°C", "P1": "%", "E50": ""}
VALUE_LABELS = {
    "on": _("on"),
    "off": _("off"),
    "free": _("free"),
    "occupied": _("occupied"),
}


def _shown(sensor: selectors.Sensor) -> str:
    return _value(sensor.value, sensor.unit)


def _value(value: object, unit_code: str) -> str:
    if isinstance(value, str):
        return str(VALUE_LABELS.get(value, value))
    if value is None:
        return "—"
    unit = UNITS.get(unit_code, unit_code)
    number = (
        f"{value:,.1f}".replace(",", " ").replace(".", ",")
        if isinstance(value, float)
        else str(value)
    )
    return f"{number} {unit}".strip()


@require_http_methods(["GET"])
def cities(request: HttpRequest) -> HttpResponse:
    return render(request, "smartcity/cities.html", {"cities": selectors.cities()})


@require_http_methods(["GET"])
def city(request: HttpRequest, tenant: str) -> HttpResponse:
    board = selectors.city_dashboard(tenant=tenant)
    if board is None:
        raise Http404
    rows: list[dict[str, Any]] = [
        {
            "sensor": s,
            "type_label": TYPE_LABELS.get(s.entity_type, s.entity_type),
            "level_label": LEVEL_LABELS[s.level],
            "shown": _shown(s),
        }
        for s in board.sensors
    ]
    language = get_language()
    alerts: list[dict[str, Any]] = [
        {
            "sensor": s,
            "level": alert.level,
            "level_label": LEVEL_LABELS[alert.level],
            "alert_label": alert.rule.title(language),
            "shown": _value(alert.value, alert.rule.unit_code),
        }
        for s in board.sensors
        for alert in s.alerts
    ]
    alerts.sort(key=lambda row: (row["level"] != "alarm", str(row["sensor"].entity_id)))
    counts = {
        label: sum(1 for s in board.sensors if s.entity_type == key)
        for key, label in TYPE_LABELS.items()
    }
    return render(
        request,
        "smartcity/city.html",
        {"board": board, "rows": rows, "alerts": alerts, "counts": counts},
    )
