"""What the audit benchmarks share: a PostgreSQL database of their own, Django configured
on it, entries bulk-loaded with SQL, writer processes recording through ``record``.

The database is created on the given server (127.0.0.1:5432 by default) under a random
name and dropped afterwards, whatever happens. Django can be configured once per
process, so each ``python -m bench audit-…`` run is one process with one database.
"""

from __future__ import annotations

import multiprocessing
import os
import secrets
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.synchronize import Event
from typing import Any
from urllib.parse import urlsplit

from bench._api import BenchmarkError, Context

DEFAULT_SERVER = "postgresql://postgres@127.0.0.1:5432"

# One realistic entry per row: a pseudonymous officer receiving a dossier in a ward.
_LOAD_ENTRIES = """
INSERT INTO audit_auditentry
    (occurred_at, actor_type, actor, action, subject_type, subject, summary, request_id)
SELECT now() - make_interval(secs => g),
       'officer', 'p_' || substr(md5(g::text), 1, 32),
       'publicservices.dossier.receive', 'publicservices.dossier',
       '000.00.26.H29-250101-' || lpad(g::text, 7, '0'),
       jsonb_build_object('ward', '26734', 'step', 'receive', 'fee_vnd', 50000 + g %% 7,
                          'receipt', 'BN-' || g),
       md5((g * 7)::text)
FROM generate_series(1, %s) AS g
"""
_QUEUE_ENTRIES = """
INSERT INTO audit_pendingentry (entry_id)
SELECT e.id FROM audit_auditentry e
WHERE NOT EXISTS (SELECT 1 FROM audit_logleaf l WHERE l.entry_id = e.id)
  AND NOT EXISTS (SELECT 1 FROM audit_pendingentry p WHERE p.entry_id = e.id)
"""


def _admin_url(server: str) -> str:
    parts = urlsplit(server)
    if parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise BenchmarkError(f"the benchmark only uses a loopback PostgreSQL, not {server!r}.")
    return f"{parts.scheme}://{parts.netloc}/postgres"


@contextmanager
def django_on_new_database(
    context: Context, *, prefix: str = "nentang_bench_audit", keep: str = ""
) -> Iterator[None]:
    """Create a database, point Django at it, migrate; drop it afterwards. With
    ``keep`` (a name starting with ``prefix``), use that database instead — created if
    missing, migrated, kept afterwards — so a long load can serve several runs."""
    import psycopg

    server = str(context.params["server"]).rstrip("/")
    admin = _admin_url(server)
    if keep and not keep.startswith(prefix):
        raise BenchmarkError(f"a kept database's name must start with {prefix!r}.")
    name = keep or f"{prefix}_{secrets.token_hex(4)}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
            if not (keep and exists.fetchone()):
                conn.execute(f'CREATE DATABASE "{name}"')
            version = conn.execute("SHOW server_version").fetchone()
    except psycopg.OperationalError as error:
        raise BenchmarkError(f"PostgreSQL at {server} is not reachable: {error}") from None
    context.facts["postgres"] = version[0] if version else None
    context.facts["database"] = name
    os.environ.update(
        {
            "NENTANG_HOME": str(context.workdir / "home"),
            "NENTANG_DATABASE_URL": f"{server}/{name}",
            "NENTANG_LOG_FORMAT": "text",
            "NENTANG_LOG_LEVEL": "WARNING",
            "DJANGO_SETTINGS_MODULE": "nentang.config.settings",
        }
    )
    try:
        import django
        from django.conf import settings

        if settings.configured:
            raise BenchmarkError("Django is already configured in this process.")
        django.setup()
        from django.core.management import call_command

        context.log(f"migrating {name}")
        call_command("migrate", verbosity=0)
        yield
    finally:
        try:
            from django.db import connections

            connections.close_all()
        finally:
            if not keep:
                with psycopg.connect(admin, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def queue_entries(count: int) -> None:
    """Write ``count`` committed entries and their queue rows with SQL (seconds per
    million): what ``record`` would have left behind, without a million transactions."""
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(_LOAD_ENTRIES, [count])
        cursor.execute(_QUEUE_ENTRIES)


def pending_entries(count: int) -> list[Any]:
    """The next ``count`` queued entries, in id order (not locked)."""
    from nentang.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(pendingentry__isnull=False).order_by("id")[:count])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


@dataclass
class WriterStats:
    entries: int
    seconds: float
    latencies_ms: list[float]


def _write(number: int, started: Any, stop: Event, results: Any) -> None:
    """A writer process: one entry per transaction through ``record``, until stopped."""
    import django

    django.setup()
    from django.db import connection, transaction

    from nentang.audit.services import record
    from nentang.kernel.auditing import Actor

    officer = Actor.officer(f"bench-officer-{number}")
    latencies: list[float] = []
    begin = time.perf_counter()
    while not stop.is_set():
        clock = time.perf_counter()
        with transaction.atomic():
            record(
                actor=officer,
                action="publicservices.dossier.receive",
                subject_type="publicservices.dossier",
                subject=f"bench-{number}-{len(latencies)}",
                summary={"ward": "26734", "step": "receive"},
            )
        latencies.append((time.perf_counter() - clock) * 1000)
        if len(latencies) == 1:
            started.release()
    results.put((len(latencies), time.perf_counter() - begin, latencies))
    connection.close()


@contextmanager
def writers(count: int) -> Iterator[list[WriterStats]]:
    """Run ``count`` writer processes while the body runs; their stats land in the list."""
    spawn = multiprocessing.get_context("spawn")
    started, stop, results = spawn.Semaphore(0), spawn.Event(), spawn.Queue()
    processes = [
        spawn.Process(target=_write, args=(n, started, stop, results), daemon=True)
        for n in range(count)
    ]
    for process in processes:
        process.start()
    stats: list[WriterStats] = []
    try:
        for _ in processes:  # each has committed once: they are up to speed
            if not started.acquire(timeout=120):
                raise BenchmarkError("a writer process did not start within 120 s.")
        yield stats
    finally:
        stop.set()
        for _ in processes:
            entries, seconds, latencies = results.get(timeout=60)
            stats.append(WriterStats(entries, seconds, latencies))
        for process in processes:
            process.join(timeout=30)


def writer_details(stats: list[WriterStats]) -> dict[str, float]:
    latencies = [value for item in stats for value in item.latencies_ms]
    if not latencies:
        return {}
    return {
        "writer_entries_per_s": sum(item.entries / item.seconds for item in stats),
        "writer_p50_ms": statistics.median(latencies),
        "writer_p99_ms": percentile(latencies, 0.99),
    }
