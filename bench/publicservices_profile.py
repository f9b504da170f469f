"""Profile a dossier submission through the API in process with pyinstrument (a
developer tool, not a benchmark: no rate is reported). The same fixtures and body as
``publicservices-submit`` (``bench/publicservices_http.py``), on a fresh PostgreSQL
database, through Django's full middleware stack (test client, bearer token)::

    pip install pyinstrument
    python -m bench.publicservices_profile [--requests 200] [--html out.html]
    python -m bench.publicservices_profile --cprofile [--requests 300]
    python -m bench.publicservices_profile --http 10s

It prints the queries of one submission (CaptureQueriesContext), the CPU time of this
process per submission over ``--requests`` unprofiled submissions (``time.process_time``:
the request's Python, not PostgreSQL's), then the call tree (pyinstrument, or cProfile's
top functions by own time with ``--cprofile``). With ``--http``, instead, it serves the
benchmark's server (``nentang serve``, 2 workers, its task worker) and loads it with wrk
as ``publicservices-submit`` does, and prints the CPU per submission of each of the
server's processes and of the database's PostgreSQL backends.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

from bench._api import Context


def main(argv: list[str]) -> int:
    from bench._audit_setup import DEFAULT_SERVER, django_on_new_database
    from bench.publicservices import PREFIX, _cast
    from bench.publicservices_http import APPLY, BODY, TOKEN, _token

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--html", type=Path)
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead")
    parser.add_argument("--pstats", type=Path, help="with --cprofile: also save the stats")
    parser.add_argument("--cpu-only", action="store_true", help="no call tree")
    parser.add_argument("--server", default=os.environ.get("NENTANG_BENCH_PG", DEFAULT_SERVER))
    parser.add_argument("--http", metavar="DURATION", help="serve and load with wrk instead")
    parser.add_argument(
        "--py-spy", type=Path, help="with --http: py-spy's collapsed stacks of the workers"
    )
    args = parser.parse_args(argv)
    if args.http:
        return _http(args.server, args.http, args.py_spy)
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory() as work:
        context = Context(params={"server": args.server}, workdir=Path(work))
        with django_on_new_database(context, prefix=f"{PREFIX}_profile"):
            from django.db import connection
            from django.test import Client
            from django.test.utils import CaptureQueriesContext

            from nentang.identity.models import Account
            from nentang.publicservices import services

            _officer, person = _cast()
            admin = Account.objects.get(username="bench.admin")
            services.receiving_unit_configure(
                actor=admin, agency_code="bench-agency-0", unit_code="000.31.29.H29"
            )
            _token(person)
            client = Client(HTTP_HOST="127.0.0.1")
            body = json.dumps(BODY)

            def send() -> None:
                response = client.post(
                    APPLY,
                    body,
                    content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {TOKEN}",
                )
                assert response.status_code == 201, response.content[:300]

            for _warm in range(20):  # caches, the catalogue, connections
                send()
            with CaptureQueriesContext(connection) as queries:
                send()
            print(f"{len(queries)} queries per submission:")
            for query in queries.captured_queries:
                print("  ", query["sql"][:160])
            started, cpu = time.perf_counter(), time.process_time()
            for _request in range(args.requests):
                send()
            cpu = (time.process_time() - cpu) / args.requests
            wall = (time.perf_counter() - started) / args.requests
            print(
                f"CPU of this process per submission: {cpu * 1000:.2f} ms "
                f"(wall {wall * 1000:.2f} ms; {args.requests} submissions; "
                f"load {os.getloadavg()[0]:.1f})"
            )
            if args.cpu_only:
                return 0
            if args.cprofile:
                import cProfile
                import pstats

                with cProfile.Profile(time.process_time) as cprofile:  # CPU, not waits
                    for _request in range(args.requests):
                        send()
                if args.pstats:
                    cprofile.dump_stats(args.pstats)
                pstats.Stats(cprofile).sort_stats("tottime").print_stats(45)
                pstats.Stats(cprofile).sort_stats("cumulative").print_stats(60)
                return 0
            profiler = Profiler(interval=0.0005)
            with profiler:
                for _request in range(args.requests):
                    send()
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            if args.html:
                args.html.write_text(profiler.output_html(), encoding="utf-8")
    return 0


def _http(server: str, duration: str, spy: Path | None = None) -> int:
    """CPU per submission of each process of the benchmark's server and of PostgreSQL's
    backends, over one wrk run of ``duration`` after a warm-up."""
    from bench._identity_setup import _stat_cpu, _stats, database_backends, wrk_run
    from bench.publicservices_http import APPLY, BODY, LUA_JSON, TOKEN, _submit_setup

    with tempfile.TemporaryDirectory() as work:
        params: dict[str, int | float | str | bool] = {
            "server": server,
            "workers": 2,
            "threads": 2,
            "connections": 16,
        }
        context = Context(params=params, workdir=Path(work))
        with _submit_setup(context):
            group = int(context.state["ours_group"])
            body = json.dumps(BODY, ensure_ascii=False)
            environment = {"BENCH_TOKEN": TOKEN, "BENCH_BODY": body}
            url = context.state["ours"] + APPLY
            wrk_run(context, url, LUA_JSON, environment, "3s")  # warm: pools, caches
            backends = set(database_backends())

            def snapshot() -> dict[int, float]:
                return {
                    stat[0]: _stat_cpu(stat)
                    for stat in _stats()
                    if stat[2] == group or stat[0] in backends
                }

            spies = []
            if spy is not None:  # py-spy (pip install py-spy) samples each web worker
                import subprocess

                workers = [p for p in snapshot() if p not in backends and p != group]
                seconds = str(int(duration.rstrip("s")) - 1)
                spies = [
                    subprocess.Popen(
                        [
                            "py-spy",
                            "record",
                            "--pid",
                            str(pid),
                            "--duration",
                            seconds,
                            "--rate",
                            "250",
                            "--nonblocking",
                            "--gil",
                            "--format",
                            "raw",
                            "--output",
                            f"{spy}.{pid}",
                        ],
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                    for pid in workers
                ]
            before = snapshot()
            result = wrk_run(context, url, LUA_JSON, environment, duration)
            after = snapshot()
            for process in spies:
                process.wait(timeout=60)
            count = max(1, result.requests)
            print(
                f"{result.requests} submissions, {result.requests_per_second:.1f}/s, "
                f"{result.non_2xx} refused, load {os.getloadavg()[0]:.1f}"
            )
            total = 0.0
            for pid in sorted(after):
                used = after[pid] - before.get(pid, 0.0)
                if used <= 0:
                    continue
                total += used
                kind = "postgres" if pid in backends else _command(pid)
                print(f"  {pid:>8} {1000 * used / count:8.3f} ms  {kind}")
            print(f"CPU per submission: {1000 * total / count:.3f} ms (server + PostgreSQL)")
    return 0


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    return raw.replace(b"\0", b" ").decode(errors="replace")[:90]


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
