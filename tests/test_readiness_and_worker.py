"""A stalled queue makes /readyz fail; a worker that (re)starts picks up what waits.

The restart of PostgreSQL under load, and the supervisor of ``nentang serve``, are
proved with real processes in tests/config/test_worker_supervision.py.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from nentang.audit.models import AuditEntry, PendingEntry
from nentang.audit.services import integrate_pending, record
from nentang.audit.tasks import integrate_entries, sign_checkpoint
from nentang.kernel.auditing import Actor
from nentang.kernel.observability.metrics import render
from nentang.kernel.worker import recover, requeue_interrupted

pytestmark = pytest.mark.django_db

OFFICER = Actor.officer("001195004321")


def readyz(client: Client) -> tuple[int, dict[str, Any]]:
    response = client.get("/readyz")
    return response.status_code, json.loads(response.content)


def entry_recorded(minutes_ago: int) -> AuditEntry:
    """An entry that waits for the integrator since ``minutes_ago`` (as after a worker
    died): recorded as ``record`` does, with its time set back."""
    with transaction.atomic():
        entry = AuditEntry.objects.create(
            occurred_at=timezone.now() - timedelta(minutes=minutes_ago),
            actor_type="officer",
            actor="p_0000",
            action="identity.person.verify_level2",
            subject_type="identity.person",
            subject="0190c7e2-7b7d-7a3e-8a1b-5d6f7e8f9a0b",
            summary={},
        )
        PendingEntry.objects.create(entry=entry)
    return entry


def test_ready_with_fresh_queues(client: Client) -> None:
    with transaction.atomic():
        record(actor=OFFICER, action="a.b.c", subject_type="a.b", subject="x")
    status, body = readyz(client)
    assert (status, body["checks"]["queues"]) == (200, "ok")


def test_an_audit_entry_waiting_too_long_makes_readyz_fail(client: Client, settings: Any) -> None:
    settings.NENTANG_QUEUE_STALL_SECONDS = 120
    entry_recorded(minutes_ago=5)
    status, body = readyz(client)
    assert status == 503
    assert body["status"] == "unavailable"
    assert body["checks"]["queues"].startswith("audit entries waiting for 30")
    assert body["checks"]["queues"].endswith("s (more than 120 s): is the task worker running?")
    assert 'nentang_queue_oldest_seconds{queue="audit entries"} 3' in render().decode()

    integrate_pending()
    assert readyz(client)[0] == 200


def test_a_due_task_nobody_runs_makes_readyz_fail(client: Client, settings: Any) -> None:
    settings.NENTANG_QUEUE_STALL_SECONDS = 60
    sign_checkpoint.using(run_after=timezone.now() - timedelta(minutes=3)).enqueue()
    status, body = readyz(client)
    assert status == 503
    assert body["checks"]["queues"].startswith("tasks waiting for 18")
    settings.NENTANG_QUEUE_STALL_SECONDS = 0  # the check turned off
    assert readyz(client)[0] == 200


def test_a_task_deferred_to_later_is_not_a_stall(client: Client, settings: Any) -> None:
    settings.NENTANG_QUEUE_STALL_SECONDS = 60
    sign_checkpoint.using(run_after=timezone.now() + timedelta(hours=1)).enqueue()
    assert readyz(client)[0] == 200


def test_a_restarted_worker_queues_again_the_task_it_was_running() -> None:
    result = integrate_entries.enqueue()
    row = DBTaskResult.objects.get(pk=result.id)
    row.claim("serve-abc")  # claimed, then the worker lost its connection or was killed
    other = DBTaskResult.objects.get(pk=sign_checkpoint.enqueue().id)
    other.claim("another-worker")  # still running elsewhere: left alone

    assert requeue_interrupted("serve-abc") == 1
    statuses = dict(DBTaskResult.objects.values_list("id", "status"))
    assert statuses[row.pk] == TaskResultStatus.READY
    assert statuses[other.pk] == TaskResultStatus.RUNNING


def test_a_starting_worker_schedules_entries_whose_task_was_lost() -> None:
    entry_recorded(minutes_ago=1)  # its after-commit enqueue was lost with the database
    assert not DBTaskResult.objects.exists()
    recover("worker-1")
    waiting = DBTaskResult.objects.filter(status=TaskResultStatus.READY)
    assert list(waiting.values_list("task_path", flat=True)) == [integrate_entries.module_path]
    recover("worker-1")  # idempotent: one task is enough
    assert waiting.count() == 1
