"""The history's monthly partitions on PostgreSQL: rows land in their month's partition
(stragglers in the default one), the daily task creates months ahead and takes their
stragglers over, retention drops whole months that no city keeps. SQLite keeps a plain
table (nothing to test there)."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from nentang.smartcity import services
from nentang.smartcity.models import Observation
from nentang.smartcity.ngsild.contexts import core_terms
from nentang.smartcity.services import partitions
from nentang.smartcity.tests.conftest import OPERATOR

# The history is partitioned on PostgreSQL only (SQLite keeps one table).
pytestmark = [pytest.mark.django_db, pytest.mark.postgres_only]
SYSTEM = services.Caller.system("partition-tests")


def _level(tenant: str, at: datetime.datetime) -> None:
    result = services.batch_write(
        caller=SYSTEM, tenant=tenant, terms=core_terms(), mode="upsert_update",
        payload=[{
            "id": f"urn:ngsi-ld:FloodMonitoring:{tenant}-1", "type": "FloodMonitoring",
            "currentLevel": {"type": "Property", "value": 1.5,
                             "observedAt": at.strftime("%Y-%m-%dT%H:%M:%SZ")},
        }],
    )  # fmt: skip
    assert not result.errors


def _where() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), "
            "tableoid::regclass::text FROM smartcity_observation"
        )
        return dict(cursor.fetchall())


def test_rows_land_in_their_month_and_stragglers_move_when_it_is_created(city: None) -> None:
    now = timezone.now()
    this_month = partitions.month_start(now)
    assert partitions.is_partitioned()
    assert partitions.partition_name(this_month) in partitions.partitions()  # at migrate time
    later = partitions.next_month(partitions.next_month(partitions.next_month(this_month)))
    _level("hue", now)
    _level("hue", later + timedelta(days=3))  # a month without a partition yet
    where = _where()
    assert where[now.astimezone(UTC).strftime("%Y-%m-%d")] == partitions.partition_name(this_month)
    assert where[f"{later:%Y-%m}-04"] == partitions.DEFAULT

    from nentang.smartcity.tasks import history_partitions_daily

    assert history_partitions_daily.call() >= 1  # this month + 2 ahead: the next-but-one is new
    made = partitions.history_partitions_ensure(now=later, ahead=0)
    assert made == [partitions.partition_name(later)]
    assert _where()[f"{later:%Y-%m}-04"] == partitions.partition_name(later)  # moved over
    assert Observation.objects.count() == 2
    _level("hue", later + timedelta(days=9))
    assert _where()[f"{later:%Y-%m}-10"] == partitions.partition_name(later)


def test_retention_drops_the_months_no_city_keeps(city: None) -> None:
    now = timezone.now()
    old = partitions.month_start(now - timedelta(days=400))
    older = partitions.next_month(old)
    partitions.ensure_partitions([old, older])
    for day in (2, 5, 9):
        _level("hue", old + timedelta(days=day))
        _level("hue", older + timedelta(days=day))
    _level("danang", older + timedelta(days=1))  # Đà Nẵng keeps everything
    _level("hue", now)
    services.tenant_retention_set(actor=OPERATOR, tenant="hue", days=90)

    done = services.history_prune(actor=OPERATOR, now=now)
    assert done == {"hue": 6}
    names = partitions.partitions()
    assert partitions.partition_name(old) not in names  # dropped whole: only Huế's rows
    assert partitions.partition_name(older) in names  # Đà Nẵng's row keeps it; rows deleted
    assert Observation.objects.filter(tenant__name="hue").count() == 1
    assert Observation.objects.filter(tenant__name="danang").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_make_the_partition_once() -> None:
    """Before: both read the partitions, both ran CREATE TABLE; the second failed
    ("relation already exists") and its daily task with it."""
    import threading

    month = datetime.datetime(2091, 3, 1, tzinfo=UTC)
    name = partitions.partition_name(month)
    start = threading.Barrier(4)
    outcomes: list[object] = []

    def run() -> None:
        try:
            start.wait()
            outcomes.append(partitions.ensure_partitions([month]))
        except Exception as error:  # the assertion below shows it
            outcomes.append(repr(error))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert sorted(map(str, outcomes)) == [str([name]), "[]", "[]", "[]"], outcomes
    finally:
        if name in partitions.partitions():
            partitions.drop_partition(name)
