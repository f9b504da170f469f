"""Profile the OIDC token endpoints in process with pyinstrument (a developer tool, not
a benchmark: no rate is reported). Same fixtures as ``bench/identity.py``, on a fresh
PostgreSQL database, through Django's full middleware stack (test client)::

    pip install pyinstrument
    python -m bench.identity_profile userinfo|code|cc [--requests 300] [--html out.html]

It prints the call tree and the queries per request (CaptureQueriesContext).
"""

from __future__ import annotations

import argparse
import base64
import os
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import _identity_setup as setup
from bench._api import Context


def _requests(kind: str, count: int, state: dict[str, Any]) -> list[dict[str, Any]]:
    if kind == "userinfo":
        auth = f"Bearer {setup.USERINFO_TOKEN}"
        return [{"path": "/oidc/userinfo", "get": True, "HTTP_AUTHORIZATION": auth}] * count
    if kind == "cc":
        basic = base64.b64encode(f"{setup.MACHINE_ID}:{setup.MACHINE_SECRET}".encode()).decode()
        body = {"grant_type": "client_credentials", "scope": "introspection"}
        return [{"path": "/oidc/token", "data": body, "HTTP_AUTHORIZATION": f"Basic {basic}"}] * (
            count
        )
    return [
        {
            "path": "/oidc/token",
            "data": {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": setup.CALLBACK,
                "client_id": setup.PORTAL_ID,
                "code_verifier": setup.VERIFIER,
            },
        }
        for code in setup.codes(count, state)
    ]


def main(argv: list[str]) -> int:
    from bench._audit_setup import DEFAULT_SERVER, django_on_new_database

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=["userinfo", "code", "cc"])
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--html", type=Path)
    parser.add_argument("--server", default=os.environ.get("NENTANG_BENCH_PG", DEFAULT_SERVER))
    args = parser.parse_args(argv)
    from pyinstrument import Profiler

    with tempfile.TemporaryDirectory() as work:
        context = Context(params={"server": args.server}, workdir=Path(work))
        with django_on_new_database(context, prefix="nentang_profile"):
            from django.db import connection
            from django.test import Client
            from django.test.utils import CaptureQueriesContext

            state = setup.fixtures()
            requests = _requests(args.kind, args.requests + 20, state)
            client = Client(HTTP_HOST="127.0.0.1")

            def send(request: dict[str, Any]) -> None:
                extra = {k: v for k, v in request.items() if k.startswith("HTTP_")}
                if request.get("get"):
                    response = client.get(request["path"], **extra)
                else:
                    response = client.post(request["path"], request["data"], **extra)
                assert response.status_code == 200, response.content[:300]

            for request in requests[:20]:  # warm caches and connections
                send(request)
            with CaptureQueriesContext(connection) as queries:
                send(requests[20])
            print(f"{len(queries)} queries per request:")
            for query in queries.captured_queries:
                print("  ", query["sql"][:160])
            profiler = Profiler(interval=0.0005)
            with profiler:
                for request in requests[21:]:
                    send(request)
            print(profiler.output_text(unicode=True, color=False, show_all=False))
            if args.html:
                args.html.write_text(profiler.output_html(), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
