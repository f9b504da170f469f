"""Background tasks of the smartcity context (django-tasks). Thin: load by id, call one
service."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from nentang.kernel.auditing import Actor
from nentang.smartcity.services.retention import (
    PRUNE_INTERVAL,
    history_prune,
    history_prune_schedule,
)


@task()
def prune_history_daily() -> int:
    """Delete the history older than each city's retention, in batches; queue the next
    run a day later. Returns how many rows were deleted."""
    done = history_prune(actor=Actor.system("smartcity.retention"))
    history_prune_schedule(run_after=timezone.now() + PRUNE_INTERVAL)
    return sum(done.values())


@task()
def sweep_report_photos_daily() -> int:
    """Delete report photos that no report holds (a transaction that never committed);
    queue the next run a day later. Returns how many files were deleted."""
    from nentang.smartcity.services.photos import (
        SWEEP_INTERVAL,
        photos_sweep,
        photos_sweep_schedule,
    )

    done = photos_sweep(actor=Actor.system("smartcity.photos"))
    photos_sweep_schedule(run_after=timezone.now() + SWEEP_INTERVAL)
    return len(done.deleted)


@task()
def publish_open_data_hourly() -> int:
    """Publish every city's open-data feeds (a new version of each); queue the next run
    an hour later. Returns how many datasets were published."""
    from nentang.smartcity.services.open_data import (
        PUBLISH_INTERVAL,
        feeds_publish,
        feeds_schedule,
    )

    done = feeds_publish(actor=Actor.system("smartcity.open-data"))
    feeds_schedule(run_after=timezone.now() + PUBLISH_INTERVAL)
    return sum(len(datasets) for datasets in done.values())


@task()
def history_partitions_daily() -> int:
    """Create the history's monthly partitions of this month and the next ones
    (PostgreSQL); queue the next run a day later. Returns how many were created."""
    from nentang.smartcity.services.partitions import (
        PARTITIONS_INTERVAL,
        history_partitions_ensure,
        history_partitions_schedule,
    )

    made = history_partitions_ensure()
    history_partitions_schedule(run_after=timezone.now() + PARTITIONS_INTERVAL)
    return len(made)
