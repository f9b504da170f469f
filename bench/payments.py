"""Benchmarks of the payments ledger, on PostgreSQL (a database of its own on
127.0.0.1:5432, ``nt_pay_bench_…``, dropped afterwards):

* ``payments-batch`` — transfers per second through ``services.transfers_create`` in
  batches (default 8,000 transfers a batch among 10,000 accounts: one lock query, the
  in-memory checks, bulk inserts of transfers and their two entries, one set-based
  update of the totals, one audit entry); baseline: a plain multi-row INSERT of the same
  number of transfer rows into a bare table with a primary key — the floor of writing
  that many rows, with no balances, no entries and no checks. The issue's absolute
  target is ≥ 50,000 transfers/s.
* ``payments-single`` — single transfers per second through the service layer with 16
  concurrent worker processes among 10,000 accounts; baseline: ``pgbench``'s built-in TPC-B
  (``tpcb-like``, the classic bank-transfer transaction) with 16 clients on the same
  server, in the same run. Target ratio ≥ 0.5.
"""

from __future__ import annotations

import random
import re
import subprocess
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._audit_setup import DEFAULT_SERVER, django_on_new_database

SERVER = Param(DEFAULT_SERVER, "PostgreSQL server (loopback only); a database is created on it")
PREFIX = "nt_pay_bench"

_PLAIN = """
CREATE TABLE bench_plain_transfer (
    id uuid PRIMARY KEY, debit bigint NOT NULL, credit bigint NOT NULL,
    amount bigint NOT NULL, code varchar(20) NOT NULL, created_at timestamptz NOT NULL)
"""


@contextmanager
def _setup(context: Context) -> Iterator[None]:
    with django_on_new_database(context, prefix=PREFIX):
        from django.db import connection

        from nentang.kernel.auditing import Actor
        from nentang.payments import services
        from nentang.payments.models import Account

        actor = Actor.system("bench")
        count = int(context.params["accounts"])
        bank = services.system_account("system:bank-settlement")
        Account.objects.bulk_create(
            [
                Account(
                    code=f"wallet:bench:{n}",
                    kind="wallet",
                    name=f"bench {n}",
                    created_at=bank.created_at,
                )
                for n in range(count)
            ],
            batch_size=5000,
        )
        ids = list(Account.objects.filter(kind="wallet").values_list("id", flat=True))
        funding = [
            services.TransferInput(
                id=uuid.uuid4(),
                debit_account_id=bank.id,
                credit_account_id=account,
                amount=10**12,
                code="fund",
            )
            for account in ids
        ]
        for start in range(0, len(funding), 8000):
            services.transfers_create(actor=actor, transfers=funding[start : start + 8000])
        with connection.cursor() as cursor:
            cursor.execute(_PLAIN)
            cursor.execute("ANALYZE")
        context.state.update({"ids": ids, "actor": actor})
        context.facts["accounts"] = count
        yield


def _batch_inputs(context: Context, size: int) -> list[Any]:
    from nentang.payments.services import TransferInput

    rng = random.Random()
    ids = context.state["ids"]
    inputs = []
    for _ in range(size):
        debit, credit = rng.sample(ids, 2)
        inputs.append(
            TransferInput(
                id=uuid.uuid4(),
                debit_account_id=debit,
                credit_account_id=credit,
                amount=rng.randint(1, 100_000),
                code="p2p",
            )
        )
    return inputs


def _batched(context: Context) -> Sample:
    from nentang.payments import services

    size, rounds = int(context.params["batch"]), int(context.params["batches"])
    work = [_batch_inputs(context, size) for _ in range(rounds)]
    clock = time.perf_counter()
    for inputs in work:
        results = services.transfers_create(actor=context.state["actor"], transfers=inputs)
        failed = [r.status for r in results if r.status != "created"]
        if failed:
            raise BenchmarkError(f"{len(failed)} transfers failed: {failed[:3]}")
    elapsed = time.perf_counter() - clock
    done = size * rounds
    return Sample(done / elapsed, {"transfers": done, "seconds": round(elapsed, 3)})


def _plain_insert(context: Context) -> Sample:
    from django.db import connection, transaction
    from django.utils import timezone

    size, rounds = int(context.params["batch"]), int(context.params["batches"])
    work = [_batch_inputs(context, size) for _ in range(rounds)]
    clock = time.perf_counter()
    for inputs in work:
        now = timezone.now()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO bench_plain_transfer (id, debit, credit, amount, code, created_at) "
                "SELECT * FROM unnest(%s::uuid[], %s::bigint[], %s::bigint[], %s::bigint[], "
                "%s::varchar[], %s::timestamptz[])",
                [
                    [i.id for i in inputs],
                    [i.debit_account_id for i in inputs],
                    [i.credit_account_id for i in inputs],
                    [i.amount for i in inputs],
                    [i.code for i in inputs],
                    [now] * len(inputs),
                ],
            )
    elapsed = time.perf_counter() - clock
    done = size * rounds
    return Sample(done / elapsed, {"transfers": done, "seconds": round(elapsed, 3)})


register(
    Benchmark(
        name="payments-batch",
        description="Ledger transfers/s in batches through the service vs a plain INSERT",
        unit="transfers/s",
        target=0.1,
        scenario=_batched,
        baseline=_plain_insert,
        scenario_label="transfers_create (batches)",
        baseline_label="plain multi-row INSERT",
        params={
            "server": SERVER,
            "accounts": Param(10_000, "wallets among which money moves"),
            "batch": Param(8_000, "transfers per batch (at most 8,000)"),
            "batches": Param(5, "batches per measurement"),
        },
        setup=_setup,
        repeats=3,
    )
)


def _single_worker(context: Context, commands: Any, results: Any) -> None:
    """One worker process (forked with the funded accounts): on each command run single
    transfers from ``start`` for ``seconds`` (wall clock shared with the others), then
    report how many were created."""
    from nentang.payments import services

    while (command := commands.get()) is not None:
        start, seconds = command
        time.sleep(max(0.0, start - time.time()))
        done, error = 0, ""
        try:
            while time.time() < start + seconds:
                [item] = _batch_inputs(context, 1)
                [result] = services.transfers_create(actor=context.state["actor"], transfers=[item])
                if result.status != "created":
                    error = result.status
                    break
                done += 1
        except Exception as failure:  # reported to the parent
            error = repr(failure)
        results.put((done, error))


@contextmanager
def _single_setup(context: Context) -> Iterator[None]:
    """The accounts, then 16 worker processes (pgbench's clients are processes too: one
    Python process of threads would measure the GIL, not the ledger)."""
    import multiprocessing

    from django.db import connections

    with _setup(context):
        connections.close_all()
        # The pool's connections (and its scheduler thread) must not be shared with the
        # forked workers: close it, each worker opens its own.
        for connection in connections.all():
            if hasattr(connection, "close_pool"):
                connection.close_pool()
        fork = multiprocessing.get_context("fork")
        commands, results = fork.Queue(), fork.Queue()
        workers = [
            fork.Process(target=_single_worker, args=(context, commands, results), daemon=True)
            for _ in range(int(context.params["workers"]))
        ]
        for worker in workers:
            worker.start()
        context.state.update({"commands": commands, "results": results, "workers": workers})
        try:
            yield
        finally:
            for _ in workers:
                commands.put(None)
            for worker in workers:
                worker.join(timeout=30)


def _single(context: Context) -> Sample:
    workers, seconds = context.state["workers"], float(context.params["seconds"])
    start = time.time() + 1.0
    for _ in workers:
        context.state["commands"].put((start, seconds))
    reports = [context.state["results"].get(timeout=seconds + 120) for _ in workers]
    errors = [error for _done, error in reports if error]
    if errors:
        raise BenchmarkError(f"single transfers failed: {errors[:3]}")
    done = sum(count for count, _error in reports)
    return Sample(done / seconds, {"transfers": done, "seconds": seconds})


def _pgbench(context: Context) -> Sample:
    from django.conf import settings

    db = settings.DATABASES["default"]
    args = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    if not context.state.get("pgbench_ready"):
        subprocess.run(
            ["pgbench", "-i", "-q", "-s", "10", *args, db["NAME"]],
            check=True,
            capture_output=True,
        )
        context.state["pgbench_ready"] = True
    workers, seconds = int(context.params["workers"]), float(context.params["seconds"])
    run = subprocess.run(
        ["pgbench", "-b", "tpcb-like", "-c", str(workers), "-j", "4", "-T",
         str(max(1, round(seconds))), "-n", *args, db["NAME"]],
        check=True,
        capture_output=True,
        text=True,
    )  # fmt: skip
    match = re.search(r"tps = ([0-9.]+)", run.stdout)
    if match is None:
        raise BenchmarkError(f"pgbench printed no tps: {run.stdout[-300:]}")
    return Sample(float(match.group(1)), {"clients": workers})


register(
    Benchmark(
        name="payments-single",
        description="Single ledger transfers/s, 16 processes, vs pgbench TPC-B (16 clients)",
        unit="transfers/s",
        target=0.5,
        scenario=_single,
        baseline=_pgbench,
        scenario_label="transfers_create (one transfer per call, 16 processes)",
        baseline_label="pgbench tpcb-like, 16 clients",
        params={
            "server": SERVER,
            "accounts": Param(10_000, "wallets among which money moves"),
            "workers": Param(16, "worker processes / pgbench clients"),
            "seconds": Param(10.0, "seconds per measurement"),
        },
        setup=_single_setup,
        repeats=3,
    )
)
