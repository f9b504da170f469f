"""The background task worker, made to outlive its database going away.

django-tasks-db's worker stops for good at the first database error it does not expect:
after a PostgreSQL restart the worker of ``nentang serve`` stayed dead while audit
entries queued up. :func:`run_worker` runs the same worker loop and, when the database
goes away (an ``OperationalError`` or ``InterfaceError``), closes its connections and
their pool, waits with exponential back-off (1 s doubling to 30 s), logs each attempt,
and starts again. On every start it first *recovers*:

* tasks it had claimed and was running when the connection was lost (or when the
  process was killed: the supervisor of ``nentang serve`` restarts it with the same
  worker id) are queued again — every task of the platform is safe to run twice;
* the hooks registered with :func:`on_worker_start` run: each context makes sure its
  queued work has a task (an outbox event or audit entry whose after-commit enqueue was
  lost with the connection would otherwise wait for the next write).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable

from django.db import DatabaseError, InterfaceError, OperationalError, connections

logger = logging.getLogger("nentang.worker")

BACKOFF_START = 1.0
BACKOFF_MAX = 30.0

_start_hooks: list[Callable[[], object]] = []


def on_worker_start(hook: Callable[[], object]) -> Callable[[], object]:
    """Register ``hook`` to run whenever a worker starts or reconnects (idempotent
    functions that enqueue a task when work is waiting without one)."""
    if hook not in _start_hooks:
        _start_hooks.append(hook)
    return hook


def close_connections() -> None:
    """Drop every database connection of this process, and its pool: after a server
    restart the pooled connections are all dead."""
    for connection in connections.all(initialized_only=True):
        with contextlib.suppress(DatabaseError):  # it is gone already
            connection.close()
        close_pool = getattr(connection, "close_pool", None)
        if close_pool is not None:
            try:
                close_pool()
            except Exception:  # a pool of dead connections may fail to close cleanly
                logger.debug("closing the connection pool failed", exc_info=True)


def requeue_interrupted(worker_id: str) -> int:
    """Queue again the tasks ``worker_id`` was running when it lost its connection or
    its process; returns how many."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING).only("worker_ids")
    mine = [result.pk for result in running if worker_id in (result.worker_ids or [])]
    if mine:
        DBTaskResult.objects.filter(pk__in=mine, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        logger.warning("queued %d interrupted task(s) again (worker %s)", len(mine), worker_id)
    return len(mine)


def recover(worker_id: str) -> None:
    requeue_interrupted(worker_id)
    for hook in _start_hooks:
        try:
            hook()
        except (OperationalError, InterfaceError):
            raise
        except Exception:  # one context's hook must not keep the worker from starting
            logger.exception("worker start hook %s failed", getattr(hook, "__name__", hook))


def run_worker(
    *,
    queues: str = "*",
    batch: bool = False,
    worker_id: str,
    interval: float = 1.0,
    sleep: Callable[[float], None] = time.sleep,
) -> None:
    """Run the task worker until it is stopped (or, with ``batch``, until nothing is
    due), surviving the loss of the database connection as described above."""
    from django_tasks_db.compat import DEFAULT_TASK_BACKEND_ALIAS
    from django_tasks_db.management.commands.db_worker import Worker

    worker = Worker(
        queue_names=queues.split(","),
        interval=interval,
        batch=batch,
        backend_name=DEFAULT_TASK_BACKEND_ALIAS,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    worker.configure_signals()
    delay = BACKOFF_START
    lost_at: float | None = None
    while True:
        try:
            recover(worker_id)
            if lost_at is not None:
                logger.warning(
                    "database reachable again after %.0f s; the task worker goes on",
                    time.monotonic() - lost_at,
                )
                lost_at, delay = None, BACKOFF_START
            worker.running = True
            worker.run()
            return
        except (OperationalError, InterfaceError) as error:
            if batch:
                raise
            first_line = (str(error).strip().splitlines() or [type(error).__name__])[0]
            if lost_at is None:
                lost_at = time.monotonic()
            logger.warning(
                "task worker lost the database (%s); trying again in %.0f s", first_line, delay
            )
            close_connections()
            sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)
