"""Profile a dossier submission through the API in process with pyinstrument (a
developer tool, not a benchmark: no rate is reported). The same fixtures and body as
``publicservices-submit`` (``bench/publicservices_http.py``), on a fresh PostgreSQL
database, through Django's full middleware stack (test client, bearer token)::

    pip install pyinstrument
    python -m bench.publicservices_profile [--requests 200] [--html out.html]
    python -m bench.publicservices_profile --cprofile [--requests 300]

It prints the queries of one submission (CaptureQueriesContext), the CPU time of this
process per submission over ``--requests`` unprofiled submissions (``time.process_time``:
the request's Python, not PostgreSQL's), then the call tree (pyinstrument, or cProfile's
top functions by own time with ``--cprofile``).
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
    args = parser.parse_args(argv)
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


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
