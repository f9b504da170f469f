"""A sorting centre's batch of scans in flight when the server dies (``kill -9``): the
batch is one transaction, so the database holds all of it or none of it — events,
shipment statuses, the audit entry, the webhooks in the outbox and the Idempotency-Key
record — and the same request sent again (same key) stores it exactly once.

PostgreSQL only (the batch's lock on the event table shows when it is in flight). The
server is the real ``nentang serve`` in its own process group, killed with SIGKILL
(no shutdown of any kind); the data are loaded by the benchmark's own loaders.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.support.processes import Server, free_port, nentang_env, run_nentang

pytestmark = [pytest.mark.slow, pytest.mark.postgres_only]

COUNT = 1000  # one request of the largest batch the API takes

SEED = """
import sys, django
django.setup()
from bench.postal import _load_shipments, _network, _s10
merchant, token = _network()
_load_shipments(merchant, 1, int(sys.argv[1]))
print(token)
"""

IN_FLIGHT = """
SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
WHERE c.relname = 'postal_trackingevent' AND l.mode = 'RowExclusiveLock'
  AND l.granted AND l.pid <> pg_backend_pid()
"""


def start(env: dict[str, str], log_path: Path) -> Server:
    """``nentang serve`` as the leader of its own process group (so that kill -9 reaches
    every process it started)."""
    port = free_port()
    log = log_path.open("a", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-m", "nentang", "serve", "--no-migrate", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text()
        try:
            if httpx.get(url + "/healthz", timeout=1).status_code == 200:
                return Server(url=url, process=process, log_path=log_path)
        except httpx.HTTPError:
            time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    raise AssertionError("server did not start:\n" + log_path.read_text())


def kill_all(server: Server) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)


def counts(url: str, code: str) -> dict[str, int]:
    with psycopg.connect(url, connect_timeout=5) as db:
        row = db.execute(
            """
            SELECT (SELECT count(*) FROM postal_trackingevent WHERE code = %(code)s),
                   (SELECT count(*) FROM postal_shipment WHERE status = 'in_transit'),
                   (SELECT count(*) FROM audit_auditentry
                    WHERE action = 'postal.tracking.ingest'),
                   (SELECT count(*) FROM kernel_outboxevent
                    WHERE topic = 'postal.shipment.updated' AND payload->>'event' = %(code)s),
                   (SELECT count(*) FROM kernel_idempotencyrecord)
            """,
            {"code": code},
        ).fetchone()
    assert row is not None
    return dict(zip(("events", "in_transit", "audit", "webhooks", "keys"), row, strict=True))


def test_a_batch_in_flight_when_the_server_is_killed_is_stored_whole_or_not_at_all(
    tmp_path: Path, fresh_database_url: str
) -> None:
    env = nentang_env(
        tmp_path / "home", fresh_database_url, DJANGO_SETTINGS_MODULE="nentang.config.settings"
    )
    assert run_nentang("migrate", env=env).returncode == 0
    seeded = subprocess.run(
        [sys.executable, "-c", SEED, str(COUNT)],
        env={**env, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    token = seeded.stdout.strip().splitlines()[-1]
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    from bench.postal import _s10

    log_path = tmp_path / "serve.log"
    assert counts(fresh_database_url, "EDD") == {
        "events": 0, "in_transit": 0, "audit": 0, "webhooks": 0, "keys": 0,
    }  # fmt: skip

    # Kill the server while the batch's transaction holds its lock on the event table
    # (rows being written, no commit yet). On a fast machine the request may finish
    # first: then the next attempt sends another batch (another event code).
    for attempt, code in enumerate(("EDD", "EDE", "EMC", "EMD", "EMG")):
        body = {
            "scans": [
                {
                    "s10": _s10(n),
                    "code": code,
                    "occurred_at": f"2026-01-02T03:0{attempt}:05+07:00",
                    "facility_code": "ktc-tan-son-nhat",
                }
                for n in range(1, COUNT + 1)
            ]
        }
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"crash-{code}"}
        before = counts(fresh_database_url, code)
        server = start(env, log_path)
        answer: dict[str, Any] = {}

        def send(
            url: str = server.url,
            answer: dict[str, Any] = answer,
            body: dict[str, Any] = body,
            headers: dict[str, str] = headers,
        ) -> None:
            try:
                answer["response"] = httpx.post(
                    url + "/api/v1/postal/scans", json=body, headers=headers, timeout=300
                )
            except httpx.HTTPError as error:
                answer["error"] = error

        sender = threading.Thread(target=send)
        sender.start()
        with psycopg.connect(fresh_database_url, autocommit=True) as db:
            deadline = time.monotonic() + 240
            while sender.is_alive() and time.monotonic() < deadline:
                found = db.execute(IN_FLIGHT).fetchone()
                if found and found[0]:
                    kill_all(server)
                    break
                time.sleep(0.005)
        sender.join(timeout=60)
        kill_all(server)
        after = counts(fresh_database_url, code)
        if after["events"] == 0:  # none of it
            assert after == before
        else:  # all of it
            assert after == {
                "events": COUNT,
                "in_transit": COUNT,
                "audit": before["audit"] + 1,
                "webhooks": COUNT,
                "keys": before["keys"] + 1,
            }
        if "error" in answer:
            break
        assert answer["response"].status_code == 200, answer["response"].text
    else:
        pytest.fail("the request finished before the kill every time")

    # The client got no answer, so it sends the same request again (same key).
    server = start(env, log_path)
    try:
        retried = httpx.post(
            server.url + "/api/v1/postal/scans", json=body, headers=headers, timeout=300
        )
    finally:
        kill_all(server)
    assert retried.status_code == 200, retried.text
    assert counts(fresh_database_url, code) == {
        "events": COUNT,
        "in_transit": COUNT,
        "audit": after["audit"] + (after["events"] == 0),
        "webhooks": COUNT,
        "keys": after["keys"] + (after["events"] == 0),
    }
