"""Detection rules as data, run on each new security event.

Three kinds of rule (``DetectionRule.Kind``):

* threshold — at least ``threshold`` events of ``event_kinds`` for one key (source
  address or actor) within ``window_seconds``, counting the new event: the rule fires
  when the count *reaches* the threshold, never below it;
* sequence — a ``then_kind`` event for a key that had at least ``threshold`` events of
  ``event_kinds`` within ``window_seconds`` before it;
* off_hours — a watched event outside the rule's office hours or on a day off of the
  working-day calendar (``kernel.workdays``: weekends, public holidays, make-up days).

Each evaluation is one indexed COUNT over the window (``secevt_kind_ip_idx`` or
``secevt_kind_actor_idx``); events are read only when an alert opens. While an alert of
a rule and key is open or acknowledged, further matching events become its evidence
instead of opening another one (a partial unique constraint makes that hold under
concurrent writers too).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import IntegrityError, models, transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from nentang.audit.models import Alert, AlertEvidence, DetectionRule, SecurityEvent
from nentang.audit.services.entries import record
from nentang.audit.services.security.events import event_snapshot
from nentang.kernel import workdays
from nentang.kernel.auditing import Actor

DETECTOR = Actor.system("audit.detector")
# Evidence copied when an alert opens (the most recent events of the window), and the
# most an alert keeps: an attacker must not turn one alert into an unbounded table.
EVIDENCE_ON_OPEN = 100
EVIDENCE_LIMIT = 1000


def _watches(rule: DetectionRule, event: SecurityEvent) -> bool:
    if rule.kind == DetectionRule.Kind.SEQUENCE:
        return event.kind == rule.then_kind
    return event.kind in rule.event_kinds


def _key(rule: DetectionRule, event: SecurityEvent) -> str:
    if rule.group_by == DetectionRule.GroupBy.SOURCE_IP:
        return event.source_ip or ""
    return event.actor


def _same_key(rule: DetectionRule, key: str) -> models.Q:
    if rule.group_by == DetectionRule.GroupBy.SOURCE_IP:
        return models.Q(source_ip=key)
    return models.Q(actor=key)


def outside_office_hours(rule: DetectionRule, moment: datetime) -> bool:
    """Is ``moment`` on a day off of the calendar, or outside [office_start, office_end)?"""
    local = moment.astimezone(ZoneInfo(rule.time_zone))
    if not workdays.current_calendar().is_working_day(local.date()):
        return True
    start, end = rule.office_start, rule.office_end
    if start is not None and local.time() < start:
        return True
    return end is not None and local.time() >= end


def _window_events(
    rule: DetectionRule, key: str, event: SecurityEvent, *, before: bool
) -> models.QuerySet[SecurityEvent]:
    end = event.occurred_at
    start = end - timedelta(seconds=rule.window_seconds)
    window = models.Q(occurred_at__gt=start) & (
        models.Q(occurred_at__lt=end) if before else models.Q(occurred_at__lte=end)
    )
    # Across systems: one address attacking two systems is one attack, and one alert
    # per rule and key is what the partial unique constraint keeps.
    return SecurityEvent.objects.filter(_same_key(rule, key), window, kind__in=rule.event_kinds)


def _latest(events: models.QuerySet[SecurityEvent]) -> list[SecurityEvent]:
    newest_first = list(events.order_by("-occurred_at", "-id")[:EVIDENCE_ON_OPEN])
    return newest_first[::-1]


def _fires(
    rule: DetectionRule, key: str, event: SecurityEvent
) -> tuple[int, list[SecurityEvent]] | None:
    """(events counted, evidence) when ``event`` makes ``rule`` fire for ``key``."""
    if rule.kind == DetectionRule.Kind.OFF_HOURS:
        return (1, [event]) if outside_office_hours(rule, event.occurred_at) else None
    if rule.kind == DetectionRule.Kind.SEQUENCE:
        before = _window_events(rule, key, event, before=True)
        count = before.count()
        if count < rule.threshold:
            return None
        return count + 1, [*_latest(before), event]
    window = _window_events(rule, key, event, before=False)
    count = window.count()
    if count < rule.threshold:
        return None
    return count, _latest(window)


def _evidence_rows(alert: Alert, events: Sequence[SecurityEvent]) -> list[AlertEvidence]:
    code = alert.system.code
    return [
        AlertEvidence(
            alert=alert,
            event_id=event.pk,
            occurred_at=event.occurred_at,
            snapshot=event_snapshot(event, code),
        )
        for event in events
    ]


def _add_evidence(alert: Alert, event: SecurityEvent) -> None:
    Alert.objects.filter(pk=alert.pk).update(
        event_count=F("event_count") + 1,
        last_event_at=Greatest(
            "last_event_at", Value(event.occurred_at, output_field=models.DateTimeField())
        ),
    )
    if alert.event_count < EVIDENCE_LIMIT:
        AlertEvidence.objects.bulk_create(_evidence_rows(alert, [event]), ignore_conflicts=True)


def _open(
    rule: DetectionRule, key: str, event: SecurityEvent, count: int, evidence: list[SecurityEvent]
) -> Alert:
    try:
        with transaction.atomic():
            alert = Alert.objects.create(
                rule=rule,
                severity=rule.severity,
                key=key,
                state=Alert.State.OPEN,
                opened_at=timezone.now(),
                first_event_at=evidence[0].occurred_at,
                last_event_at=event.occurred_at,
                event_count=count,
                system=event.system,
            )
    except IntegrityError:
        # A concurrent writer opened it first: join that alert.
        alert = Alert.objects.select_related("system").get(
            rule=rule, key=key, state__in=Alert.ACTIVE_STATES
        )
        _add_evidence(alert, event)
        return alert
    AlertEvidence.objects.bulk_create(_evidence_rows(alert, evidence))
    record(
        actor=DETECTOR,
        action="audit.alert.open",
        subject_type="audit.alert",
        subject=str(alert.pk),
        # No key: an address or a pseudonym is for the SOC, not for the public log.
        summary={"rule": rule.code, "severity": rule.severity, "system": event.system.code},
    )
    return alert


def detect(event: SecurityEvent) -> list[Alert]:
    """Run the active rules on a just-stored ``event``; returns the alerts it touched."""
    keyed = [
        (rule, key)
        for rule in DetectionRule.objects.filter(is_active=True)
        if _watches(rule, event) and (key := _key(rule, event))
    ]
    if not keyed:
        return []
    active = {
        (alert.rule_id, alert.key): alert
        for alert in Alert.objects.select_related("system").filter(
            state__in=Alert.ACTIVE_STATES,
            rule__in=[rule for rule, _key in keyed],
            key__in={key for _rule, key in keyed},
        )
    }
    touched = []
    for rule, key in keyed:
        alert = active.get((rule.pk, key))
        if alert is not None:
            _add_evidence(alert, event)
            touched.append(alert)
            continue
        fired = _fires(rule, key, event)
        if fired is not None:
            touched.append(_open(rule, key, event, *fired))
    return touched
