"""Benchmarks of the publicservices context, on PostgreSQL (a database of its own on
127.0.0.1:5432, ``nt_ps_bench_…``, dropped afterwards):

* ``publicservices-queue`` — the officer's work queue, first page (25 dossiers of the
  officer's agency waiting for the officer's role, filtered by SLA ``overdue``, earliest
  step deadline first), through ``selectors.officer_queue`` and keyset pagination, with
  ``dossiers`` stored (default 1,000,000, bulk-loaded with SQL over 40 agencies);
  baseline: the same query in raw SQL through the same index (psycopg, no ORM). The
  issue's absolute target is p99 ≤ 100 ms.

Submissions over HTTP and the statistics page at 1 M dossiers: ``publicservices_http``.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._audit_setup import DEFAULT_SERVER, django_on_new_database

SERVER = Param(DEFAULT_SERVER, "PostgreSQL server (loopback only); a database is created on it")
PREFIX = "nt_ps_bench"
PASSWORD = "bench-officer-password-2026"  # noqa: S105 - a throw-away database
AGENCIES = 40

_LOAD = """
INSERT INTO publicservices_dossier (
    id, procedure_slug, procedure_version, applicant_id, agency_id, handler_id, state,
    step_role, receipt_code, data, channel, result_delivery, fee_amount, payment_reference,
    supplement_count, log_length, created_at, updated_at, submitted_at, received_at,
    due_date, step_due_date, sla_outcome)
SELECT gen_random_uuid(), 'dang-ky-khai-sinh', 1, %(person)s,
    'bench-agency-' || ((g / 4) %% %(agencies)s),
    'bench-agency-' || ((g / 4) %% %(agencies)s),
    (ARRAY['reception','processing','approval','completed'])[1 + g %% 4],
    (ARRAY['reception','processing','approval',''])[1 + g %% 4],
    'B' || g, '{}'::jsonb, 'online', 'online', 0, '', 0, 2,
    now() - make_interval(days => g %% 120), now(), now() - make_interval(days => g %% 120),
    now() - make_interval(days => g %% 120),
    (now() - make_interval(days => g %% 120 - 3))::date,
    CASE WHEN g %% 4 = 3 THEN NULL ELSE (now() - make_interval(days => g %% 120 - 1))::date END,
    CASE WHEN g %% 4 = 3 THEN 'on_time' ELSE '' END
FROM generate_series(%(first)s, %(last)s) AS g
"""
_RAW = """
SELECT id, procedure_slug, procedure_version, state, step_role, receipt_code, step_due_date,
       due_date, sla_outcome, completed_at
FROM publicservices_dossier
WHERE handler_id = %s AND step_role IN ('processing') AND step_due_date < %s
ORDER BY step_due_date, id LIMIT 26
"""


KEEP = Param(
    "",
    f"a database to keep and reuse between runs (name starting with {PREFIX}): created, "
    "loaded and migrated when needed; empty = a new one, dropped afterwards",
)


def _cast() -> tuple[Any, Any]:
    """An administrator, 40 agencies, the officer of agency 0 (processing) and a person
    (those of a kept database if it has them)."""
    import datetime

    from django.apps import apps

    from nentang.identity import services as identity
    from nentang.identity.services import Residence
    from nentang.kernel.auditing import Actor

    officer_model = apps.get_model("identity", "Officer")
    kept = officer_model.objects.select_related("account").filter(account__username="bench.officer")
    if kept.exists():
        person = apps.get_model("identity", "Person").objects.get(id_number="079090001234")
        return kept.get().account, person

    actor = Actor.system("bench")
    admin = identity.administrator_create(
        created_by=actor, username="bench.admin", password=PASSWORD
    )
    for number in range(AGENCIES):
        identity.agency_create(
            actor=admin, code=f"bench-agency-{number}", name=f"UBND bench {number}",
            kind="peoples_committee", province_code="79", commune_code="26740",
        )  # fmt: skip
    officer = identity.officer_create(
        actor=admin, agency_code="bench-agency-0", username="bench.officer", password=PASSWORD,
        full_name="Phạm Minh Tuấn", roles=["processing"],
    )  # fmt: skip
    person = identity.person_register(
        id_number="079090001234", full_name="Nguyễn Văn An",
        date_of_birth=datetime.date(1990, 5, 15), sex="male", phone="0903 123 456",
        password=PASSWORD, residence=Residence("79", "26740", "12 Lê Lợi"),
        portrait=b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64,
    )  # fmt: skip
    return officer.account, person


def load_dossiers(context: Context, person: Any) -> None:
    """Bulk-load ``dossiers`` rows with SQL, 250,000 at a time, then ANALYZE and recount
    the statistics' roll-up (rows written with SQL bypass the services). A kept
    database that already holds that many dossiers is reused as it is."""
    from django.db import connection

    from nentang.publicservices.models import DailyStatistics, Dossier
    from nentang.publicservices.services import statistics_rebuild

    count = int(context.params["dossiers"])
    clock = time.perf_counter()
    if Dossier.objects.count() == count and DailyStatistics.objects.exists():
        context.log(f"reusing the {count:,} dossiers of {context.facts.get('database')}")
        context.facts.update({"dossiers": count, "reused": True})
        return
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE publicservices_dossier, publicservices_dailystatistics CASCADE")
    step = 250_000
    for first in range(1, count + 1, step):
        last = min(first + step - 1, count)
        with connection.cursor() as cursor:
            cursor.execute(
                _LOAD,
                {"person": person.id, "agencies": AGENCIES, "first": first, "last": last},
            )
        context.log(f"{last:,} dossiers loaded")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE publicservices_dossier")
    context.log(f"{statistics_rebuild():,} roll-up rows recounted")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE publicservices_dailystatistics")
    context.facts.update({"dossiers": count, "load_seconds": round(time.perf_counter() - clock, 1)})


@contextmanager
def _queue_setup(context: Context) -> Iterator[None]:
    with django_on_new_database(context, prefix=PREFIX, keep=str(context.params["keep"])):
        account, person = _cast()
        load_dossiers(context, person)
        context.state["account"] = account
        yield


def _latencies(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p99_ms": round(ordered[max(0, int(len(ordered) * 0.99) - 1)] * 1000, 2),
        "requests": len(ordered),
    }


def _queue(context: Context) -> Sample:
    from nentang.kernel.pagination import paginate
    from nentang.publicservices import selectors

    account = context.state["account"]
    latencies = []
    for _ in range(int(context.params["requests"])):
        started = time.perf_counter()
        page = paginate(
            selectors.officer_queue(actor=account, role="processing", sla="overdue"),
            order=selectors.QUEUE_ORDER,
            limit=25,
        )
        rows = [(d.receipt_code, selectors.sla_badge(d).code) for d in page.items]
        latencies.append(time.perf_counter() - started)
        if len(rows) != 25:
            raise BenchmarkError(f"the queue's first page has {len(rows)} rows, expected 25")
    details = _latencies(latencies)
    return Sample(details["p99_ms"], details)


def _raw(context: Context) -> Sample:
    from django.db import connection
    from django.utils import timezone

    latencies = []
    today = timezone.localdate()
    with connection.cursor() as cursor:
        for _ in range(int(context.params["requests"])):
            started = time.perf_counter()
            cursor.execute(_RAW, ["bench-agency-0", today])
            rows = cursor.fetchall()
            latencies.append(time.perf_counter() - started)
            if len(rows) != 26:
                raise BenchmarkError(f"the raw query returned {len(rows)} rows, expected 26")
    details = _latencies(latencies)
    return Sample(details["p99_ms"], details)


register(
    Benchmark(
        name="publicservices-queue",
        description="the officer's queue, first page (agency, role, SLA overdue), p99 latency "
        "through the selector vs the same query in raw SQL (PostgreSQL)",
        unit="ms (p99)",
        target=5.0,
        higher_is_better=False,
        scenario=_queue,
        baseline=_raw,
        scenario_label="officer_queue selector",
        baseline_label="raw SQL",
        setup=_queue_setup,
        params={
            "server": SERVER,
            "keep": KEEP,
            "dossiers": Param(1_000_000, "dossiers stored, over 40 agencies"),
            "requests": Param(200, "queue pages per measurement"),
        },
        summary_details=lambda s, b: (
            f"p50 {s['p50_ms']} ms vs {b['p50_ms']} ms; absolute target p99 ≤ 100 ms"
        ),
    )
)
