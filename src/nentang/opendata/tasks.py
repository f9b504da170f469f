"""Background tasks of the opendata context: load by id, call one service."""

from __future__ import annotations

from django.utils import timezone
from django_tasks import task

from nentang.opendata.services.datastore import ingest_job_run
from nentang.opendata.services.harvest import (
    SCHEDULE_EVERY,
    harvest_run,
    harvest_run_due,
    harvest_schedule,
)
from nentang.opendata.services.statistics import statistics_publish


@task(queue_name="default")
def ingest(job_id: str) -> str:
    """Ingest a large upload into its resource's table (status on the IngestJob)."""
    return str(ingest_job_run(job_id=job_id).status)


@task(queue_name="default")
def statistics_refresh() -> int:
    """Regenerate the platform's statistics datasets (run monthly by the operator's
    scheduler: ``nentang manage shell -c`` or cron enqueueing this task)."""
    return len(statistics_publish())


@task(queue_name="default")
def harvest_due() -> int:
    """Harvest the sources that are due, then queue the next look an hour later."""
    runs = harvest_run_due()
    harvest_schedule(run_after=timezone.now() + SCHEDULE_EVERY)
    return len(runs)


@task(queue_name="default")
def harvest(source_id: str) -> str:
    """Harvest one source now (an operator's "run now")."""
    run = harvest_run(source_id=source_id)
    return "busy" if run is None else str(run.status)
