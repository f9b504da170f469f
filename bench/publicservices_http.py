"""Benchmarks of the publicservices context over HTTP and at scale, on PostgreSQL (a
database of its own, dropped afterwards):

* ``publicservices-submit`` — dossier submissions per second through the HTTP API
  (``POST /api/v1/services/dang-ky-tam-tru/applications`` with a person's bearer token:
  token check, e-form validation, the dossier and its first log entry, audit entry,
  outbox event), ``nentang serve`` with ``workers`` processes; baseline: the bare-Django
  view of ``http-floor-django`` (no middleware, no database) served by the same Granian
  settings in the same run, loaded by the same wrk. The issue's target: ≥ 300/s.
* ``publicservices-statistics`` — the public statistics page (``GET
  /services/statistics``, Decision 766 measures over a year) with ``dossiers`` stored
  (default 1,000,000, bulk-loaded as in ``publicservices-queue``, the roll-up recounted),
  rendered in-process through Django's test client from the daily roll-up (its query in
  raw SQL is timed beside each page, in the details); baseline: the same measures counted
  from the dossiers in raw SQL (psycopg), what the page did before the roll-up. The
  issue's target: ≤ 500 ms.
"""

from __future__ import annotations

import json
import secrets
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench import _servers, _wrk
from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._audit_setup import django_on_new_database
from bench._identity_setup import (
    database_backends,
    group_cpu_seconds,
    pids_cpu_seconds,
    wrk_run,
)
from bench.publicservices import KEEP, PREFIX, SERVER, _cast, load_dossiers

TOKEN = "bench-publicservices-token-" + "0" * 24
APPLY = "/api/v1/services/dang-ky-tam-tru/applications"
BODY = {
    "agency": "bench-agency-0",
    "data": {
        "applicant_full_name": "Nguyễn Văn An",
        "applicant_id_number": "079090001234",
        "address": "45 Nguyễn Huệ, Phường Sài Gòn, TP Hồ Chí Minh",
        "from_date": "2026-12-01",
        "months": 12,
        "basis": "rented",
    },
    # The required proof of residence, a small scan: each submission stores one file.
    "documents": [
        {"document": 0, "name": "hop-dong-thue-nha.pdf", "content": "JVBERi0xLjcKJSVFT0YK"}
    ],
}
LUA_JSON = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("BENCH_TOKEN")
wrk.body = os.getenv("BENCH_BODY")
"""


def _token(person: Any) -> None:
    """A consenting portal and a person's access token with the scope ``publicservices``."""
    from datetime import timedelta

    from django.utils import timezone
    from oauth2_provider.models import AccessToken, set_token_value

    from nentang.identity.models import Account
    from nentang.identity.oidc.services import client_register, consent_grant
    from nentang.kernel.auditing import Actor

    scopes = ["openid", "publicservices"]
    portal = client_register(
        actor=Actor.system("bench"),
        client_id="bench-dvc-portal",
        name="Bench public-service portal",
        public=True,
        redirect_uris=["http://127.0.0.1:9/callback"],
        purpose="Benchmark",
        scopes=scopes,
    ).application
    account = Account.objects.get(pk=str(person.account_id))
    consent_grant(account=account, application=portal, scopes=scopes, purpose="Benchmark")
    token = AccessToken(
        user=account,
        application=portal,
        scope=" ".join(scopes),
        expires=timezone.now() + timedelta(hours=6),
    )
    set_token_value(token, TOKEN)
    token.save()


@contextmanager
def _submit_setup(context: Context) -> Iterator[None]:
    _wrk.require_wrk()
    context.facts["wrk"] = _wrk.wrk_version()
    with django_on_new_database(context, prefix=PREFIX):
        from nentang.publicservices import services

        _officer, person = _cast()
        from nentang.identity.models import Account

        admin = Account.objects.get(username="bench.admin")
        services.receiving_unit_configure(
            actor=admin, agency_code="bench-agency-0", unit_code="000.31.29.H29"
        )
        _token(person)
        settings_file = context.workdir / "server-settings.json"
        environment = _servers.child_environment({"NENTANG_LOG_LEVEL": "WARNING"})
        environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
        started: list[_servers.Server] = []
        try:
            port = _servers.free_port()
            ours = _servers.start(
                "nentang",
                ["nentang", "--port", str(port), "--workers", str(context.params["workers"]),
                 "--settings", str(settings_file)],
                environment, context.workdir / "nentang.log", port,
            )  # fmt: skip
            started.append(ours)
            context.state["ours_group"] = ours.process.pid
            reference = _servers.wait_ready(ours, "/api/v1/ping")
            floor_port = _servers.free_port()
            floor_environment = {
                **environment,
                "BENCH_BARE_STATUS": str(reference.status),
                "BENCH_BARE_BODY": reference.body.decode(),
                "BENCH_BARE_HEADERS": json.dumps([]),
            }
            floor = _servers.start(
                "bare Django",
                ["other", "--target", "bench._django_floor:application", "--port",
                 str(floor_port), "--settings", str(settings_file)],
                floor_environment, context.workdir / "floor.log", floor_port,
            )  # fmt: skip
            started.append(floor)
            context.state["floor_group"] = floor.process.pid
            _servers.wait_ready(floor, "/api/v1/ping")
            context.state["ours"] = ours.base_url
            context.state["floor"] = floor.base_url
            context.facts["server"] = json.loads(settings_file.read_text(encoding="utf-8"))
            yield
            from nentang.publicservices.models import Dossier

            context.facts["dossiers_created"] = Dossier.objects.count()
        finally:
            for server in reversed(started):
                _servers.stop(server)


def _details(result: _wrk.WrkResult) -> dict[str, Any]:
    details: dict[str, Any] = {
        f"latency_{name}_ms": round(value, 2) for name, value in result.latency_ms.items()
    }
    details.update({"requests": result.requests, "errors": result.errors})
    return details


def _with_cpu(context: Context, who: str, details: dict[str, Any], run: Any) -> Any:
    """``run()``'s wrk result, with the CPU time per request of the server's processes
    and of the database's PostgreSQL backends during it put in ``details``: figures a
    loaded shared machine skews far less than it skews rates."""
    group = int(context.state[f"{who}_group"])
    backends = database_backends() if who == "ours" else []
    server_before, store_before = group_cpu_seconds(group), pids_cpu_seconds(backends)
    result = run()
    server = group_cpu_seconds(group) - server_before
    stored = pids_cpu_seconds(backends) - store_before
    details.update(_details(result))
    requests = max(1, result.requests)
    details["cpu_ms_per_request"] = round(1000 * server / requests, 3)
    details["postgres_cpu_ms_per_request"] = round(1000 * stored / requests, 3)
    return result


def _submissions(context: Context) -> Sample:
    body = json.dumps(BODY, ensure_ascii=False)
    details: dict[str, Any] = {}
    result = _with_cpu(
        context,
        "ours",
        details,
        lambda: wrk_run(
            context,
            context.state["ours"] + APPLY,
            LUA_JSON,
            {"BENCH_TOKEN": TOKEN, "BENCH_BODY": body},
            str(context.params["duration"]),
        ),
    )
    if result.non_2xx:
        raise BenchmarkError(f"{result.non_2xx} submissions were refused; the numbers are void.")
    return Sample(result.requests_per_second, details)


def _floor(context: Context) -> Sample:
    details: dict[str, Any] = {}
    result = _with_cpu(
        context,
        "floor",
        details,
        lambda: _wrk.run(
            context.state["floor"] + "/api/v1/ping",
            threads=int(context.params["threads"]),
            connections=int(context.params["connections"]),
            duration=str(context.params["duration"]),
        ),
    )
    if result.non_2xx:
        raise BenchmarkError("the Django floor gave non-2xx answers; the numbers are void.")
    return Sample(result.requests_per_second, details)


register(
    Benchmark(
        name="publicservices-submit",
        description="dossier submissions/s through the HTTP API (bearer token, e-form, "
        "dossier + log, audit, outbox) vs the bare-Django view (PostgreSQL, 2 workers)",
        unit="requests/s",
        # A ratio to a view that does nothing: one submission writes five rows and checks
        # a token and a form. The absolute target (≥ 300/s) is in the summary line.
        target=0.1,
        higher_is_better=True,
        scenario=_submissions,
        baseline=_floor,
        scenario_label="POST applications",
        baseline_label="bare Django view",
        setup=_submit_setup,
        params={
            "server": SERVER,
            "workers": Param(2, "server worker processes"),
            "threads": Param(2, "wrk threads"),
            "connections": Param(16, "wrk connections"),
            "duration": Param("10s", "each measurement's length"),
        },
        summary_details=lambda s, b: (
            f"p99 {s.get('latency_p99_ms')} ms vs {b.get('latency_p99_ms')} ms; CPU per "
            f"request {s.get('cpu_ms_per_request')} ms server + "
            f"{s.get('postgres_cpu_ms_per_request')} ms PostgreSQL vs "
            f"{b.get('cpu_ms_per_request')} ms; absolute target ≥ 300 submissions/s"
        ),
    )
)


# The page's query in raw SQL: the daily roll-up's rows of the year, summed per agency
# and procedure (timed beside each page).
_RAW_STATISTICS = """
SELECT agency_id, procedure_slug, sum(received), sum(finished), sum(early), sum(on_time),
       sum(late), sum(online), sum(paid_online), sum(electronic_result), sum(completed),
       sum(completed_microseconds)
FROM publicservices_dailystatistics
WHERE day >= current_date - 364
GROUP BY agency_id, procedure_slug HAVING sum(received) > 0
ORDER BY agency_id, procedure_slug
"""
# The baseline: the same measures counted from the dossiers (what the page did before
# the roll-up).
_RAW_RECOUNT = """
SELECT agency_id, procedure_slug, count(*),
       count(*) FILTER (WHERE sla_outcome <> ''),
       count(*) FILTER (WHERE sla_outcome = 'early'),
       count(*) FILTER (WHERE sla_outcome = 'on_time'),
       count(*) FILTER (WHERE sla_outcome = 'late'),
       count(*) FILTER (WHERE channel = 'online'),
       count(*) FILTER (WHERE payment_reference <> ''),
       count(*) FILTER (WHERE result_delivery = 'online'),
       avg(completed_at - received_at) FILTER (WHERE state = 'completed')
FROM publicservices_dossier
WHERE received_at IS NOT NULL AND received_at >= now() - interval '365 days'
GROUP BY agency_id, procedure_slug ORDER BY agency_id, procedure_slug
"""


@contextmanager
def _statistics_setup(context: Context) -> Iterator[None]:
    with django_on_new_database(context, prefix=PREFIX, keep=str(context.params["keep"])):
        _officer, person = _cast()
        load_dossiers(context, person)
        yield


def _timed(context: Context, run: Any) -> Sample:
    latencies = []
    for _ in range(int(context.params["requests"])):
        started = time.perf_counter()
        run()
        latencies.append(time.perf_counter() - started)
    ordered = sorted(latencies)
    details = {
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "max_ms": round(ordered[-1] * 1000, 1),
        "requests": len(ordered),
    }
    return Sample(details["p50_ms"], details)


def _statistics_page(context: Context) -> Sample:
    from django.db import connection
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="vi", HTTP_HOST="127.0.0.1")
    nonce = secrets.token_hex(2)
    rollup_sql: list[float] = []

    def run() -> None:
        page = client.get("/services/statistics", {"period": "365", "n": nonce})
        if page.status_code != 200 or b"UBND bench 0" not in page.content:
            raise BenchmarkError(f"the statistics page answered {page.status_code}")
        # The page's own query in raw SQL, timed beside it (not part of the page's time).
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute(_RAW_STATISTICS)
            cursor.fetchall()
            rollup_sql.append(time.perf_counter() - started)

    sample = _timed(context, run)
    rollup_ms = round(statistics.median(rollup_sql) * 1000, 2)
    return Sample(sample.value, {**sample.details, "rollup_sql_p50_ms": rollup_ms})


def _statistics_raw(context: Context) -> Sample:
    from django.db import connection

    def run() -> None:
        with connection.cursor() as cursor:
            cursor.execute(_RAW_RECOUNT)
            if not cursor.fetchall():
                raise BenchmarkError("the raw recount found nothing")

    return _timed(context, run)


register(
    Benchmark(
        name="publicservices-statistics",
        description="the public statistics page over a year (Decision 766 measures) with 1 M "
        "dossiers, rendered from the daily roll-up, vs the same measures counted from the "
        "dossiers in raw SQL (PostgreSQL)",
        unit="ms (p50)",
        # The roll-up must make the page much cheaper than counting the dossiers, even
        # with the template; the absolute target (≤ 500 ms) is in the summary line.
        target=0.5,
        higher_is_better=False,
        scenario=_statistics_page,
        baseline=_statistics_raw,
        scenario_label="statistics page",
        baseline_label="raw SQL recount",
        setup=_statistics_setup,
        params={
            "server": SERVER,
            "keep": KEEP,
            "dossiers": Param(1_000_000, "dossiers stored, over 40 agencies"),
            "requests": Param(10, "pages per measurement"),
        },
        summary_details=lambda s, b: (
            f"max {s['max_ms']} ms vs {b['max_ms']} ms; the roll-up's query alone "
            f"{s.get('rollup_sql_p50_ms')} ms; absolute target ≤ 500 ms"
        ),
    )
)
