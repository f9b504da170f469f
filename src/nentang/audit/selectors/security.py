"""Reads of security monitoring, each checked against the operator's permission.

Security events carry source addresses and pseudonyms: only SOC operators (active staff
with the ``audit`` view permissions) see them. The audit-log browser shows each entry
with its leaf index once the integrator has sequenced it, and whether the latest signed
checkpoint covers it (leaf index < checkpoint size): the transparency log's own reads
(``selectors.tlog``) give the checkpoint; leaves are read here, read-only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.audit.models import (
    Alert,
    AlertEvidence,
    AlertTransition,
    AuditEntry,
    Checkpoint,
    DetectionRule,
    PendingEntry,
    RetentionPolicy,
    SecurityEvent,
    System,
)
from nentang.audit.problems import ALERT_NOT_FOUND, SYSTEM_NOT_FOUND
from nentang.audit.selectors.tlog import checkpoint_latest
from nentang.audit.services.security.access import (
    CHANGE_ALERTS,
    VIEW_ALERTS,
    VIEW_AUDIT_LOG,
    VIEW_EVENTS,
    VIEW_SYSTEMS,
    Operator,
    require,
)
from nentang.kernel.errors import NotFound
from nentang.kernel.pagination import Page, paginate

__all__ = [
    "ActivityDay",
    "AlertCounts",
    "AlertDetail",
    "AuditLogPage",
    "AuditLogRow",
    "SystemRow",
    "alert_counts",
    "alert_detail",
    "alert_operators",
    "alert_page",
    "audit_log_page",
    "detection_rule_list",
    "retention_policy_list",
    "security_activity",
    "security_event_page",
    "system_get",
    "system_list",
]

MAX_EVIDENCE_SHOWN = 500


@dataclass(frozen=True)
class AlertCounts:
    by_state: dict[str, int]
    active_by_severity: dict[str, int]

    @property
    def active(self) -> int:
        return self.by_state.get("open", 0) + self.by_state.get("acknowledged", 0)


def alert_counts(*, viewer: Operator) -> AlertCounts:
    """How many alerts in each state, and active ones (open or acknowledged) by severity."""
    require(viewer, VIEW_ALERTS)
    by_state: Counter[str] = Counter()
    by_severity: Counter[str] = Counter()
    for row in Alert.objects.values("state", "severity").annotate(n=Count("id")).order_by():
        by_state[row["state"]] += row["n"]
        if row["state"] in Alert.ACTIVE_STATES:
            by_severity[row["severity"]] += row["n"]
    return AlertCounts(by_state=dict(by_state), active_by_severity=dict(by_severity))


@dataclass(frozen=True)
class ActivityDay:
    day: date
    events: int
    alerts: int


def security_activity(
    *, viewer: Operator, days: int = 14, now: datetime | None = None
) -> list[ActivityDay]:
    """Security events recorded and alerts opened per day (Vietnam time) over the last
    ``days`` days, oldest first, every day present (zero when quiet)."""
    require(viewer, VIEW_EVENTS)
    require(viewer, VIEW_ALERTS)
    zone = timezone.get_current_timezone()
    today = timezone.localtime(now or timezone.now(), zone).date()
    first = today - timedelta(days=days - 1)
    since = datetime.combine(first, time.min, tzinfo=zone)

    def per_day(model: Any, field: str) -> dict[date, int]:
        rows = (
            model.objects.filter(**{f"{field}__gte": since})
            .annotate(day=TruncDate(field, tzinfo=zone))
            .values("day")
            .annotate(n=Count("pk"))
            .order_by()
        )
        return {row["day"]: row["n"] for row in rows}

    events = per_day(SecurityEvent, "occurred_at")
    alerts = per_day(Alert, "opened_at")
    return [
        ActivityDay(day=day, events=events.get(day, 0), alerts=alerts.get(day, 0))
        for day in (first + timedelta(days=i) for i in range(days))
    ]


def alert_operators(*, viewer: Operator) -> list[str]:
    """Logins of the active staff who may handle alerts (to assign one to them)."""
    require(viewer, VIEW_ALERTS)
    users = ModelBackend().with_perm(CHANGE_ALERTS, is_active=True, include_superusers=True)
    field = get_user_model().USERNAME_FIELD
    return sorted(
        getattr(user, field)
        for user in users.filter(is_active=True, is_staff=True).order_by()[:500]
    )


def alert_page(
    *,
    viewer: Operator,
    states: Sequence[str] = Alert.ACTIVE_STATES,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[Alert]:
    """Alerts in ``states``, newest first."""
    require(viewer, VIEW_ALERTS)
    alerts = Alert.objects.filter(state__in=list(states)).select_related("rule", "system")
    return paginate(alerts, order=("-opened_at", "-id"), cursor=cursor, limit=limit)


@dataclass(frozen=True)
class AlertDetail:
    alert: Alert
    evidence: list[AlertEvidence]
    transitions: list[AlertTransition]
    evidence_total: int


def alert_detail(*, viewer: Operator, alert_id: UUID | str) -> AlertDetail:
    require(viewer, VIEW_ALERTS)
    missing = NotFound(_("There is no alert with this id."), code=ALERT_NOT_FOUND)
    try:
        pk = alert_id if isinstance(alert_id, UUID) else UUID(str(alert_id))
    except ValueError:
        raise missing from None
    alert = Alert.objects.select_related("rule", "system").filter(pk=pk).first()
    if alert is None:
        raise missing
    evidence = list(alert.evidence.order_by("occurred_at", "event_id")[:MAX_EVIDENCE_SHOWN])
    total = len(evidence)
    if total == MAX_EVIDENCE_SHOWN:
        total = alert.evidence.count()
    return AlertDetail(
        alert=alert,
        evidence=evidence,
        transitions=list(alert.transitions.all()),
        evidence_total=total,
    )


def security_event_page(
    *,
    viewer: Operator,
    kind: str | None = None,
    source_ip: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[SecurityEvent]:
    """Raw security events, newest first, filtered by kind, source and period."""
    require(viewer, VIEW_EVENTS)
    events = SecurityEvent.objects.select_related("system")
    if kind:
        events = events.filter(kind=kind)
    if source_ip:
        events = events.filter(source_ip=source_ip)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    return paginate(events, order=("-id",), cursor=cursor, limit=limit)


@dataclass(frozen=True)
class AuditLogRow:
    entry: AuditEntry
    leaf_index: int | None  # None until the integrator has sequenced the entry
    covered: bool  # inside the latest signed checkpoint


@dataclass(frozen=True)
class AuditLogPage:
    rows: list[AuditLogRow]
    next_cursor: str | None
    checkpoint: Checkpoint | None
    pending: int  # entries committed but not yet sequenced into the tree


def audit_log_page(
    *,
    viewer: Operator,
    action: str | None = None,
    cursor: str | None = None,
    limit: int | None = None,
) -> AuditLogPage:
    """Audit entries, newest first (``action`` filters by prefix), with their leaf index
    and whether the latest signed checkpoint covers them."""
    require(viewer, VIEW_AUDIT_LOG)
    entries = AuditEntry.objects.select_related("leaf")
    if action:
        entries = entries.filter(action__startswith=action)
    page = paginate(entries, order=("-id",), cursor=cursor, limit=limit)
    checkpoint = checkpoint_latest()
    size = checkpoint.size if checkpoint is not None else 0
    rows = []
    for entry in page.items:
        leaf = getattr(entry, "leaf", None)
        index = leaf.index if leaf is not None else None
        rows.append(
            AuditLogRow(entry=entry, leaf_index=index, covered=index is not None and index < size)
        )
    return AuditLogPage(
        rows=rows,
        next_cursor=page.next_cursor,
        checkpoint=checkpoint,
        pending=PendingEntry.objects.count(),
    )


@dataclass(frozen=True)
class SystemRow:
    system: System
    retention_days: int | None


def system_list(*, viewer: Operator) -> list[SystemRow]:
    """The register: every system with the retention of its level (two queries)."""
    require(viewer, VIEW_SYSTEMS)
    days = dict(RetentionPolicy.objects.values_list("security_level", "raw_event_days"))
    return [
        SystemRow(system=system, retention_days=days.get(system.security_level))
        for system in System.objects.order_by("code")
    ]


def system_get(*, viewer: Operator, code: str) -> System:
    require(viewer, VIEW_SYSTEMS)
    system = System.objects.filter(code=code).first()
    if system is None:
        raise NotFound(_("There is no system with this code."), code=SYSTEM_NOT_FOUND)
    return system


def retention_policy_list(*, viewer: Operator) -> list[RetentionPolicy]:
    require(viewer, VIEW_SYSTEMS)
    return list(RetentionPolicy.objects.order_by("security_level"))


def detection_rule_list(*, viewer: Operator) -> list[DetectionRule]:
    require(viewer, VIEW_ALERTS)
    return list(DetectionRule.objects.order_by("code"))
