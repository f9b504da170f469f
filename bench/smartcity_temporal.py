"""``smartcity-temporal``: the temporal API's hourly aggregation over a month for one
entity, with a large history stored, on PostgreSQL (a database of its own, dropped
afterwards).

Set-up: ``--entities`` AirQualityObserved entities upserted through the NGSI-LD API,
then ``--readings`` PM2.5 readings per entity spread over October 2026 written straight
into October's partition of the history table by ``COPY`` (``kernel.copyrows``) into the
partition as a plain table, then attached (PostgreSQL builds its indexes once, sorted;
the API would take hours for ten million rows on these machines; the rows are the ones
the API writes: same columns, same unique key and indexes), then ``ANALYZE``. Defaults:
1,000 × 1,000 = 1,000,000 observations; the issue's 10,000,000 is ``--readings 10000``.

Scenario: ``GET /ngsi-ld/v1/temporal/entities/{id}?attrs=pm25&options=aggregatedValues
&aggrMethods=avg&aggrPeriodDuration=PT1H&timerel=between`` over the month for randomly
picked entities, through the whole Django stack in process (a machine token); p50/p99
latency; then the same hourly averages for ``--many`` entities (1,000) in one temporal
query (``GET /ngsi-ld/v1/temporal/entities?type=AirQualityObserved&…&limit=1000``),
timed apart (``many_ms``). Baseline in the same run: the same hourly averages by one raw
SQL ``GROUP BY date_trunc('hour', observed_at)`` per entity, and one ``GROUP BY entity,
hour`` for the many (psycopg, no ORM, no HTTP). Target of the issue: p99 ≤ 200 ms for
one entity (none for the many).
"""

from __future__ import annotations

import datetime
import os
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench.smartcity import SERVER, _client, _latency, _setup, _token, _upserts

START = "2026-10-01T00:00:00Z"
END = "2026-10-31T00:00:00Z"
_FIRST = datetime.datetime(2026, 10, 1, tzinfo=datetime.UTC)
_QUERY = (
    "attrs=pm25&options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1H"
    f"&timerel=between&timeAt={START}&endTimeAt={END}"
)


def _entity_id(number: int) -> str:
    return f"urn:ngsi-ld:AirQualityObserved:bench-{number:06d}"


def _rows(tenant: int, attr: str, entities: int, readings: int) -> Iterator[tuple[str, ...]]:
    """The history rows, entity by entity, in time order, every value already text (COPY
    takes text as it is: no per-value adaptation in Python). The times and their
    ``observedAt`` strings are the same for every entity, so they are made once."""
    step = 30 * 24 * 3600 / readings
    times = []
    for r in range(readings):
        moment = _FIRST + datetime.timedelta(seconds=r * step)
        times.append((moment.isoformat(), moment.strftime("%Y-%m-%dT%H:%M:%SZ")))
    tenant_text = str(tenant)
    for e in range(entities):
        entity = _entity_id(e)
        for r, (at, stamp) in enumerate(times):
            v = float(20 + (e * 7 + r * 13) % 60)
            value = (
                f'{{"type": "Property", "value": {v}, "unitCode": "GQ", "observedAt": "{stamp}"}}'
            )
            yield (
                tenant_text,
                entity,
                attr,
                "",
                at,
                value,
                str(v),
                f"{e:08x}-0000-4000-8000-{r:012x}",
            )


def _load(tenant: int, attr: str, entities: int, readings: int) -> None:
    """October's partition filled by ``COPY`` (``kernel.copyrows``) as a plain table
    first, then attached: PostgreSQL builds the partition's indexes (primary key, the
    unique key, the time index) once, sorted, instead of maintaining them row by row,
    and checks the partition bound in one scan. Ids come from the history's sequence
    (the column default), as the API's writes take them."""
    from django.db import connection, transaction

    from nentang.kernel.copyrows import copy_rows
    from nentang.smartcity.services import partitions

    start = partitions.month_start(datetime.date(2026, 10, 1))
    name = partitions.partition_name(start)
    table = partitions.TABLE
    columns = ["tenant_id", "entity_id", "attr", "dataset_id", "observed_at", "value",
               "number", "instance_id"]  # fmt: skip
    with transaction.atomic(), connection.cursor() as cursor:
        # The index builds of the attach sort in memory rather than on disk.
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        if name in partitions.partitions():
            cursor.execute(f'ALTER TABLE "{table}" DETACH PARTITION "{name}"')
            cursor.execute(f'DROP TABLE "{name}"')
        cursor.execute(
            f'CREATE TABLE "{name}" (LIKE "{table}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
        )
        copy_rows(connection, name, columns, _rows(tenant, attr, entities, readings))
        cursor.execute(
            f'ALTER TABLE "{table}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
            [start, partitions.next_month(start)],
        )


@contextmanager
def _temporal_setup(context: Context) -> Iterator[None]:
    with _setup(context):
        from django.db import connection

        from nentang.smartcity.models import Tenant
        from nentang.smartcity.ngsild.contexts import core_terms

        _upserts(context)  # the entities, through the API
        entities = int(context.params["entities"])
        readings = int(context.params["readings"])
        tenant = Tenant.objects.get(name="hue").pk
        attr = core_terms().expand("pm25")
        context.state.update({"tenant": tenant, "attr": attr})
        started = time.perf_counter()
        _load(tenant, attr, entities, readings)
        loaded = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE smartcity_observation")
            cursor.execute("SELECT count(*) FROM smartcity_observation")
            (stored,) = cursor.fetchone()
        context.state["stored"] = stored
        context.facts["load_seconds"] = round(loaded)
        context.facts["load_average_after_load"] = os.getloadavg()
        context.log(
            f"{stored:,} observations stored in {loaded:.0f} s by COPY + ATTACH, then "
            f"ANALYZE in {time.perf_counter() - started - loaded:.0f} s ({entities:,} "
            f"entities × {readings:,} readings, plus the upserts' own); load average "
            f"{os.getloadavg()}"
        )
        yield


def _picks(context: Context) -> list[str]:
    rng = random.Random(int(context.params["seed"]))
    count = int(context.params["entities"])
    return [_entity_id(rng.randrange(count)) for _ in range(int(context.params["queries"]))]


def _many(context: Context) -> int:
    """How many entities the many-entity aggregation covers (the API's page: ≤ 1,000)."""
    return min(int(context.params["entities"]), int(context.params["many"]))


def _many_aggregations(context: Context, client: Any, headers: dict[str, str]) -> dict[str, float]:
    """The hourly averages of the month for ``many`` entities in one temporal query
    (``GET /ngsi-ld/v1/temporal/entities?type=…&limit=…``), ``many_queries`` times."""
    many = _many(context)
    if not many or not int(context.params["many_queries"]):
        return {}
    times, buckets = [], 0
    for _ in range(int(context.params["many_queries"])):
        started = time.perf_counter()
        answer = client.get(
            f"/ngsi-ld/v1/temporal/entities?type=AirQualityObserved&{_QUERY}&limit={many}",
            headers=headers,
        )
        body = answer.json() if answer.status_code == 200 else None
        times.append(time.perf_counter() - started)
        if body is None:
            raise BenchmarkError(f"temporal query {answer.status_code}: {answer.content[:300]!r}")
        if len(body) != many:
            raise BenchmarkError(f"temporal query answered {len(body)} entities, not {many}")
        buckets = sum(len(entity["pm25"]["avg"]) for entity in body)
    return {"many_ms": 1000 * sorted(times)[len(times) // 2], "many_entities": many,
            "many_buckets": buckets}  # fmt: skip


def _aggregations(context: Context) -> Sample:
    client = _client()
    headers = {"Authorization": f"Bearer {_token()}", "NGSILD-Tenant": "hue"}
    latencies = []
    hours = 0
    picks = _picks(context)
    clock = time.perf_counter()
    for entity_id in picks:
        started = time.perf_counter()
        answer = client.get(f"/ngsi-ld/v1/temporal/entities/{entity_id}?{_QUERY}", headers=headers)
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise BenchmarkError(f"temporal GET {answer.status_code}: {answer.content[:300]!r}")
        hours = len(answer.json()["pm25"]["avg"])
    elapsed = time.perf_counter() - clock
    many = _many_aggregations(context, client, headers)
    return Sample(
        len(picks) / elapsed,
        {**_latency(latencies), "hours": hours, "stored": context.state["stored"], **many},
    )


def _raw_many(context: Context, cursor: Any) -> dict[str, float]:
    """The same hourly averages for the same entities by one raw ``GROUP BY entity,
    hour``."""
    many = _many(context)
    if not many or not int(context.params["many_queries"]):
        return {}
    ids = [_entity_id(n) for n in range(many)]
    times, buckets = [], 0
    for _ in range(int(context.params["many_queries"])):
        started = time.perf_counter()
        cursor.execute(
            "SELECT entity_id, date_trunc('hour', observed_at) AS hour, avg(number) "
            "FROM smartcity_observation WHERE tenant_id = %s AND entity_id = ANY(%s) "
            "AND attr = %s AND dataset_id = '' AND observed_at >= %s AND observed_at < %s "
            "GROUP BY 1, 2 ORDER BY 1, 2",
            [context.state["tenant"], ids, context.state["attr"], START, END],
        )
        buckets = len(cursor.fetchall())
        times.append(time.perf_counter() - started)
    return {"many_ms": 1000 * sorted(times)[len(times) // 2], "many_entities": many,
            "many_buckets": buckets}  # fmt: skip


def _raw_aggregations(context: Context) -> Sample:
    from django.db import connection

    latencies = []
    hours = 0
    picks = _picks(context)
    clock = time.perf_counter()
    with connection.cursor() as cursor:
        for entity_id in picks:
            started = time.perf_counter()
            cursor.execute(
                "SELECT date_trunc('hour', observed_at) AS hour, avg(number) "
                "FROM smartcity_observation WHERE tenant_id = %s AND entity_id = %s "
                "AND attr = %s AND dataset_id = '' AND observed_at >= %s AND observed_at < %s "
                "GROUP BY 1 ORDER BY 1",
                [context.state["tenant"], entity_id, context.state["attr"], START, END],
            )
            hours = len(cursor.fetchall())
            latencies.append(time.perf_counter() - started)
        elapsed = time.perf_counter() - clock
        many = _raw_many(context, cursor)
    return Sample(
        len(picks) / elapsed,
        {**_latency(latencies), "hours": hours, "stored": context.state["stored"], **many},
    )


def _summary(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return (
        f"p99 {scenario['p99_ms']:.1f} ms vs raw SQL {baseline['p99_ms']:.1f} ms "
        f"({scenario['hours']:.0f} hourly averages, {scenario['stored']:,.0f} observations "
        "stored); the issue's target is p99 ≤ 200 ms"
        + (
            f"; {scenario['many_entities']:,.0f} entities in one temporal query "
            f"{scenario['many_ms']:,.0f} ms ({scenario['many_buckets']:,.0f} hourly averages) "
            f"vs raw SQL GROUP BY entity, hour {baseline['many_ms']:,.0f} ms"
            if "many_ms" in scenario and "many_ms" in baseline
            else ""
        )
    )


register(
    Benchmark(
        name="smartcity-temporal",
        description="NGSI-LD temporal hourly average over a month for one entity and for "
        "1,000 entities, with 1,000,000 observations stored (--readings 10000: 10,000,000), "
        "vs the same GROUP BY in raw SQL (PostgreSQL)",
        unit="queries/s",
        target=0.05,
        higher_is_better=True,
        scenario=_aggregations,
        baseline=_raw_aggregations,
        scenario_label="GET /ngsi-ld/v1/temporal/entities/{id} (avg, PT1H)",
        baseline_label="raw SQL GROUP BY hour",
        setup=_temporal_setup,
        params={
            "server": SERVER,
            "entities": Param(1_000, "entities stored"),
            "readings": Param(1_000, "PM2.5 readings per entity over the month"),
            "batch": Param(500, "entities per upsert request while loading"),
            "queries": Param(200, "one-entity aggregations per measurement"),
            "many": Param(1_000, "entities in the many-entity aggregation (≤ 1,000: a page)"),
            "many_queries": Param(1, "many-entity aggregations per measurement (0: none)"),
            "seed": Param(20261207, "seed of the entities queried"),
        },
        packages=("psycopg", "PyLD"),
        summary_details=_summary,
    )
)
