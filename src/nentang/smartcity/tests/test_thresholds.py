"""Alert thresholds as data: the shipped defaults file validates and a broken one is
refused with the rule and field at fault; a city overrides, adds or switches off a rule
(validated, audited, idempotent); "for an hour" rules alert only when the history shows
the value held beyond the limit that long."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from nentang.kernel.errors import NotFound, ValidationFailed
from nentang.smartcity import selectors, services, thresholds
from nentang.smartcity.models import ThresholdRule
from nentang.smartcity.tests.conftest import OPERATOR, Ngsi


def test_the_shipped_rules_and_their_levels() -> None:
    rules = {rule.key: rule for rule in thresholds.default_rules()}
    pm25 = rules[("AirQualityObserved", "pm25")]
    assert (pm25.warning, pm25.alarm, pm25.hold_minutes) == (55.5, 150.5, 60)
    assert [pm25.level(v) for v in (35.0, 60.0, 151.0, "high", True, None)] == [
        "ok",
        "warning",
        "alarm",
        "ok",
        "ok",
        "ok",
    ]
    river = rules[("FloodMonitoring", "currentLevel")]
    assert (river.level(2.5), river.level(3.6)) == ("warning", "alarm")
    traffic = rules[("TrafficFlowObserved", "averageVehicleSpeed")]
    assert (traffic.level(12), traffic.level(5), traffic.level(40)) == ("warning", "alarm", "ok")
    assert pm25.title("vi") == "Bụi mịn PM2.5 vượt ngưỡng"
    assert pm25.title("en") == "Fine dust PM2.5 above the limit"


GOOD: dict[str, Any] = {
    "entity_type": "AirQualityObserved",
    "attribute": "no2",
    "direction": "above",
    "warning": 100,
    "alarm": 200,
    "hold_minutes": 60,
    "unit_code": "GQ",
    "label": "NO2 vượt ngưỡng",
    "label_en": "NO2 above the limit",
}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"version": 2, "rules": [GOOD]}), "version 1"),
        (json.dumps({"version": 1, "rules": []}), "non-empty list"),
        (
            json.dumps({"version": 1, "rules": [GOOD, GOOD]}),
            "rule 2: ('AirQualityObserved', 'no2')",
        ),
        (json.dumps({"version": 1, "rules": [{**GOOD, "alarm": 50}]}), "rule 1: alarm"),
        (json.dumps({"version": 1, "rules": [{**GOOD, "direction": "up"}]}), "rule 1: direction"),
        (json.dumps({"version": 1, "rules": [{**GOOD, "warning": "NaN"}]}), "rule 1: warning"),
        (json.dumps({"version": 1, "rules": [{**GOOD, "hold_minutes": -1}]}), "hold_minutes"),
        (json.dumps({"version": 1, "rules": [{**GOOD, "attribute": "a b"}]}), "attribute"),
        (json.dumps({"version": 1, "rules": [{**GOOD, "label": " "}]}), "rule 1: label"),
        (json.dumps({"version": 1, "rules": [{**GOOD, "colour": "red"}]}), "unknown fields"),
        (json.dumps({"version": 1, "rules": ["pm25 > 55"]}), "expected an object"),
    ],
)
def test_a_broken_thresholds_file_is_refused(document: str, message: str) -> None:
    with pytest.raises(thresholds.ThresholdFileError, match=re.escape(message)):
        thresholds.parse_rules(document)


def _air(pm25: float, at: str) -> dict[str, Any]:
    return {
        "id": "urn:ngsi-ld:AirQualityObserved:hue-kimlong",
        "type": "AirQualityObserved",
        "pm25": {"type": "Property", "value": pm25, "unitCode": "GQ", "observedAt": at},
        "name": {"type": "Property", "value": "Trạm Kim Long"},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [107.56, 16.46]},
        },
    }


def _alerts(tenant: str = "hue") -> list[tuple[str, str, object]]:
    board = selectors.city_dashboard(tenant=tenant)
    assert board is not None
    return [(a.rule.attribute, a.level, a.value) for s in board.sensors for a in s.alerts]


@pytest.mark.django_db
def test_an_hour_long_rule_needs_an_hour_of_history(ngsi: Ngsi) -> None:
    readings = [(30, "07:00"), (70, "07:20"), (80, "07:40")]
    for value, at in readings:
        answer = ngsi.call(
            "POST", "/entityOperations/upsert?options=update", [_air(value, f"2026-12-01T{at}:00Z")]
        )
        assert answer.status_code in (201, 204), answer.content
    # Above 55.5 for 20 minutes only (07:20 → 07:40): nothing yet.
    assert _alerts() == []
    for value, at in [(90, "08:00"), (160, "08:20"), (95, "08:30")]:
        ngsi.call(
            "POST", "/entityOperations/upsert?options=update", [_air(value, f"2026-12-01T{at}:00Z")]
        )
    # 07:30 → 08:30: 70 (in force at 07:30), 80, 90, 160, 95: a warning held for the hour,
    # not an alarm (160 lasted ten minutes).
    assert _alerts() == [("pm25", "warning", 95)]
    # A dip below the limit inside the hour ends the alert.
    ngsi.call("POST", "/entityOperations/upsert?options=update", [_air(40, "2026-12-01T08:40:00Z")])
    ngsi.call(
        "POST", "/entityOperations/upsert?options=update", [_air(100, "2026-12-01T08:50:00Z")]
    )
    assert _alerts() == []


@pytest.mark.django_db
def test_a_city_overrides_adds_and_switches_off_rules(ngsi: Ngsi) -> None:
    from django.apps import apps

    entry = apps.get_model("audit", "AuditEntry").objects.filter(action="smartcity.threshold.set")
    ngsi.call("POST", "/entities", _air(40, "2026-12-01T08:00:00Z"))
    assert _alerts() == []
    entries = entry.count()
    fields: dict[str, Any] = {
        **GOOD,
        "attribute": "pm25",
        "warning": 35,
        "alarm": 75,
        "hold_minutes": 0,
    }
    services.threshold_set(actor=OPERATOR, tenant="hue", **fields)
    assert _alerts() == [("pm25", "warning", 40)]
    assert _alerts("danang") == []  # another city keeps the defaults
    assert entry.count() == entries + 1
    services.threshold_set(actor=OPERATOR, tenant="hue", **fields)  # unchanged
    assert entry.count() == entries + 1
    services.threshold_set(actor=OPERATOR, tenant="hue", is_active=False, **fields)
    assert _alerts() == []
    assert ThresholdRule.objects.get(tenant__name="hue", attribute="pm25").is_active is False


@pytest.mark.django_db
def test_bad_thresholds_are_refused_field_by_field(city: None) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.threshold_set(
            actor=OPERATOR,
            tenant="hue",
            **{**GOOD, "alarm": 10, "hold_minutes": 99_999, "label": "", "entity_type": "x\x00"},
        )
    assert {e.field for e in caught.value.errors} == {
        "alarm",
        "hold_minutes",
        "label",
        "entity_type",
    }
    with pytest.raises(NotFound):
        services.threshold_set(actor=OPERATOR, tenant="atlantis", **GOOD)
    assert ThresholdRule.objects.count() == 0
    row = ThresholdRule(tenant_id=1, **{**GOOD, "direction": "below"})
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as invalid:
        row.clean()
    assert "alarm" in invalid.value.message_dict
