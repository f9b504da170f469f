"""Queue a periodic task once: the contexts' daily jobs (pruning, remittances,
harvesting) queue their next run themselves, and a process that starts makes sure one
run is waiting — never two."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def task_enqueue_unless_waiting(task: Any, *, run_after: datetime | None = None) -> bool:
    """Queue ``task`` (deferred to ``run_after`` when given) unless a run of it is
    already waiting in the database queue; True when it queued one. A backend that
    cannot defer queues nothing for a deferred run."""
    from django_tasks import TaskResultStatus
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    backend = task.get_backend()
    if run_after is not None and not backend.supports_defer:
        return False
    if (
        isinstance(backend, DatabaseBackend)
        and DBTaskResult.objects.filter(
            task_path=task.module_path,
            backend_name=backend.alias,
            status=TaskResultStatus.READY,
        ).exists()
    ):
        return False
    (task if run_after is None else task.using(run_after=run_after)).enqueue()
    return True
