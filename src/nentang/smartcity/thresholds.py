"""Threshold rules of the city operations centre, as data: which attribute of which
Smart Data Models entity type raises an alert, at which level, after how long.

The defaults ship as ``data/thresholds.json`` (PM2.5 and PM10 from the US EPA AQI
breakpoints, held for an hour; the Hương river's alarm levels 2 and 3 at Kim Long;
congested traffic), validated when loaded: a malformed file stops the process with the
rule and field at fault, it is never half-read. A city overrides a default, adds a rule
or switches one off with a ``ThresholdRule`` row (Django admin, audited, or
``services.threshold_set``), validated by the same :func:`rule_problems`.

Levels: ``ok``, ``warning``, ``alarm``. A rule with ``hold_minutes`` alerts only when the
value has stayed beyond the limit for that long (see ``selectors.dashboard``).
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

LEVELS = ("ok", "warning", "alarm")
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,99}$")
MAX_HOLD_MINUTES = 7 * 24 * 60
FIELDS = (
    "entity_type",
    "attribute",
    "direction",
    "warning",
    "alarm",
    "hold_minutes",
    "unit_code",
    "label",
    "label_en",
)

# The reading each type shows first on the dashboard (display, not alerting).
MAIN_ATTRIBUTE = {
    "AirQualityObserved": "pm25",
    "FloodMonitoring": "currentLevel",
    "TrafficFlowObserved": "averageVehicleSpeed",
    "WeatherObserved": "temperature",
    "Streetlight": "powerState",
    "ParkingSpot": "status",
}


class ThresholdFileError(ValueError):
    """The thresholds data file is malformed (names the rule and the field)."""


@dataclass(frozen=True)
class Rule:
    entity_type: str
    attribute: str
    above: bool  # True: alert when the value is above the limits
    warning: float
    alarm: float
    hold_minutes: int
    unit_code: str
    label: str  # Vietnamese
    label_en: str

    @property
    def key(self) -> tuple[str, str]:
        return (self.entity_type, self.attribute)

    def level(self, value: object) -> str:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return "ok"
        if self.above:
            if value > self.alarm:
                return "alarm"
            return "warning" if value > self.warning else "ok"
        if value < self.alarm:
            return "alarm"
        return "warning" if value < self.warning else "ok"

    def title(self, language: str | None) -> str:
        return self.label_en if (language or "vi").startswith("en") else self.label


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def rule_problems(raw: Mapping[str, Any]) -> list[tuple[str, str]]:
    """What is wrong with one rule given as a mapping: ``[(field, message)]`` (English
    messages for the data file; the service translates its own)."""
    problems: list[tuple[str, str]] = []
    for name in ("entity_type", "attribute"):
        if not isinstance(raw.get(name), str) or not NAME.match(raw[name]):
            problems.append((name, "a name of letters, digits and _ (at most 100)"))
    if raw.get("direction") not in ("above", "below"):
        problems.append(("direction", "above or below"))
    warning, alarm = _number(raw.get("warning")), _number(raw.get("alarm"))
    if warning is None:
        problems.append(("warning", "a finite number"))
    if alarm is None:
        problems.append(("alarm", "a finite number"))
    if warning is not None and alarm is not None and raw.get("direction") in ("above", "below"):
        if raw["direction"] == "above" and alarm < warning:
            problems.append(("alarm", "at least the warning limit when alerting above"))
        if raw["direction"] == "below" and alarm > warning:
            problems.append(("alarm", "at most the warning limit when alerting below"))
    hold = raw.get("hold_minutes", 0)
    if isinstance(hold, bool) or not isinstance(hold, int) or not 0 <= hold <= MAX_HOLD_MINUTES:
        problems.append(("hold_minutes", f"a whole number from 0 to {MAX_HOLD_MINUTES}"))
    unit = raw.get("unit_code", "")
    if not isinstance(unit, str) or len(unit) > 10:
        problems.append(("unit_code", "a UN/CEFACT unit code of at most 10 characters"))
    for name in ("label", "label_en"):
        label = raw.get(name)
        if not isinstance(label, str) or not label.strip() or len(label) > 200:
            problems.append((name, "a text of 1 to 200 characters"))
    return problems


def rule_from(raw: Mapping[str, Any]) -> Rule:
    """A :class:`Rule` from a mapping that :func:`rule_problems` accepted."""
    return Rule(
        entity_type=raw["entity_type"],
        attribute=raw["attribute"],
        above=raw["direction"] == "above",
        warning=float(raw["warning"]),
        alarm=float(raw["alarm"]),
        hold_minutes=int(raw.get("hold_minutes", 0)),
        unit_code=str(raw.get("unit_code", "")),
        label=raw["label"].strip(),
        label_en=raw["label_en"].strip(),
    )


def parse_rules(text: str) -> tuple[Rule, ...]:
    """The rules of a thresholds file, or :class:`ThresholdFileError` naming the fault."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise ThresholdFileError(f"not JSON: {error}") from None
    if not isinstance(document, dict) or document.get("version") != 1:
        raise ThresholdFileError("expected an object with version 1")
    raw_rules = document.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ThresholdFileError("rules must be a non-empty list")
    rules: list[Rule] = []
    seen: set[tuple[str, str]] = set()
    for number, raw in enumerate(raw_rules, start=1):
        if not isinstance(raw, dict):
            raise ThresholdFileError(f"rule {number}: expected an object")
        unknown = set(raw) - set(FIELDS) - {"source"}
        if unknown:
            raise ThresholdFileError(f"rule {number}: unknown fields {sorted(unknown)}")
        problems = rule_problems(raw)
        if problems:
            field, message = problems[0]
            raise ThresholdFileError(f"rule {number}: {field} must be {message}")
        rule = rule_from(raw)
        if rule.key in seen:
            raise ThresholdFileError(f"rule {number}: {rule.key} is given twice")
        seen.add(rule.key)
        rules.append(rule)
    return tuple(rules)


@lru_cache(maxsize=1)
def default_rules() -> tuple[Rule, ...]:
    text = resources.files("nentang.smartcity").joinpath("data/thresholds.json").read_text("utf-8")
    return parse_rules(text)


def worst(levels: Any) -> str:
    return max(levels, key=LEVELS.index, default="ok")
