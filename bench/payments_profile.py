"""Profile the HTTP transfer path of ``payments-http`` in process (a developer tool, not a
benchmark: no rate is reported). Same fixtures as ``bench/payments_http.py`` (funded
wallets by phone number, a machine client's token), on a fresh PostgreSQL database,
through Django's full middleware stack (test client)::

    python -m bench.payments_profile [--requests 300] [--profiler cprofile|pyinstrument]
    python -m bench.payments_profile --single [--requests 2000] [--cpu]
    python -m bench.payments_profile --batch [--requests 10]

It prints the queries of one request (CaptureQueriesContext), then the profile.
``--single`` profiles ``payments-single``'s work instead: one transfer per
``transfers_create`` call (no HTTP), among 1,000 funded accounts set up as
``bench/payments.py`` does. With ``PROFILE_CPU=1`` cProfile times CPU
(``time.process_time``) instead of the wall clock: on a loaded machine the wall clock is
mostly waiting for the scheduler and PostgreSQL, the CPU is what the client spends.
``--single --cpu`` runs them with no profiler and prints the CPU a transfer cost the
client and the database's PostgreSQL backends. ``--batch`` runs ``--requests`` batches
of 8,000 among 10,000 accounts (``payments-batch``'s fixtures) with no profiler and
prints the CPU a transfer cost the client and the PostgreSQL backend
(``/proc/<pg_backend_pid()>/stat``: the server must be local), the figures that stay
comparable when the machine is loaded.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench._api import Context

WALLETS = 200


def _body(rng: random.Random) -> str:
    payer = rng.randint(1, WALLETS)
    payee = rng.randint(1, WALLETS - 1)
    payee += payee >= payer
    return json.dumps(
        {
            "amount": str(rng.randint(1000, 50000)),
            "currency": "VND",
            "debitParty": [{"key": "msisdn", "value": f"+8490{payer:07d}"}],
            "creditParty": [{"key": "msisdn", "value": f"+8490{payee:07d}"}],
        }
    )


def main(argv: list[str]) -> int:
    from bench._audit_setup import DEFAULT_SERVER, django_on_new_database

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--profiler", choices=["cprofile", "pyinstrument"], default="cprofile")
    parser.add_argument("--server", default=os.environ.get("NENTANG_BENCH_PG", DEFAULT_SERVER))
    parser.add_argument("--single", action="store_true", help="transfers_create, one a call")
    parser.add_argument("--batch", action="store_true", help="CPU a transfer, batches of 8,000")
    parser.add_argument("--cpu", action="store_true", help="with --single: CPU, no profiler")
    args = parser.parse_args(argv)
    if args.single:
        return _single(args)
    if args.batch:
        return _batch_cpu(args)

    with tempfile.TemporaryDirectory() as work:
        context = Context(params={"server": args.server}, workdir=Path(work))
        with django_on_new_database(context, prefix="nentang_profile"):
            from django.test import Client

            from bench.payments_http import PATH, TOKEN, _machine_token, _wallets

            _wallets(WALLETS)
            _machine_token()
            client = Client(HTTP_HOST="127.0.0.1")
            rng = random.Random(1)

            def send() -> Any:
                response = client.post(
                    PATH, _body(rng), content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
                    HTTP_X_CORRELATIONID=str(uuid.uuid4()),
                )  # fmt: skip
                assert response.status_code == 201, response.content[:300]
                return response

            _profile(args, send)
    return 0


def _single(args: argparse.Namespace) -> int:
    from bench.payments import _batch_inputs, _setup

    with tempfile.TemporaryDirectory() as work:
        params = {"server": args.server, "accounts": 1000}
        context = Context(params=params, workdir=Path(work))
        with _setup(context):
            from nentang.payments import services

            def send() -> Any:
                [result] = services.transfers_create(
                    actor=context.state["actor"], transfers=_batch_inputs(context, 1)
                )
                assert result.status == "created", result.status
                return result

            if args.cpu:
                _single_cpu(args, send)
            else:
                _profile(args, send)
    return 0


def _backends_cpu() -> float:
    """CPU seconds of the live PostgreSQL backends of this database (all connections:
    the doorbell thread's too; the server must be local)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        pids = [pid for (pid,) in cursor.fetchall()]
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def _single_cpu(args: argparse.Namespace, send: Any) -> None:
    for _ in range(50):  # warm caches and connections
        send()
    time.sleep(0.2)
    wall, cpu, server = time.perf_counter(), time.process_time(), _backends_cpu()
    for _ in range(args.requests):
        send()
    time.sleep(0.2)  # the audit doorbell's check after the last commit
    wall, cpu = time.perf_counter() - wall - 0.2, time.process_time() - cpu
    server = _backends_cpu() - server
    done = args.requests
    print(
        f"{done} single transfers in {wall:.2f} s ({done / wall:,.0f}/s); CPU a transfer: "
        f"client {cpu / done * 1e3:.3f} ms, PostgreSQL backends {server / done * 1e3:.3f} ms"
    )


def _batch_cpu(args: argparse.Namespace) -> int:
    from bench.payments import _batch_inputs, _setup

    with tempfile.TemporaryDirectory() as work:
        params = {"server": args.server, "accounts": 10_000}
        context = Context(params=params, workdir=Path(work))
        with _setup(context):
            from django.db import connection

            from nentang.payments import services

            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                (pid,) = cursor.fetchone()

            def backend_cpu() -> float:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

            batches = [_batch_inputs(context, 8000) for _ in range(args.requests + 1)]
            services.transfers_create(actor=context.state["actor"], transfers=batches.pop())
            wall, cpu, server = time.perf_counter(), time.process_time(), backend_cpu()
            for inputs in batches:
                results = services.transfers_create(actor=context.state["actor"], transfers=inputs)
                assert all(result.status == "created" for result in results)
            wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
            server = backend_cpu() - server
            done = 8000 * len(batches)
            print(
                f"{done} transfers in {wall:.2f} s ({done / wall:,.0f}/s); CPU a transfer: "
                f"client {cpu / done * 1e6:.1f} µs, PostgreSQL backend {server / done * 1e6:.1f} µs"
            )
    return 0


def _profile(args: argparse.Namespace, send: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(20):  # warm caches and connections
        send()
    with CaptureQueriesContext(connection) as queries:
        send()
    print(f"{len(queries)} queries per request:")
    for query in queries.captured_queries:
        print("  ", query["sql"][:200])
    if args.profiler == "pyinstrument":
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        with profiler:
            for _ in range(args.requests):
                send()
        print(profiler.output_text(unicode=True, color=False, show_all=False))
    else:
        import cProfile
        import pstats

        cpu = bool(os.environ.get("PROFILE_CPU"))
        profile = cProfile.Profile(time.process_time if cpu else time.perf_counter)
        profile.enable()
        for _ in range(args.requests):
            send()
        profile.disable()
        stats = pstats.Stats(profile).sort_stats("cumulative")
        stats.print_stats(60)
        stats.sort_stats("tottime").print_stats(30)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
