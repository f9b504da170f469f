"""Probes: /healthz (the process answers), /readyz (database reachable, schema current,
no queue stalled).

A queue is *stalled* when its oldest waiting item is older than
``NENTANG_QUEUE_STALL_SECONDS``: audit entries the integrator has not taken, tasks due
to run that no worker picked up, outbox events not fanned out. A dead task worker shows
there within that time, even while the web side serves normally. Contexts register their
queues with :func:`register_backlog`.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

logger = logging.getLogger("nentang.health")

_schema_current = False  # once true it stays true for the life of the process


def database_reachable(alias: str = DEFAULT_DB_ALIAS) -> tuple[bool, str]:
    try:
        with connections[alias].cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any driver error means "not reachable"
        return False, f"{type(error).__name__}: {error}".strip()[:300]
    return True, "ok"


def unapplied_migrations(alias: str = DEFAULT_DB_ALIAS) -> list[str]:
    executor = MigrationExecutor(connections[alias])
    targets = executor.loader.graph.leaf_nodes()
    return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(targets)]


Oldest = Callable[[], datetime | None]
_backlogs: dict[str, Oldest] = {}


def register_backlog(name: str, oldest: Oldest) -> None:
    """Watch a queue: ``oldest()`` says since when its oldest item waits (None: empty)."""
    _backlogs[name] = oldest


def oldest_due_task() -> datetime | None:
    """Since when the oldest task that is due to run waits: its ``run_after``, or when it
    was enqueued for a task to run at once (django-tasks-db gives those the maximum date)."""
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    due: datetime | None = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY)
        .filter(run_after__lte=now)
        .order_by("run_after")
        .values_list("run_after", flat=True)
        .first()
    )
    if due is not None:
        return due
    from django_tasks_db.models import get_date_max

    waiting: datetime | None = (
        DBTaskResult.objects.filter(status=TaskResultStatus.READY, run_after=get_date_max())
        .order_by("enqueued_at")
        .values_list("enqueued_at", flat=True)
        .first()
    )
    return waiting


def backlog_ages(now: datetime | None = None) -> dict[str, float]:
    """Seconds the oldest item of each registered queue has waited (0 when empty)."""
    moment = now or timezone.now()
    ages = {}
    for name, oldest in _backlogs.items():
        since = oldest()
        ages[name] = max(0.0, (moment - since).total_seconds()) if since else 0.0
    return ages


def stalled_queues() -> list[str]:
    """Sentences naming each queue whose oldest item waits longer than the threshold."""
    limit = settings.NENTANG_QUEUE_STALL_SECONDS
    if not limit:
        return []
    return [
        f"{name} waiting for {age:.0f} s (more than {limit} s): is the task worker running?"
        for name, age in backlog_ages().items()
        if age > limit
    ]


def readiness() -> tuple[bool, dict[str, str]]:
    global _schema_current
    reachable, detail = database_reachable()
    checks = {"database": detail}
    if not reachable:
        checks["migrations"] = "unknown"
        return False, checks
    if not _schema_current:
        pending = unapplied_migrations()
        if pending:
            checks["migrations"] = f"{len(pending)} unapplied, first {pending[0]}"
            return False, checks
        _schema_current = True
    checks["migrations"] = "ok"
    try:
        stalled = stalled_queues()
    except Exception as error:  # a queue table unreadable: not ready, say why
        stalled = [f"unknown ({type(error).__name__}: {error})"[:300]]
    checks["queues"] = "; ".join(stalled) if stalled else "ok"
    return not stalled, checks


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


def readyz(request: HttpRequest) -> HttpResponse:
    ready, checks = readiness()
    body = json.dumps({"status": "ok" if ready else "unavailable", "checks": checks})
    if not ready:
        logger.warning("not ready: %s", checks)
    return HttpResponse(body, status=200 if ready else 503, content_type="application/json")


def metrics_allowed(request: HttpRequest) -> bool:
    """/metrics is for the operator's Prometheus, not the public: a request presenting
    ``NENTANG_METRICS_TOKEN`` as a bearer token, or one made directly (no proxy headers)
    from ``NENTANG_METRICS_ALLOW_NETWORKS`` (loopback by default). A request relayed by
    a reverse proxy on this machine comes from loopback too, so relayed requests need
    the token."""
    token: str = settings.NENTANG_METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    relayed = any(name in request.headers for name in ("Forwarded", "X-Forwarded-For", "X-Real-IP"))
    if relayed:
        return False
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return any(address in network for network in settings.NENTANG_METRICS_ALLOW_NETWORKS)


def metrics_view(request: HttpRequest) -> HttpResponse:
    from prometheus_client import CONTENT_TYPE_LATEST

    if not metrics_allowed(request):
        response = HttpResponse(
            b"Forbidden: /metrics needs NENTANG_METRICS_TOKEN or an allowed network.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response

    from nentang.kernel.observability.metrics import render

    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
