"""Probes: /healthz (the process answers), /readyz (database reachable, schema current)."""

from __future__ import annotations

import json
import logging

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor
from django.http import HttpRequest, HttpResponse

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
    return True, checks


def healthz(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"status":"ok"}', content_type="application/json")


def readyz(request: HttpRequest) -> HttpResponse:
    ready, checks = readiness()
    body = json.dumps({"status": "ok" if ready else "unavailable", "checks": checks})
    if not ready:
        logger.warning("not ready: %s", checks)
    return HttpResponse(body, status=200 if ready else 503, content_type="application/json")


def metrics_view(request: HttpRequest) -> HttpResponse:
    from prometheus_client import CONTENT_TYPE_LATEST

    from nentang.kernel.observability.metrics import render

    return HttpResponse(render(), content_type=CONTENT_TYPE_LATEST)
