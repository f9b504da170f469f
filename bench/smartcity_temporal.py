"""``smartcity-temporal``: the temporal API's hourly aggregation over a month for one
entity, with a large history stored, on PostgreSQL (a database of its own, dropped
afterwards).

Set-up: ``--entities`` AirQualityObserved entities upserted through the NGSI-LD API,
then ``--readings`` PM2.5 readings per entity spread over October 2026 written straight
into the history table (``smartcity_observation``) with one ``INSERT … SELECT`` from
``generate_series`` per 50 entities (the API would take hours for ten million rows on
these machines; the rows are the ones the API writes: same columns, same unique key and
indexes; on the month's partition, created first as the daily partition task would
have), then ``ANALYZE``. Defaults: 1,000 × 1,000 = 1,000,000 observations (the
issue's figure is 10,000,000: ``--readings 10000``, if the machine has the time).

Scenario: ``GET /ngsi-ld/v1/temporal/entities/{id}?attrs=pm25&options=aggregatedValues
&aggrMethods=avg&aggrPeriodDuration=PT1H&timerel=between`` over the month for randomly
picked entities, through the whole Django stack in process (a machine token); p50/p99
latency. Baseline in the same run: the same hourly averages by one raw SQL ``GROUP BY
date_trunc('hour', observed_at)`` on the same table (psycopg, no ORM, no HTTP). Target
of the issue: p99 ≤ 200 ms for one entity.
"""

from __future__ import annotations

import datetime
import random
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench.smartcity import SERVER, _client, _latency, _setup, _token, _upserts

START = "2026-10-01T00:00:00Z"
END = "2026-10-31T00:00:00Z"
_LOAD = """
INSERT INTO smartcity_observation
    (tenant_id, entity_id, attr, dataset_id, observed_at, value, number, instance_id)
SELECT %(tenant)s, 'urn:ngsi-ld:AirQualityObserved:bench-' || lpad(e::text, 6, '0'),
       %(attr)s, '', t.at,
       jsonb_build_object('type', 'Property', 'value', t.v, 'unitCode', 'GQ',
           'observedAt', to_char(t.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
       t.v, gen_random_uuid()
FROM generate_series(%(first)s, %(last)s) AS e
CROSS JOIN LATERAL (
    SELECT %(start)s::timestamptz + r * %(step)s * interval '1 second' AS at,
           (20 + ((e * 7 + r * 13) %% 60))::float AS v
    FROM generate_series(0, %(readings)s - 1) AS r
) AS t
ON CONFLICT DO NOTHING
"""


@contextmanager
def _temporal_setup(context: Context) -> Iterator[None]:
    with _setup(context):
        from django.db import connection

        from nentang.smartcity.models import Tenant
        from nentang.smartcity.ngsild.contexts import core_terms

        _upserts(context)  # the entities, through the API
        entities = int(context.params["entities"])
        readings = int(context.params["readings"])
        step = 30 * 24 * 3600 / readings
        tenant = Tenant.objects.get(name="hue").pk
        attr = core_terms().expand("pm25")
        context.state.update({"tenant": tenant, "attr": attr})
        # The month's partition, as the daily task would have made it ahead of time
        # (migrating a new database makes only the current and next months').
        from nentang.smartcity.services import partitions

        partitions.ensure_partitions([partitions.month_start(datetime.date(2026, 10, 1))])
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for first in range(0, entities, 50):
                cursor.execute(
                    _LOAD,
                    {
                        "tenant": tenant,
                        "attr": attr,
                        "first": first,
                        "last": min(first + 50, entities) - 1,
                        "start": START,
                        "step": step,
                        "readings": readings,
                    },
                )
            cursor.execute("ANALYZE smartcity_observation")
            cursor.execute("SELECT count(*) FROM smartcity_observation")
            (stored,) = cursor.fetchone()
        context.state["stored"] = stored
        context.log(
            f"{stored:,} observations stored in {time.perf_counter() - started:.0f} s "
            f"({entities:,} entities × {readings:,} readings, plus the upserts' own)"
        )
        yield


def _picks(context: Context) -> list[str]:
    rng = random.Random(int(context.params["seed"]))
    count = int(context.params["entities"])
    return [
        f"urn:ngsi-ld:AirQualityObserved:bench-{rng.randrange(count):06d}"
        for _ in range(int(context.params["queries"]))
    ]


def _aggregations(context: Context) -> Sample:
    client = _client()
    headers = {"Authorization": f"Bearer {_token()}", "NGSILD-Tenant": "hue"}
    query = (
        "?attrs=pm25&options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=PT1H"
        f"&timerel=between&timeAt={START}&endTimeAt={END}"
    )
    latencies = []
    hours = 0
    picks = _picks(context)
    clock = time.perf_counter()
    for entity_id in picks:
        started = time.perf_counter()
        answer = client.get(f"/ngsi-ld/v1/temporal/entities/{entity_id}{query}", headers=headers)
        latencies.append(time.perf_counter() - started)
        if answer.status_code != 200:
            raise BenchmarkError(f"temporal GET {answer.status_code}: {answer.content[:300]!r}")
        hours = len(answer.json()["pm25"]["avg"])
    elapsed = time.perf_counter() - clock
    return Sample(
        len(picks) / elapsed,
        {**_latency(latencies), "hours": hours, "stored": context.state["stored"]},
    )


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
    return Sample(
        len(picks) / elapsed,
        {**_latency(latencies), "hours": hours, "stored": context.state["stored"]},
    )


def _summary(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return (
        f"p99 {scenario['p99_ms']:.1f} ms vs raw SQL {baseline['p99_ms']:.1f} ms "
        f"({scenario['hours']:.0f} hourly averages, {scenario['stored']:,.0f} observations "
        "stored); the issue's target is p99 ≤ 200 ms"
    )


register(
    Benchmark(
        name="smartcity-temporal",
        description="NGSI-LD temporal hourly average over a month for one entity, with "
        "1,000,000 observations stored, vs the same GROUP BY in raw SQL (PostgreSQL)",
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
            "queries": Param(200, "aggregations per measurement"),
            "seed": Param(20261207, "seed of the entities queried"),
        },
        packages=("psycopg", "PyLD"),
        summary_details=_summary,
    )
)
