"""Background tasks of the opendata context: load by id, call one service."""

from __future__ import annotations

from django_tasks import task

from nentang.opendata.services.datastore import ingest_job_run
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
