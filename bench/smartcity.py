"""Benchmarks of the smartcity context (NGSI-LD), on PostgreSQL (a database of its own
on 127.0.0.1:5432, ``nt_sc_bench_…``, dropped afterwards):

* ``smartcity-upsert`` — entities upserted per second through
  ``POST /ngsi-ld/v1/entityOperations/upsert`` (batches of 500 AirQualityObserved
  entities with 4 attributes, a machine token, the whole Django stack in process:
  middleware, authentication, JSON-LD terms, validation, the locked batch, the history
  rows, the audit entry, subscription matching); baseline: a plain multi-row
  ``INSERT … ON CONFLICT DO UPDATE`` of the same JSON documents into a bare table with
  the same unique key. Reference: Orion-LD's published ~1,800 updates/s.
* ``smartcity-get`` — entity GETs per second by id (``GET /ngsi-ld/v1/entities/{id}``)
  with 10,000 entities stored; baseline: one raw SQL ``SELECT`` of the same row by its
  key (psycopg, no ORM, no HTTP stack). Reference: Orion-LD's ~4,200 GETs/s.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._audit_setup import DEFAULT_SERVER, django_on_new_database

SERVER = Param(DEFAULT_SERVER, "PostgreSQL server (loopback only); a database is created on it")
PREFIX = "nt_sc_bench"
SECRET = "bench-secret-0123456789"  # noqa: S105 - a throw-away client of a throw-away database
_PLAIN = """
CREATE TABLE bench_plain_entity (
    tenant_id bigint NOT NULL, entity_id varchar(256) NOT NULL, data jsonb NOT NULL,
    modified_at timestamptz NOT NULL, PRIMARY KEY (tenant_id, entity_id))
"""


def _entity(number: int, round_: int) -> dict[str, Any]:
    lon = 107.55 + (number % 100) * 0.001
    lat = 16.43 + (number // 100) * 0.0005
    at = f"2026-12-01T{round_ % 24:02d}:00:00Z"
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:bench-{number:06d}",
        "type": "AirQualityObserved",
        "pm25": {
            "type": "Property",
            "value": 20 + (number + round_) % 60,
            "unitCode": "GQ",
            "observedAt": at,
        },
        "pm10": {
            "type": "Property",
            "value": 40 + (number + round_) % 90,
            "unitCode": "GQ",
            "observedAt": at,
        },
        "name": {"type": "Property", "value": f"Trạm {number}"},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
    }


def _client_and_token() -> str:
    from nentang.audit.services import security_defaults_install
    from nentang.identity import services as identity
    from nentang.kernel.auditing import Actor
    from nentang.smartcity import services

    security_defaults_install()
    actor = Actor.system("bench")
    services.tenant_create(actor=actor, name="hue", title="Thành phố Huế")
    identity.client_register(
        actor=actor,
        name="bench",
        grant="client_credentials",
        client_id="bench-city",
        client_secret=SECRET,
        scopes=["smartcity"],
        purpose="Đo hiệu năng",
    )
    services.tenant_grant(actor=actor, tenant="hue", client_id="bench-city", can_write=True)
    return _token()


def _token() -> str:
    """A fresh access token (tokens live minutes; a slow measurement outlives one)."""
    import base64

    from django.test import Client

    basic = base64.b64encode(f"bench-city:{SECRET}".encode()).decode()
    answer = Client(HTTP_HOST="127.0.0.1").post(
        "/oidc/token",
        {"grant_type": "client_credentials", "scope": "smartcity"},
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    if answer.status_code != 200:
        raise BenchmarkError(f"no token: {answer.content[:200]!r}")
    return str(answer.json()["access_token"])


@contextmanager
def _setup(context: Context) -> Iterator[None]:
    with django_on_new_database(context, prefix=PREFIX):
        from django.db import connection

        token = _client_and_token()
        with connection.cursor() as cursor:
            cursor.execute(_PLAIN)
        context.state.update({"token": token, "round": 0})
        yield


def _batches(context: Context) -> list[list[dict[str, Any]]]:
    number = context.state["round"]
    context.state["round"] = number + 1
    count, size = int(context.params["entities"]), int(context.params["batch"])
    entities = [_entity(n, number) for n in range(count)]
    return [entities[i : i + size] for i in range(0, count, size)]


def _client() -> Any:
    """A test client whose middleware chain is already built (Django builds it on the
    first request: WhiteNoise indexes the static files, ~0.3 s), so the measurement is
    the steady state, not the process start."""
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.get("/ngsi-ld/v1/jsonldContexts/ngsi-ld-core-context-v1.8.jsonld")
    return client


def _upserts(context: Context) -> Sample:
    client = _client()
    headers = {"Authorization": f"Bearer {_token()}", "NGSILD-Tenant": "hue"}
    done = 0
    clock = time.perf_counter()
    for batch in _batches(context):
        answer = client.post(
            "/ngsi-ld/v1/entityOperations/upsert",
            json.dumps(batch),
            content_type="application/json",
            headers=headers,
        )
        if answer.status_code not in (201, 204):
            raise BenchmarkError(f"upsert answered {answer.status_code}: {answer.content[:300]!r}")
        done += len(batch)
    elapsed = time.perf_counter() - clock
    return Sample(done / elapsed, {"entities": done, "seconds": round(elapsed, 3)})


def _plain_upserts(context: Context) -> Sample:
    from django.db import connection, transaction
    from django.utils import timezone

    done = 0
    clock = time.perf_counter()
    for batch in _batches(context):
        now = timezone.now()
        rows = [(1, e["id"], json.dumps(e), now) for e in batch]
        with transaction.atomic(), connection.cursor() as cursor:
            placeholders = ",".join(["(%s,%s,%s::jsonb,%s)"] * len(rows))
            cursor.execute(
                "INSERT INTO bench_plain_entity (tenant_id, entity_id, data, modified_at) "  # noqa: S608
                f"VALUES {placeholders} ON CONFLICT (tenant_id, entity_id) DO UPDATE "
                "SET data = EXCLUDED.data, modified_at = EXCLUDED.modified_at",
                [value for row in rows for value in row],
            )
        done += len(rows)
    elapsed = time.perf_counter() - clock
    return Sample(done / elapsed, {"entities": done, "seconds": round(elapsed, 3)})


def _summary_upsert(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return f"Orion-LD published ~1,800 updates/s; {scenario['entities']:,.0f} entities per run"


register(
    Benchmark(
        name="smartcity-upsert",
        description="NGSI-LD batch upserts per second (entityOperations/upsert, 500 a batch) "
        "vs a plain INSERT … ON CONFLICT DO UPDATE of the same documents (PostgreSQL)",
        unit="entities/s",
        target=0.1,
        higher_is_better=True,
        scenario=_upserts,
        baseline=_plain_upserts,
        scenario_label="NGSI-LD upsert",
        baseline_label="plain upsert SQL",
        setup=_setup,
        params={
            "server": SERVER,
            "entities": Param(10_000, "entities upserted per measurement"),
            "batch": Param(500, "entities per request"),
        },
        packages=("psycopg", "PyLD", "shapely"),
        summary_details=_summary_upsert,
    )
)


@contextmanager
def _get_setup(context: Context) -> Iterator[None]:
    with _setup(context):
        _upserts(context)  # 10,000 entities stored through the API
        _plain_upserts(context)
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        yield


def _picks(context: Context) -> list[str]:
    rng = random.Random(int(context.params["seed"]))
    count = int(context.params["entities"])
    return [
        f"urn:ngsi-ld:AirQualityObserved:bench-{rng.randrange(count):06d}"
        for _ in range(int(context.params["gets"]))
    ]


def _gets(context: Context) -> Sample:
    client = _client()
    headers = {"Authorization": f"Bearer {_token()}", "NGSILD-Tenant": "hue"}
    latencies = []
    picks = _picks(context)
    clock = time.perf_counter()
    for entity_id in picks:
        started = time.perf_counter()
        answer = client.get(f"/ngsi-ld/v1/entities/{entity_id}", headers=headers)
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise BenchmarkError(f"GET answered {answer.status_code}: {answer.content[:200]!r}")
    elapsed = time.perf_counter() - clock
    return Sample(len(picks) / elapsed, _latency(latencies))


def _raw_gets(context: Context) -> Sample:
    from django.db import connection

    latencies = []
    picks = _picks(context)
    clock = time.perf_counter()
    with connection.cursor() as cursor:
        for entity_id in picks:
            started = time.perf_counter()
            cursor.execute(
                "SELECT data FROM bench_plain_entity WHERE tenant_id = 1 AND entity_id = %s",
                [entity_id],
            )
            row = cursor.fetchone()
            latencies.append(time.perf_counter() - started)
            if row is None:
                raise BenchmarkError(f"{entity_id} is missing from the plain table")
    elapsed = time.perf_counter() - clock
    return Sample(len(picks) / elapsed, _latency(latencies))


def _latency(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000, 3),
    }


def _summary_get(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return (
        f"p99 {scenario['p99_ms']:.2f} ms vs {baseline['p99_ms']:.2f} ms; "
        "Orion-LD published ~4,200 GETs/s"
    )


register(
    Benchmark(
        name="smartcity-get",
        description="NGSI-LD entity GETs per second by id with 10,000 entities stored vs one "
        "raw SQL SELECT of the same document (PostgreSQL)",
        unit="GETs/s",
        target=0.05,
        higher_is_better=True,
        scenario=_gets,
        baseline=_raw_gets,
        scenario_label="GET /ngsi-ld/v1/entities/{id}",
        baseline_label="raw SQL",
        setup=_get_setup,
        params={
            "server": SERVER,
            "entities": Param(10_000, "entities stored"),
            "batch": Param(500, "entities per upsert request while loading"),
            "gets": Param(2_000, "GETs per measurement"),
            "seed": Param(20261207, "seed of the ids read"),
        },
        packages=("psycopg", "PyLD"),
        summary_details=_summary_get,
    )
)


# ---------------------------------------------------------------------------------------
# smartcity-report: citizen reports created per second through ``services.report_create``
# (the person check, field rules, the report row, its first step, the audit entry and the
# IssueReporting entity upserted into the city's tenant, one transaction each) vs a plain
# INSERT of the same report rows (no rules, no audit, no entity).


@contextmanager
def _report_setup(context: Context) -> Iterator[None]:
    with django_on_new_database(context, prefix="nt_sc_bench_report"):
        import datetime

        from nentang.addresses import selectors as addresses
        from nentang.audit.services import security_defaults_install
        from nentang.identity import services as identity
        from nentang.identity.services import Residence
        from nentang.kernel.auditing import Actor
        from nentang.smartcity import services

        security_defaults_install()
        system = Actor.system("bench")
        admin = identity.administrator_create(
            created_by=system, username="quantri.bench", password=SECRET + "-admin"
        )
        services.tenant_create(actor=system, name="hue", title="Thành phố Huế")
        identity.agency_create(
            actor=admin,
            code="ioc-hue",
            name="Trung tâm điều hành Huế",
            kind="other",
            province_code="46",
        )
        services.desk_set(actor=system, tenant="hue", agency_code="ioc-hue", province_code="46")
        ward = str(addresses.commune_list(province_code="46").first().code)  # type: ignore[union-attr]
        person = identity.person_register(
            id_number="079090001234",
            full_name="Nguyễn Văn An",
            date_of_birth=datetime.date(1990, 5, 15),
            sex="male",
            phone="0903 123 456",
            email="",
            password=SECRET + "-citizen",
            residence=Residence("46", ward, "1 Lê Lợi"),
            portrait=b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64,
        )
        context.state.update({"account": person.account, "person": person, "round": 0})
        yield


def _report_round(context: Context) -> tuple[int, int]:
    number = context.state["round"]
    context.state["round"] = number + 1
    return number, int(context.params["reports"])


def _reports_created(context: Context) -> Sample:
    from nentang.smartcity import services

    number, count = _report_round(context)
    clock = time.perf_counter()
    for index in range(count):
        services.report_create(
            actor=context.state["account"],
            tenant="hue",
            category="streetlight",
            description=f"Đèn đường số {index} trên đường Lê Lợi không sáng.",
            idempotency_key=f"s-{number}-{index}",
            latitude=16.4637 + index * 1e-5,
            longitude=107.5905,
        )
    elapsed = time.perf_counter() - clock
    return Sample(count / elapsed, {"reports": count, "seconds": round(elapsed, 3)})


def _reports_plain(context: Context) -> Sample:
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from nentang.smartcity.models import Report, Tenant

    number, count = _report_round(context)
    tenant = Tenant.objects.get(name="hue")
    clock = time.perf_counter()
    for index in range(count):
        now = timezone.now()
        with transaction.atomic():
            Report.objects.create(
                tenant=tenant,
                reporter=context.state["person"],
                category_id="streetlight",
                description=f"Đèn đường số {index} trên đường Lê Lợi không sáng.",
                idempotency_key=f"p-{number}-{index}",
                latitude=16.4637 + index * 1e-5,
                longitude=107.5905,
                created_at=now,
                updated_at=now,
                due_at=now + timedelta(hours=48),
            )
    elapsed = time.perf_counter() - clock
    return Sample(count / elapsed, {"reports": count, "seconds": round(elapsed, 3)})


register(
    Benchmark(
        name="smartcity-report",
        description="Citizen reports created per second through services.report_create "
        "(rules, step, audit entry, IssueReporting entity) vs a plain INSERT of the same "
        "rows, one transaction each (PostgreSQL)",
        unit="reports/s",
        target=0.1,
        higher_is_better=True,
        scenario=_reports_created,
        baseline=_reports_plain,
        scenario_label="report_create",
        baseline_label="plain INSERT",
        setup=_report_setup,
        params={"server": SERVER, "reports": Param(300, "reports created per measurement")},
        packages=("psycopg",),
    )
)
