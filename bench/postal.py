"""Benchmarks of the postal context, on PostgreSQL (a database of its own on
127.0.0.1:5432, ``nt_post_bench_…``, dropped afterwards):

* ``postal-ingest`` — tracking events ingested per second through the batch scan API
  (``POST /api/v1/postal/scans``, 1,000 scans per request, a sorting centre's machine
  token, the whole Django stack in process: middleware, authentication, Idempotency-Key,
  validation, the locked fold of each shipment's events, flags, webhooks to the outbox,
  the audit entry); baseline: a plain multi-row INSERT of the same rows into a bare
  table with the same unique key, the floor of any ingestion into this database. The
  issue's absolute target is ≥ 5,000 events/s.
* ``postal-lookup`` — public tracking look-ups per second by S10 number
  (``selectors.shipment_public``: the shipment, its events, the facilities' cities) with
  10 million events stored; baseline: one raw SQL query fetching the same events by S10
  through the same indexes (psycopg, no ORM).

Shipments and historical events are bulk-loaded with SQL (minutes for 10 M rows), as
``bench/audit.py`` loads its entries.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._audit_setup import DEFAULT_SERVER, django_on_new_database

SERVER = Param(DEFAULT_SERVER, "PostgreSQL server (loopback only); a database is created on it")
PREFIX = "nt_post_bench"
SECRET = "bench-secret-0123456789"  # noqa: S105 - a throw-away client of a throw-away database

# S10 identifiers of serials 1..n with their UPU check digit, computed in SQL.
_S10 = """
'CE' || s || (CASE 11 - ((substr(s,1,1)::int*8 + substr(s,2,1)::int*6 + substr(s,3,1)::int*4
  + substr(s,4,1)::int*2 + substr(s,5,1)::int*3 + substr(s,6,1)::int*5
  + substr(s,7,1)::int*9 + substr(s,8,1)::int*7) %% 11)
  WHEN 10 THEN 0 WHEN 11 THEN 5
  ELSE 11 - ((substr(s,1,1)::int*8 + substr(s,2,1)::int*6 + substr(s,3,1)::int*4
  + substr(s,4,1)::int*2 + substr(s,5,1)::int*3 + substr(s,6,1)::int*5
  + substr(s,7,1)::int*9 + substr(s,8,1)::int*7) %% 11) END)::text || 'VN'
"""
_LOAD_SHIPMENTS = """
INSERT INTO postal_shipment (
    id, s10, s10_cycle, merchant_id, client_order_code, dossier_reference, service, status,
    sender_name, sender_phone, sender_line, sender_ward_code, sender_province_code,
    recipient_name, recipient_phone, recipient_line, recipient_ward_code, recipient_ward_name,
    recipient_province_code, recipient_province_name, recipient_postal_code,
    recipient_digital_code, weight_g, length_cm, width_cm, height_cm, declared_value, insured,
    note, fee_shipping, fee_insurance, fee_cod, fee_total, zone, cod_amount, cod_status,
    created_at, created_by, promised_by, attempts, flagged_events)
SELECT gen_random_uuid(), __S10__, 0, %(merchant)s, 'BENCH-' || g, '', 'ecommerce', %(status)s,
    'Công ty TNHH Bánh mì Sài Gòn', '+842838221234', '26 Lê Thánh Tôn', '26740', '79',
    'Người nhận ' || g, '+84912345678', g || ' Tôn Thất Tùng', '00229', 'Phường Kim Liên',
    '01', 'Thành phố Hà Nội', '10000', '', 1200, 30, 20, 10, 0, false, '', 52000, 0, 10000,
    62000, 'far', 150000, 'pending', now() - interval '3 days', 'system:bench',
    (now() + interval '2 days')::date, 0, 0
FROM (SELECT g, lpad(g::text, 8, '0') AS s FROM generate_series(%(first)s, %(last)s) AS g) AS t
""".replace("__S10__", _S10)
_LOAD_EVENTS = """
INSERT INTO postal_trackingevent (
    shipment_id, code, occurred_at, facility_code, actor, reason, flag, recorded_at)
SELECT s.id, (ARRAY['EMA','EDD','EDE','EMC','EMD','EMG','EDG','EMI'])[n],
       s.created_at + make_interval(hours => n * 3),
       (ARRAY['bc-sai-gon','ktc-tan-son-nhat','ktc-tan-son-nhat','ktc-tan-son-nhat',
              'bc-kim-lien','bc-kim-lien','bc-kim-lien','bc-kim-lien'])[n],
       'system:bench', '', '', now()
FROM postal_shipment s CROSS JOIN generate_series(1, %(per)s) AS n
WHERE s.client_order_code >= 'BENCH-' AND s.s10 BETWEEN %(low)s AND %(high)s
"""
_PLAIN = """
CREATE TABLE IF NOT EXISTS bench_plain_event (
    id bigserial PRIMARY KEY, shipment_id uuid NOT NULL, code varchar(3) NOT NULL,
    occurred_at timestamptz NOT NULL, facility_code varchar(40) NOT NULL,
    actor varchar(120) NOT NULL, recorded_at timestamptz NOT NULL,
    UNIQUE (shipment_id, code, occurred_at, facility_code))
"""
_RAW_LOOKUP = """
SELECT e.code, e.occurred_at, f.city FROM postal_trackingevent e
JOIN postal_shipment s ON s.id = e.shipment_id
LEFT JOIN postal_facility f ON f.code = e.facility_code
WHERE s.s10 = %s AND e.flag = '' ORDER BY e.occurred_at DESC, e.id DESC
"""


def _s10(serial: int) -> str:
    from nentang.postal.services.s10 import s10_format

    return s10_format("CE", serial)


def _network() -> Any:
    """Facilities, a merchant and the sorting centre's machine client with its token."""
    import datetime

    from django.utils import timezone
    from oauth2_provider.models import AccessToken

    from nentang.identity import services as identity
    from nentang.kernel.auditing import Actor
    from nentang.postal import services

    actor = Actor.system("bench")
    for code, name, kind, ward in (
        ("bc-sai-gon", "Bưu cục Sài Gòn", "post_office", "26740"),
        ("ktc-tan-son-nhat", "Trung tâm khai thác Tân Sơn Nhất", "sorting_centre", "26968"),
        ("bc-kim-lien", "Bưu cục Kim Liên", "delivery_office", "00229"),
    ):
        services.facility_create(actor=actor, code=code, name=name, kind=kind, ward_code=ward)
    identity.client_register(
        actor=actor, name="Bench shop", grant="client_credentials", client_id="bench-shop",
        client_secret=SECRET, scopes=["postal"], purpose="bench",
    )  # fmt: skip
    merchant = services.merchant_create(
        actor=actor, code="bench-shop", name="Công ty TNHH Bánh mì Sài Gòn",
        tax_code="0300588569", phone="028 3822 1234",
        pickup_address="26 Lê Thánh Tôn, Phường Sài Gòn, TP Hồ Chí Minh", client_id="bench-shop",
    )  # fmt: skip
    registered = identity.client_register(
        actor=actor, name="Sorting centre", grant="client_credentials",
        client_id="bench-sorting", client_secret=SECRET,
        scopes=["postal.scan"], purpose="bench",
    )  # fmt: skip
    token = "bench-scan-token-" + "x" * 24
    from nentang.identity.oidc.common import checksum

    AccessToken.objects.create(
        token=token, token_checksum=checksum(token), application=registered.application,
        expires=timezone.now() + datetime.timedelta(days=1), scope="postal.scan",
    )  # fmt: skip
    return merchant, token


def _load_shipments(merchant: Any, first: int, last: int, status: str = "pre_transit") -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            _LOAD_SHIPMENTS,
            {"merchant": merchant.id, "status": status, "first": first, "last": last},
        )


# --- postal-ingest ---------------------------------------------------------------------


@contextmanager
def _ingest_setup(context: Context) -> Iterator[None]:
    with django_on_new_database(context, prefix=PREFIX):
        from django.db import connection

        merchant, token = _network()
        count = int(context.params["shipments"])
        _load_shipments(merchant, 1, count)
        with connection.cursor() as cursor:
            cursor.execute(_PLAIN)
            cursor.execute("ANALYZE")
        context.state.update({"token": token, "round": 0})
        context.facts["shipments"] = count
        yield


def _batches(context: Context) -> list[list[dict[str, Any]]]:
    """The next round of scans: every shipment once more, at a later time, 1,000 a batch."""
    from django.utils import timezone

    codes = ["EDD", "EDE", "EMC", "EMD", "EMG", "EDG", "EDF", "EMA"]
    number = context.state["round"]
    context.state["round"] = number + 1
    code = codes[number % len(codes)]
    at = (timezone.now() - timedelta(hours=1) + timedelta(seconds=number)).isoformat()
    count, size = int(context.params["shipments"]), int(context.params["batch"])
    scans = [
        {"s10": _s10(serial), "code": code, "occurred_at": at, "facility_code": "ktc-tan-son-nhat"}
        for serial in range(1, count + 1)
    ]
    return [scans[i : i + size] for i in range(0, len(scans), size)]


def _ingest(context: Context) -> Sample:
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    batches = _batches(context)
    headers = {"Authorization": f"Bearer {context.state['token']}"}
    events = 0
    clock = time.perf_counter()
    for index, batch in enumerate(batches):
        answer = client.post(
            "/api/v1/postal/scans",
            json.dumps({"scans": batch}),
            content_type="application/json",
            headers={**headers, "Idempotency-Key": f"bench-{context.state['round']}-{index}"},
        )
        if answer.status_code != 200:
            raise BenchmarkError(
                f"the scan API answered {answer.status_code}: {answer.content[:300]!r}"
            )
        body = answer.json()
        if body["recorded"] != len(batch):
            raise BenchmarkError(
                f"recorded {body['recorded']} of {len(batch)} scans: {body['results'][:2]}"
            )
        events += body["recorded"]
    elapsed = time.perf_counter() - clock
    return Sample(events / elapsed, {"events": events, "seconds": round(elapsed, 3)})


def _plain_insert(context: Context) -> Sample:
    from django.db import connection, transaction
    from django.utils import timezone

    batches = _batches(context)
    ids = dict(
        __import__("nentang.postal.models", fromlist=["Shipment"]).Shipment.objects.values_list(
            "s10", "id"
        )
    )
    events = 0
    clock = time.perf_counter()
    for batch in batches:
        rows = [
            (
                ids[scan["s10"]],
                scan["code"],
                scan["occurred_at"],
                scan["facility_code"],
                "bench",
                timezone.now(),
            )
            for scan in batch
        ]
        with transaction.atomic(), connection.cursor() as cursor:
            placeholders = ",".join(["(%s,%s,%s,%s,%s,%s)"] * len(rows))
            cursor.execute(
                "INSERT INTO bench_plain_event (shipment_id, code, occurred_at, facility_code, "  # noqa: S608
                f"actor, recorded_at) VALUES {placeholders} ON CONFLICT DO NOTHING",
                [value for row in rows for value in row],
            )
        events += len(rows)
    elapsed = time.perf_counter() - clock
    return Sample(events / elapsed, {"events": events, "seconds": round(elapsed, 3)})


def _ingest_summary(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return f"absolute target ≥ 5,000 events/s; {scenario['events']:,.0f} events per run"


register(
    Benchmark(
        name="postal-ingest",
        description="tracking events ingested per second through the batch scan API vs a "
        "plain multi-row INSERT of the same rows (PostgreSQL)",
        unit="events/s",
        target=0.1,
        higher_is_better=True,
        scenario=_ingest,
        baseline=_plain_insert,
        scenario_label="batch scan API",
        baseline_label="plain INSERT",
        setup=_ingest_setup,
        params={
            "server": SERVER,
            "shipments": Param(10_000, "shipments, each scanned once per measurement"),
            "batch": Param(1_000, "scans per request"),
        },
        packages=("psycopg",),
        summary_details=_ingest_summary,
    )
)


# --- postal-lookup ---------------------------------------------------------------------


# The events table's secondary indexes and foreign key, dropped while the events load
# and made again afterwards (one sort and one join instead of 10 M index insertions and
# 10 M key checks); the table ends as its migrations make it.
_EVENT_TABLE_EXTRAS = """
SELECT 'c', conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'postal_trackingevent'::regclass AND contype IN ('u', 'f')
UNION ALL
SELECT 'i', c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i
  JOIN pg_class c ON c.oid = i.indexrelid
 WHERE i.indrelid = 'postal_trackingevent'::regclass AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
"""


def _load_history(context: Context, merchant: Any, count: int, per: int) -> None:
    """``count`` delivered shipments with ``per`` events each, loaded in SQL on the
    server (``INSERT … SELECT``: nothing crosses the wire, unlike ``COPY``)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(_EVENT_TABLE_EXTRAS)
        extras = cursor.fetchall()
        cursor.execute("SET synchronous_commit = off")
        for kind, name, _definition in extras:
            if kind == "c":
                cursor.execute(f'ALTER TABLE postal_trackingevent DROP CONSTRAINT "{name}"')
            else:
                cursor.execute(f'DROP INDEX "{name}"')
    step = 250_000
    for first in range(1, count + 1, step):
        last = min(first + step - 1, count)
        _load_shipments(merchant, first, last, status="delivered")
        with connection.cursor() as cursor:
            cursor.execute(_LOAD_EVENTS, {"per": per, "low": _s10(first), "high": _s10(last)})
        context.log(f"{last:,} shipments, {last * per:,} events loaded")
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for kind, name, definition in extras:
            context.log(f"making {name} again")
            if kind == "c":
                cursor.execute(
                    f'ALTER TABLE postal_trackingevent ADD CONSTRAINT "{name}" {definition}'
                )
            else:
                cursor.execute(definition)


@contextmanager
def _lookup_setup(context: Context) -> Iterator[None]:
    keep = str(context.params["keep"])
    with django_on_new_database(context, prefix=PREFIX, keep=keep):
        from django.db import connection

        from nentang.postal.models import Merchant

        events, per = int(context.params["events"]), 8
        count = events // per
        clock = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM postal_shipment")
            loaded = cursor.fetchone()[0]
        if loaded == 0:
            merchant, _token = _network()
            _load_history(context, merchant, count, per)
        elif loaded != count or not Merchant.objects.filter(code="bench-shop").exists():
            raise BenchmarkError(
                f"the kept database {keep} holds {loaded:,} shipments, not {count:,}: "
                "drop it or name another."
            )
        else:
            context.log(f"reusing {keep}: {loaded:,} shipments")
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
            cursor.execute("SELECT count(*) FROM postal_trackingevent")
            stored = cursor.fetchone()[0]
        context.facts.update(
            {
                "events": stored,
                "shipments": count,
                "load_seconds": round(time.perf_counter() - clock, 1),
            }
        )
        context.state["count"] = count
        yield


def _picks(context: Context) -> list[str]:
    rng = random.Random(int(context.params["seed"]))
    count = int(context.state["count"])
    return [_s10(rng.randint(1, count)) for _ in range(int(context.params["lookups"]))]


def _lookups(context: Context) -> Sample:
    from nentang.postal.selectors import shipment_public

    picks = _picks(context)
    latencies = []
    clock = time.perf_counter()
    for number in picks:
        started = time.perf_counter()
        found = shipment_public(s10=number)
        latencies.append(time.perf_counter() - started)
        if len(found.events) != 8:
            raise BenchmarkError(f"{number} has {len(found.events)} events, expected 8.")
    elapsed = time.perf_counter() - clock
    return Sample(len(picks) / elapsed, _latency_details(latencies))


def _raw_lookups(context: Context) -> Sample:
    from django.db import connection

    picks = _picks(context)
    latencies = []
    clock = time.perf_counter()
    with connection.cursor() as cursor:
        for number in picks:
            started = time.perf_counter()
            cursor.execute(_RAW_LOOKUP, [number])
            rows = cursor.fetchall()
            latencies.append(time.perf_counter() - started)
            if len(rows) != 8:
                raise BenchmarkError(f"{number} has {len(rows)} events, expected 8.")
    elapsed = time.perf_counter() - clock
    return Sample(len(picks) / elapsed, _latency_details(latencies))


def _latency_details(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies)
    return {
        "p50_ms": round(statistics.median(ordered) * 1000, 3),
        "p99_ms": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 3),
    }


def _lookup_summary(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return f"p99 {scenario['p99_ms']:.2f} ms vs {baseline['p99_ms']:.2f} ms"


register(
    Benchmark(
        name="postal-lookup",
        description="public tracking look-ups per second by S10 with 10 M events stored vs "
        "one raw SQL query for the same events (PostgreSQL)",
        unit="lookups/s",
        target=0.25,
        higher_is_better=True,
        scenario=_lookups,
        baseline=_raw_lookups,
        scenario_label="shipment_public",
        baseline_label="raw SQL",
        setup=_lookup_setup,
        params={
            "server": SERVER,
            "events": Param(10_000_000, "tracking events stored (8 per shipment)"),
            "lookups": Param(2_000, "look-ups per measurement"),
            "seed": Param(20250701, "seed of the parcels looked up"),
            "keep": Param(
                "",
                f"a database to keep and reuse between runs (name starting with {PREFIX}): "
                "created and loaded when empty; empty = a new one, dropped afterwards",
            ),
        },
        packages=("psycopg",),
        summary_details=_lookup_summary,
    )
)
