"""Benchmarks of the tamper-evident audit log, on PostgreSQL (a database of their own on
127.0.0.1:5432, dropped afterwards; see ``_audit_setup``).

* ``audit-integrate`` — entries integrated into the Merkle tree per second (batches of
  5,000, one transaction each) while writer processes record entries through
  ``record``; baseline: a plain INSERT of the same leaf rows under the same writers. The
  raw SHA-256 rate of the same leaves (the physical limit) is measured in the same run.
* ``audit-proof`` — inclusion-proof latency at 1,000,000 entries (p99; p50 and the
  latency through the whole API stack as details); baseline: a primary-key read of one
  leaf row, the floor of any answer from the database.
* ``audit-verify`` — ``nentang audit verify`` time per million entries; baseline: reading
  the same rows and hashing them, the floor of any verifier of this database.

The issue's absolute targets (≥ 10,000 entries/s; p99 ≤ 5 ms at 1 M entries) are printed
on the summary line; the harness target is the ratio to the baseline (docs/performance.md,
"Audit log", says why each is set where it is).
"""

from __future__ import annotations

import base64
import hashlib
import random
import statistics
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._audit_setup import (
    DEFAULT_SERVER,
    django_on_new_database,
    pending_entries,
    percentile,
    queue_entries,
    writer_details,
    writers,
)

_PLAIN_TABLE = """
CREATE TABLE IF NOT EXISTS bench_plain_leaf (
    "index" bigint PRIMARY KEY, entry_id bigint NOT NULL, leaf_hash bytea NOT NULL,
    integrated_at timestamptz NOT NULL
)
"""
_PLAIN_INSERT = """
INSERT INTO bench_plain_leaf ("index", entry_id, leaf_hash, integrated_at)
SELECT %s + position - 1, entry_id, leaf_hash, now()
FROM unnest(%s::bigint[], %s::bytea[]) WITH ORDINALITY AS t(entry_id, leaf_hash, position)
"""
_SCAN = """
SELECT l.leaf_hash, e.id, e.occurred_at, e.actor_type, e.actor, e.action, e.subject_type,
       e.subject, e.summary::text, e.request_id
FROM audit_logleaf l JOIN audit_auditentry e ON e.id = l.entry_id
WHERE l."index" >= %s AND l."index" < %s ORDER BY l."index"
"""
SERVER = Param(DEFAULT_SERVER, "PostgreSQL server (loopback only); a database is created on it")


# --- audit-integrate ------------------------------------------------------------------


def _integrate(context: Context) -> Sample:
    from nentang.audit.services import integrate_pending

    count, batch = int(context.params["entries"]), int(context.params["batch"])
    queue_entries(count)
    with writers(int(context.params["writers"])) as stats:
        clock = time.perf_counter()
        done = integrate_pending(batch_size=batch, limit=count)
        elapsed = time.perf_counter() - clock
    if done != count:
        raise BenchmarkError(f"integrated {done} entries, expected {count}.")
    integrate_pending(batch_size=batch)  # what the writers added, outside the clock
    return Sample(done / elapsed, {"seconds": elapsed, **writer_details(stats)})


def _plain_insert(context: Context) -> Sample:
    from django.db import connection, transaction

    from nentang.audit.services import integrate_pending, leaf_bytes
    from nentang.audit.tlog.hashing import leaf_hashes

    count, batch = int(context.params["entries"]), int(context.params["batch"])
    queue_entries(count)
    entries = pending_entries(count)
    leaves = [leaf_bytes(entry) for entry in entries]
    clock = time.perf_counter()
    hashes = leaf_hashes(leaves)
    hashing = time.perf_counter() - clock
    ids = [entry.pk for entry in entries]
    with connection.cursor() as cursor:
        cursor.execute(_PLAIN_TABLE)
        cursor.execute("TRUNCATE bench_plain_leaf")
    with writers(int(context.params["writers"])) as stats:
        clock = time.perf_counter()
        for start in range(0, count, batch):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    _PLAIN_INSERT,
                    [start, ids[start : start + batch], hashes[start : start + batch]],
                )
        elapsed = time.perf_counter() - clock
    integrate_pending(batch_size=batch)  # keep the queue as the scenario expects it
    details = {"seconds": elapsed, "sha256_per_s": count / hashing, **writer_details(stats)}
    return Sample(count / elapsed, details)


def _integrate_summary(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    hashing = baseline.get("sha256_per_s", 0)
    return (
        f"raw SHA-256 of the same leaves {hashing:,.0f} entries/s; writers "
        f"{scenario.get('writer_entries_per_s', 0):,.0f} entries/s, p99 "
        f"{scenario.get('writer_p99_ms', 0):.1f} ms (target ≥ 10,000 entries/s integrated)"
    )


register(
    Benchmark(
        name="audit-integrate",
        description="audit entries integrated per second under concurrent writers "
        "vs a plain INSERT of the same leaf rows (PostgreSQL)",
        unit="entries/s",
        target=0.1,
        higher_is_better=True,
        scenario=_integrate,
        baseline=_plain_insert,
        scenario_label="integrator",
        baseline_label="plain INSERT",
        setup=django_on_new_database,
        params={
            "server": SERVER,
            "entries": Param(100_000, "entries integrated per measurement"),
            "batch": Param(5_000, "entries per transaction"),
            "writers": Param(2, "writer processes recording entries meanwhile"),
        },
        packages=("psycopg", "PyNaCl"),
        summary_details=_integrate_summary,
    )
)


# --- a log of a million entries -------------------------------------------------------


@contextmanager
def _million(context: Context) -> Iterator[None]:
    """A database holding ``entries`` integrated entries and a signed checkpoint."""
    with django_on_new_database(context):
        from nentang.audit.services import checkpoint_sign, integrate_pending

        count, batch = int(context.params["entries"]), int(context.params["load_batch"])
        clock = time.perf_counter()
        for start in range(0, count, 250_000):
            queue_entries(min(250_000, count - start))
        loaded = time.perf_counter() - clock
        context.log(f"{count:,} entries written with SQL in {loaded:.1f} s; integrating")
        clock = time.perf_counter()
        integrated = integrate_pending(batch_size=batch)
        elapsed = time.perf_counter() - clock
        checkpoint_sign()
        context.log(f"integrated in {elapsed:.1f} s ({integrated / elapsed:,.0f} entries/s)")
        context.facts.update(
            {
                "entries": integrated,
                "load_seconds": round(loaded, 1),
                "integrate_seconds": round(elapsed, 1),
                "integrate_batch": batch,
                "integrate_entries_per_s": round(integrated / elapsed),
            }
        )
        yield


def _latencies(samples: list[float]) -> dict[str, float]:
    return {
        "p50_ms": statistics.median(samples),
        "p99_ms": percentile(samples, 0.99),
        "max_ms": max(samples),
    }


def _proofs(context: Context) -> Sample:
    from django.test import Client

    from nentang.audit.selectors import checkpoint_latest, tlog_inclusion_proof, tlog_tree_head
    from nentang.audit.tlog import verify_inclusion

    size = tlog_tree_head().size
    rng = random.Random(int(context.params["seed"]))
    latencies = []
    for _ in range(int(context.params["samples"])):
        index = rng.randrange(size)
        clock = time.perf_counter()
        proof = tlog_inclusion_proof(index=index, tree_size=size)
        latencies.append((time.perf_counter() - clock) * 1000)
    checkpoint = checkpoint_latest()
    if checkpoint is None or bytes(checkpoint.root_hash) != proof.root_hash:
        raise BenchmarkError("the proof does not lead to the signed root.")
    verify_inclusion(index, size, proof.leaf_hash, proof.hashes, proof.root_hash)
    client = Client(HTTP_HOST="127.0.0.1")
    api = []
    for _ in range(int(context.params["samples"]) // 4):
        url = f"/api/v1/audit/proofs/inclusion?index={rng.randrange(size)}&tree_size={size}"
        clock = time.perf_counter()
        response = client.get(url)
        api.append((time.perf_counter() - clock) * 1000)
        if response.status_code != 200:
            raise BenchmarkError(f"{url} answered {response.status_code}.")
    api_latencies = _latencies(api)
    details = {
        **_latencies(latencies),
        "api_p50_ms": api_latencies["p50_ms"],
        "api_p99_ms": api_latencies["p99_ms"],
        "proof_hashes": len(proof.hashes),
    }
    return Sample(details["p99_ms"], details)


def _primary_key_reads(context: Context) -> Sample:
    from nentang.audit.models import LogLeaf
    from nentang.audit.selectors import tlog_tree_head

    size = tlog_tree_head().size
    rng = random.Random(int(context.params["seed"]))
    latencies = []
    for _ in range(int(context.params["samples"])):
        index = rng.randrange(size)
        clock = time.perf_counter()
        LogLeaf.objects.filter(index=index).values_list("leaf_hash", flat=True).first()
        latencies.append((time.perf_counter() - clock) * 1000)
    details = _latencies(latencies)
    return Sample(details["p99_ms"], details)


def _warm_proofs(context: Context) -> None:
    """Bring the tiles and leaves into PostgreSQL's cache, as in a serving log."""
    from nentang.audit.models import LogLeaf
    from nentang.audit.selectors import tlog_inclusion_proof, tlog_tree_head

    size = tlog_tree_head().size
    rng = random.Random(0)
    for _ in range(500):
        index = rng.randrange(size)
        tlog_inclusion_proof(index=index, tree_size=size)
        LogLeaf.objects.filter(index=index).values_list("leaf_hash", flat=True).first()


def _proof_summary(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    return (
        f"proof p50/p99 {scenario.get('p50_ms', 0):.2f}/{scenario.get('p99_ms', 0):.2f} ms "
        f"(target p99 ≤ 5 ms), through the API {scenario.get('api_p50_ms', 0):.2f}/"
        f"{scenario.get('api_p99_ms', 0):.2f} ms; primary-key read p50 "
        f"{baseline.get('p50_ms', 0):.2f} ms"
    )


MILLION = {
    "server": SERVER,
    "entries": Param(1_000_000, "entries in the log"),
    "load_batch": Param(50_000, "entries per transaction while loading"),
}

register(
    Benchmark(
        name="audit-proof",
        description="inclusion-proof latency (p99) at 1 M entries vs a primary-key read of "
        "one leaf (PostgreSQL)",
        unit="ms",
        target=5,
        higher_is_better=False,
        scenario=_proofs,
        baseline=_primary_key_reads,
        scenario_label="inclusion proof p99",
        baseline_label="primary-key read p99",
        setup=_million,
        warmup=_warm_proofs,
        params={
            **MILLION,
            "samples": Param(2_000, "proofs per measurement"),
            "seed": Param(6962, "seed of the random indices"),
        },
        packages=("psycopg",),
        summary_details=_proof_summary,
    )
)


# --- audit-verify ---------------------------------------------------------------------


def _verify(context: Context) -> Sample:
    from nentang.audit.selectors.tlog_verify import tlog_verify

    clock = time.perf_counter()
    report = tlog_verify()
    elapsed = time.perf_counter() - clock
    if not report.ok:
        raise BenchmarkError(f"the log does not verify: {report.problems[0]}")
    per_million = elapsed * 1_000_000 / report.entries_checked
    return Sample(per_million, {"seconds": elapsed, "entries": report.entries_checked})


def _scan_and_hash(context: Context) -> Sample:
    from django.db import connection

    from nentang.audit.selectors import tlog_tree_head

    size = tlog_tree_head().size
    clock = time.perf_counter()
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for start in range(0, size, 16_384):
            cursor.execute(_SCAN, [start, start + 16_384])
            for row in cursor.fetchall():
                leaf = "|".join(str(value) for value in row[1:]).encode()
                digest.update(hashlib.sha256(b"\x00" + leaf).digest())
    elapsed = time.perf_counter() - clock
    context.facts["scan_digest"] = base64.b64encode(digest.digest()).decode()
    return Sample(elapsed * 1_000_000 / size, {"seconds": elapsed, "entries": size})


register(
    Benchmark(
        name="audit-verify",
        description="`nentang audit verify` seconds per million entries vs reading and "
        "hashing the same rows (PostgreSQL)",
        unit="s/M",
        target=3.5,
        higher_is_better=False,
        scenario=_verify,
        baseline=_scan_and_hash,
        scenario_label="verify",
        baseline_label="scan + SHA-256",
        setup=_million,
        params=MILLION,
        packages=("psycopg", "PyNaCl"),
    )
)
