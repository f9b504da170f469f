"""Retention of the temporal history: per-city days (validated, audited), pruning in
batches that leaves other cities, newer rows and the current state alone, and the
daily task that queues its own next run."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.apps import apps

from nentang.kernel.errors import NotFound, ValidationFailed
from nentang.smartcity import services
from nentang.smartcity.models import Entity, Observation, Tenant
from nentang.smartcity.ngsild.contexts import core_terms
from nentang.smartcity.tests.conftest import OPERATOR, Ngsi

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SYSTEM = services.Caller.system("retention-tests")


def _level(tenant: str, day: int, value: float) -> None:
    moment = (NOW - timedelta(days=day)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = services.batch_write(
        caller=SYSTEM,
        tenant=tenant,
        payload=[
            {
                "id": f"urn:ngsi-ld:FloodMonitoring:{tenant}-1",
                "type": "FloodMonitoring",
                "currentLevel": {"type": "Property", "value": value, "observedAt": moment},
            }
        ],
        terms=core_terms(),
        mode="upsert_update",
    )
    assert not result.errors


def _days(tenant: str) -> list[int]:
    rows = Observation.objects.filter(tenant__name=tenant).order_by("observed_at")
    return [(NOW - t).days for t in rows.values_list("observed_at", flat=True)]


def test_pruning_keeps_the_retention_window_in_batches(city: None) -> None:
    entries = apps.get_model("audit", "AuditEntry").objects
    for day in (1, 10, 40, 35, 31, 90, 29, 60, 45, 32):  # out of order, as data arrives
        _level("hue", day, 1.0 + day / 100)
        _level("danang", day, 2.0)
    services.tenant_retention_set(actor=OPERATOR, tenant="hue", days=30)
    assert services.tenant_retention_set(actor=OPERATOR, tenant="hue", days=30).retention_days == 30
    assert entries.filter(action="smartcity.tenant.retention").count() == 1  # once
    current = Entity.objects.get(tenant__name="hue").data

    done = services.history_prune(actor=OPERATOR, now=NOW, batch_size=3)
    assert done == {"hue": 7}  # Đà Nẵng keeps everything (retention 0)
    assert _days("hue") == [29, 10, 1]
    assert len(_days("danang")) == 10
    entry = entries.get(action="smartcity.history.prune")
    assert entry.summary["deleted"] == 7
    assert entry.summary["batches"] == 3
    # The current state is not history: untouched.
    assert Entity.objects.get(tenant__name="hue").data == current
    # Again: nothing to delete, nothing recorded.
    assert services.history_prune(actor=OPERATOR, now=NOW, batch_size=3) == {"hue": 0}
    assert entries.filter(action="smartcity.history.prune").count() == 1
    # A day later, the 29-day-old reading crosses the line.
    later = services.history_prune(actor=OPERATOR, now=NOW + timedelta(days=2))
    assert later == {"hue": 1}
    assert _days("hue") == [10, 1]


def test_the_temporal_api_no_longer_returns_pruned_rows(ngsi: Ngsi) -> None:
    for day in (2, 50):
        _level("hue", day, float(day))
    path = "/temporal/entities/urn:ngsi-ld:FloodMonitoring:hue-1?options=temporalValues"
    assert len(ngsi.call("GET", path).json()["currentLevel"]["values"]) == 2
    services.tenant_retention_set(actor=OPERATOR, tenant="hue", days=7)
    services.history_prune(actor=OPERATOR, now=NOW)
    values: Any = ngsi.call("GET", path).json()["currentLevel"]["values"]
    assert [v[0] for v in values] == [2.0]


def test_bad_retention_changes_nothing(city: None) -> None:
    for bad in (-1, 36_501, "30", 2.5, True, None):
        with pytest.raises(ValidationFailed) as caught:
            services.tenant_retention_set(actor=OPERATOR, tenant="hue", days=bad)
        assert [e.field for e in caught.value.errors] == ["retention_days"]
    with pytest.raises(NotFound):
        services.tenant_retention_set(actor=OPERATOR, tenant="atlantis", days=30)
    assert set(Tenant.objects.values_list("retention_days", flat=True)) == {0}
    with pytest.raises(ValueError, match="batch_size"):
        services.history_prune(actor=OPERATOR, batch_size=0)


def test_the_daily_task_prunes_and_queues_its_next_run(city: None) -> None:
    from django.utils import timezone
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from nentang.smartcity.tasks import prune_history_daily

    waiting = DBTaskResult.objects.filter(
        task_path=prune_history_daily.module_path, status=TaskResultStatus.READY
    )
    _level("hue", 400, 1.0)
    _level("hue", 1, 1.0)
    services.tenant_retention_set(actor=OPERATOR, tenant="hue", days=365)
    assert waiting.count() == 1  # setting a retention queued the first run
    waiting.delete()
    assert prune_history_daily.call() == 1
    assert waiting.count() == 1
    next_run = waiting.get().run_after
    assert next_run is not None
    assert timedelta(hours=23) < next_run - timezone.now() <= timedelta(days=1)
    assert not services.history_prune_schedule(run_after=timezone.now())
    assert waiting.count() == 1
