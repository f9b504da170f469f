"""The city operations centre (IOC) pages: the cities, and per city a map of its
sensors with their latest values, the alerts raised by the threshold rules and a table
of every sensor. Public: sensor readings carry no personal data."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from nentang.smartcity import charts, selectors

TYPE_LABELS = {
    "AirQualityObserved": _("Air quality"),
    "TrafficFlowObserved": _("Traffic"),
    "WeatherObserved": _("Weather"),
    "FloodMonitoring": _("River level"),
    "Streetlight": _("Street light"),
    "ParkingSpot": _("Parking spot"),
}
# How often the city page fetches its live part again (htmx polling).
REFRESH_SECONDS = 15
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


def _city_context(tenant: str) -> dict[str, Any]:
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
    return {
        "board": board,
        "rows": rows,
        "alerts": alerts,
        "board_time": timezone.localtime(),
        "refresh_seconds": REFRESH_SECONDS,
    }


@require_http_methods(["GET"])
def city(request: HttpRequest, tenant: str) -> HttpResponse:
    return render(request, "smartcity/city.html", _city_context(tenant))


@never_cache
@require_http_methods(["GET"])
def city_live(request: HttpRequest, tenant: str) -> HttpResponse:
    """The city page's live part (alerts, map, table), fetched again by htmx every
    ``REFRESH_SECONDS`` and swapped in place: the page refreshes without a reload."""
    return render(request, "smartcity/_city_live.html", _city_context(tenant))


ADVICE = {
    "AirQualityObserved": _(
        "Older people, children and people with breathing problems should limit time "
        "outdoors; wear a mask outside."
    ),
    "FloodMonitoring": _(
        "Keep away from low-lying streets and river banks; follow the local authorities' "
        "announcements."
    ),
}


@require_http_methods(["GET"])
def warnings(request: HttpRequest) -> HttpResponse:
    """The flood and air-quality alerts in force, for everyone (no login), by city."""
    language = get_language()
    groups: dict[str, dict[str, Any]] = {}
    for warning in selectors.public_warnings():
        group = groups.setdefault(warning.city.name, {"city": warning.city, "rows": []})
        group["rows"].append(
            {
                "level": warning.alert.level,
                "level_label": LEVEL_LABELS[warning.alert.level],
                "what": warning.alert.rule.title(language),
                "place": warning.sensor.name,
                "shown": _value(warning.alert.value, warning.alert.rule.unit_code),
                "time": warning.sensor.observed_at,
                "advice": ADVICE.get(warning.sensor.entity_type, ""),
            }
        )
    response = render(
        request,
        "smartcity/warnings.html",
        {"groups": list(groups.values()), "now": timezone.localtime()},
    )
    response["Cache-Control"] = "public, max-age=60"
    return response


@require_http_methods(["GET"])
def sensor(request: HttpRequest, tenant: str, entity_id: str) -> HttpResponse:
    """One sensor: its main reading over the last day as an SVG chart with the
    thresholds drawn, and the same readings as a table (the chart's text alternative)."""
    if len(entity_id) > 256 or "\x00" in entity_id:
        raise Http404
    found = selectors.sensor_history(tenant=tenant, entity_id=entity_id)
    if found is None:
        raise Http404
    series = [(timezone.localtime(t), v) for t, v in found.series]
    chart = charts.line_chart(series, limits=found.limits)
    unit = UNITS.get(found.sensor.unit, found.sensor.unit)
    return render(
        request,
        "smartcity/sensor.html",
        {
            "city_title": found.city_title,
            "city": tenant,
            "sensor": found.sensor,
            "type_label": TYPE_LABELS.get(found.sensor.entity_type, found.sensor.entity_type),
            "level_label": LEVEL_LABELS[found.sensor.level],
            "shown": _shown(found.sensor),
            "chart": chart,
            "data_low": _value(min((v for _t, v in series), default=0.0), found.sensor.unit),
            "data_high": _value(max((v for _t, v in series), default=0.0), found.sensor.unit),
            "unit": unit,
            "hours": found.hours,
            "readings": [(t, _value(v, found.sensor.unit)) for t, v in reversed(series)],
            "limits": [
                {"label": LEVEL_LABELS[level], "value": _value(value, found.sensor.unit)}
                for value, level in found.limits
            ],
        },
    )
