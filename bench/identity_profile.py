"""Profile the OIDC token endpoints in process with pyinstrument or cProfile (a
developer tool, not a benchmark: no rate is reported). Same fixtures as
``bench/identity.py``, on a fresh PostgreSQL database, through the ASGI application
``nentang serve`` runs (``nentang.config.asgi.application``: body limit, pooled request
threads, the machine chain for ``/oidc/token`` and ``/oidc/userinfo``), one request at a
time on one event loop::

    pip install pyinstrument
    python -m bench.identity_profile userinfo|code|cc [--requests 300] [--html out.html]
    python -m bench.identity_profile cc --cprofile [--sort tottime]

It prints the call tree (or cProfile's table), the queries per request
(every connection's statements) and the CPU time per request of the profiled loop.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import _identity_setup as setup
from bench._api import Context


async def _asgi_call(application: Any, request: dict[str, Any]) -> tuple[int, bytes]:
    """One HTTP request through an ASGI application, in process."""
    from urllib.parse import urlencode

    headers = [(b"host", b"127.0.0.1")]
    for name, value in request.items():
        if name.startswith("HTTP_"):
            headers.append((name[5:].lower().replace("_", "-").encode(), value.encode()))
    body = b""
    method = "GET"
    if not request.get("get"):
        method = "POST"
        body = urlencode(request["data"]).encode()
        headers.append((b"content-type", b"application/x-www-form-urlencoded"))
        headers.append((b"content-length", str(len(body)).encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": request["path"],
        "raw_path": request["path"].encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    sent = False
    status = 0
    chunks: list[bytes] = []

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(3600)
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]
        elif message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    await application(scope, receive, send)
    return status, b"".join(chunks)


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
    parser.add_argument("--cprofile", action="store_true", help="cProfile instead")
    parser.add_argument("--plain", action="store_true", help="no profiler: CPU per request")
    parser.add_argument("--sort", default="cumulative", help="cProfile's sort key")
    parser.add_argument("--lines", type=int, default=60, help="cProfile lines printed")
    parser.add_argument("--server", default=os.environ.get("NENTANG_BENCH_PG", DEFAULT_SERVER))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as work:
        context = Context(params={"server": args.server}, workdir=Path(work))
        with django_on_new_database(context, prefix="nentang_profile"):
            from django.db.backends.utils import CursorWrapper

            from nentang.config.asgi import application
            from nentang.kernel.observability.threads import RequestThreads

            state = setup.fixtures()
            requests = _requests(args.kind, args.requests + 20, state)
            loop = asyncio.new_event_loop()

            def send(request: dict[str, Any]) -> None:
                status, content = loop.run_until_complete(_asgi_call(application, request))
                assert status == 200, content[:300]

            try:
                from nentang.audit.services.tlog import integration_soon_flush
            except ImportError:  # code from before the gathered check (PYTHONPATH)

                def integration_soon_flush() -> None:
                    pass

            for request in requests[:19]:  # warm caches and connections
                send(request)
            integration_soon_flush()  # the warm-up's check, not counted below
            # The request's sync code runs on a pooled thread, with its own connection:
            # count the statements of every connection (CaptureQueriesContext sees one).
            seen: list[str] = []
            cursors: Any = CursorWrapper

            class Counting:
                def __enter__(self) -> None:
                    self.original = cursors._execute_with_wrappers

                    def wrapped(
                        cursor: Any, sql: str, params: Any, many: bool, executor: Any
                    ) -> Any:
                        seen.append(sql)
                        return self.original(cursor, sql, params, many, executor)

                    cursors._execute_with_wrappers = wrapped

                def __exit__(self, *exc: object) -> None:
                    cursors._execute_with_wrappers = self.original

            with Counting():
                send(requests[19])
            print(f"{len(seen)} queries per request:")
            for sql in seen:
                print("  ", sql[:160])
            measured = requests[20:]
            cpu = time.process_time()
            wall = time.perf_counter()
            if args.plain:
                # Every backend of the database but this thread's own (the pooled
                # connections of the request threads), read from /proc: a local server.
                backends = setup.database_backends()
                pg = setup.pids_cpu_seconds(backends)
                cpu = time.process_time()
                wall = time.perf_counter()
                for request in measured:
                    send(request)
                cpu = time.process_time() - cpu
                wall = time.perf_counter() - wall
                pg = setup.pids_cpu_seconds(backends) - pg
                print(
                    f"PostgreSQL: {1000 * pg / len(measured):.2f} ms CPU per request"
                    f" ({len(backends)} backends)"
                )
            elif args.cprofile:
                import cProfile
                import pstats

                # A request's sync code (middleware, view, ORM) runs on the pooled thread
                # RequestThreads lends it; requests one at a time reuse one such thread:
                # profile it too, and add both threads' figures.
                threads: Any = application
                while not isinstance(threads, RequestThreads):
                    threads = threads.app
                (lent,) = threads._idle
                # Timed by each thread's CPU clock: on a shared machine wall time is mostly waiting.
                on_loop = cProfile.Profile(time.thread_time)
                on_thread = cProfile.Profile(time.thread_time)
                lent.submit(on_thread.enable).result()
                on_loop.enable()
                for request in measured:
                    send(request)
                on_loop.disable()
                lent.submit(on_thread.disable).result()
                cpu = time.process_time() - cpu
                wall = time.perf_counter() - wall
                stats = pstats.Stats(on_thread)
                stats.add(on_loop)
                stats.sort_stats(args.sort).print_stats(args.lines)
            else:
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.0005)
                with profiler:
                    for request in measured:
                        send(request)
                cpu = time.process_time() - cpu
                wall = time.perf_counter() - wall
                print(profiler.output_text(unicode=True, color=False, show_all=False))
                if args.html:
                    args.html.write_text(profiler.output_html(), encoding="utf-8")
            integration_soon_flush()  # before the database is dropped
            print(
                f"{len(measured)} requests: {1000 * cpu / len(measured):.2f} ms CPU and "
                f"{1000 * wall / len(measured):.2f} ms wall per request (profiler included)"
            )
            loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
