"""Pruning raw security events past retention; audit data and evidence are never pruned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import DatabaseError, transaction
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from nentang.audit.models import (
    Alert,
    AlertEvidence,
    AuditEntry,
    RetentionPolicy,
    SecurityEvent,
    System,
)
from nentang.audit.security_tasks import prune_security_events
from nentang.audit.services.security import (
    retention_policy_set,
    security_event_record,
    security_events_prune,
    security_prune_schedule,
    system_create,
)
from nentang.audit.tests.security_support import ATTACKER, Clock, freeze, seed, soc_operator, vn

pytestmark = pytest.mark.django_db

DAY = 86_400


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch, settings: Any) -> Clock:
    # Short periods keep the walk through time short: only TCVN 11930:2017's per-level
    # minimum applies (90 days at level 3), not the platform-wide floor of 365 days.
    settings.NENTANG_SECURITY_EVENTS_MIN_DAYS = 0
    return freeze(monkeypatch, vn(2025, 1, 6, 10, 0))


def test_events_past_their_levels_retention_are_deleted_and_nothing_else(clock: Clock) -> None:
    binh = soc_operator()
    retention_policy_set(by=binh, security_level=3, raw_event_days=90, source="TCVN 11930:2017")
    system_create(by=binh, code="csdl-dan-cu", name="CSDL dân cư (thử)", security_level=5)
    for _ in range(8):  # a brute-force alert: its evidence must outlive the raw events
        security_event_record(kind="auth.failure", source_ip=ATTACKER)
    security_event_record(kind="ratelimit.hit", source_ip=ATTACKER, system="csdl-dan-cu")
    clock.advance(89 * DAY)
    recent = security_event_record(kind="ratelimit.hit", source_ip=ATTACKER)
    clock.advance(2 * DAY)  # the first events are now 91 days old
    entries_before = AuditEntry.objects.count()

    deleted = security_events_prune()

    assert deleted == 8
    assert list(SecurityEvent.objects.filter(system__code="nentang")) == [recent]
    assert SecurityEvent.objects.filter(system__code="csdl-dan-cu").count() == 1  # 730 days
    alert = Alert.objects.get(rule__code="auth-brute-force")
    assert AlertEvidence.objects.filter(alert=alert).count() == 8
    assert AuditEntry.objects.count() == entries_before + 1
    entry = AuditEntry.objects.get(action="audit.security_event.prune")
    assert entry.summary["deleted"] == 8


def test_nothing_to_prune_writes_nothing(clock: Clock) -> None:
    security_event_record(kind="auth.failure", source_ip=ATTACKER)
    entries = AuditEntry.objects.count()

    assert security_events_prune() == 0
    assert AuditEntry.objects.count() == entries
    assert SecurityEvent.objects.count() == 1


def test_a_level_without_policy_keeps_its_events(clock: Clock) -> None:
    RetentionPolicy.objects.filter(security_level=3).delete()
    security_event_record(kind="auth.failure", source_ip=ATTACKER)
    clock.advance(5000 * DAY)

    assert security_events_prune(now=clock.now) == 0


def test_prune_takes_an_explicit_moment(clock: Clock) -> None:
    security_event_record(kind="auth.failure", source_ip=ATTACKER)

    assert security_events_prune(now=clock.now + timedelta(days=364)) == 0
    assert security_events_prune(now=clock.now + timedelta(days=366)) == 1


def test_audit_entries_refuse_deletion_anyway() -> None:
    for _ in range(8):  # an alert opens: an audit entry is written
        security_event_record(kind="auth.failure", source_ip=ATTACKER)

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.all().delete()

    assert AuditEntry.objects.filter(action="audit.alert.open").count() == 1


def test_the_daily_task_prunes_and_queues_its_next_run(clock: Clock) -> None:
    security_event_record(kind="auth.failure", source_ip=ATTACKER)
    clock.advance(400 * DAY)

    deleted = prune_security_events.call()

    assert deleted == 1
    waiting = DBTaskResult.objects.filter(
        task_path=prune_security_events.module_path, status=TaskResultStatus.READY
    )
    assert waiting.count() == 1
    assert waiting.get().run_after == clock.now + timedelta(days=1)


def test_scheduling_twice_queues_one_task() -> None:
    assert security_prune_schedule() is True
    assert security_prune_schedule() is False

    assert DBTaskResult.objects.filter(task_path=prune_security_events.module_path).count() == 1


def test_systems_keep_events_per_their_own_level(clock: Clock) -> None:
    binh = soc_operator()
    system_create(by=binh, code="cong-thong-tin", name="Cổng thông tin", security_level=1)
    retention_policy_set(by=binh, security_level=1, raw_event_days=30)
    security_event_record(kind="auth.failure", source_ip=ATTACKER, system="cong-thong-tin")
    security_event_record(kind="auth.failure", source_ip=ATTACKER)
    clock.advance(31 * DAY)

    assert security_events_prune() == 1
    assert list(SecurityEvent.objects.values_list("system__code", flat=True)) == ["nentang"]
    assert System.objects.count() == 2


def test_pruning_never_deletes_before_the_legal_minimum(clock: Clock, settings: Any) -> None:
    """A policy row that says one day (written before the minimum existed, or edited in
    the database) does not make pruning delete younger events."""
    settings.NENTANG_SECURITY_EVENTS_MIN_DAYS = 365
    RetentionPolicy.objects.filter(security_level=3).update(raw_event_days=1)
    security_event_record(kind="auth.failure", source_ip=ATTACKER)
    clock.advance(364 * DAY)
    assert security_events_prune() == 0
    clock.advance(2 * DAY)
    assert security_events_prune() == 1
