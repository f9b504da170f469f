"""The task worker of ``nentang serve`` survives what used to kill it for good.

* Killed (``kill -9``): the supervisor in ``nentang serve`` starts a new one, logs it.
* PostgreSQL restarted while entries are being written: the worker rides it out,
  reconnects and integrates every entry, a checkpoint covers them, /readyz is ready.
  The test starts its own throwaway PostgreSQL cluster (initdb + pg_ctl, as the
  postgres user when run as root) and restarts that one, never the shared server.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.support.processes import (
    Server,
    free_port,
    nentang_env,
    run_nentang,
    start_server,
    stop_server,
)

pytestmark = pytest.mark.slow


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.append((int(entry.name), cmdline))
    return found


def task_workers(server: Server) -> list[int]:
    return [pid for pid, cmd in children(server.process.pid) if "nentang worker" in cmd]


def wait_for(
    condition: Callable[[], object], timeout: float, what: str | Callable[[], str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.25)
    described = what() if callable(what) else what
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {described}")


def ready(server: Server) -> bool:
    try:
        return httpx.get(server.url + "/readyz", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def log_messages(server: Server) -> list[str]:
    messages = []
    for line in server.log_lines():
        try:
            messages.append(json.loads(line).get("message", ""))
        except ValueError:
            messages.append(line)
    return messages


def test_a_killed_task_worker_is_started_again(tmp_path: Path, migrated_database_url: str) -> None:
    env = nentang_env(tmp_path / "home", migrated_database_url)
    server = start_server(env, log_path=tmp_path / "serve.log")
    try:
        wait_for(lambda: len(task_workers(server)) == 1, 60, "the task worker")
        wait_for(lambda: ready(server), 60, "/readyz")
        (first,) = task_workers(server)
        os.kill(first, signal.SIGKILL)
        wait_for(
            lambda: task_workers(server) and task_workers(server) != [first],
            30,
            "a new task worker",
        )
        killed = f"task worker (pid {first}) exited with code -9"
        # The supervisor logs the exit before it starts the new worker; on a busy
        # machine the line may still be on its way to the file when we look.
        wait_for(
            lambda: any(m.startswith(killed) for m in log_messages(server)),
            10,
            lambda: f"{killed!r} in the log:\n" + "\n".join(server.log_lines()),
        )
        wait_for(
            lambda: any(m.startswith("task worker restarted (pid ") for m in log_messages(server)),
            10,
            lambda: "'task worker restarted' in the log:\n" + "\n".join(server.log_lines()),
        )
        assert httpx.get(server.url + "/readyz", timeout=10).status_code == 200
    finally:
        stop_server(server)
    assert task_workers(server) == []  # stopped with the server


# --- PostgreSQL restarted under load --------------------------------------------------


def postgres_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    assert candidates, "PostgreSQL's binaries (initdb, pg_ctl) are needed for this test"
    return candidates[-1].parent


def as_postgres(*command: str) -> subprocess.CompletedProcess[str]:
    prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    return subprocess.run(
        [*prefix, *command], capture_output=True, text=True, timeout=120, check=True
    )


class Cluster:
    """A throwaway PostgreSQL cluster of this test's own, on a free port."""

    def __init__(self) -> None:
        self.bin = postgres_bin()
        self.root = Path(tempfile.mkdtemp(prefix="nentang-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self.data = self.root / "data"
        self.port = free_port()
        as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8",
        )  # fmt: skip
        self.pg_ctl("start")
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/nentang"
        with psycopg.connect(self.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as db:
            db.execute("CREATE DATABASE nentang")

    def pg_ctl(self, action: str, *extra: str) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        as_postgres(
            str(self.bin / "pg_ctl"), "-D", str(self.data), "-w", "-l",
            str(self.root / "log"), "-o", options, action, *extra,
        )  # fmt: skip

    def query(self, sql: str) -> tuple[object, ...]:
        with psycopg.connect(self.url, connect_timeout=5) as db:
            row = db.execute(sql).fetchone()
        assert row is not None
        return tuple(row)

    def destroy(self) -> None:
        try:
            self.pg_ctl("stop", "-m", "immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    made = Cluster()
    try:
        yield made
    finally:
        made.destroy()


# Records audit entries until told to stop, riding out errors while the database is
# away; prints how many it committed.
WRITER = """
import os, sys, time, django
django.setup()
from django.db import transaction, DatabaseError, connections
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
committed, stop = 0, sys.argv[1]
while not os.path.exists(stop):
    try:
        with transaction.atomic():
            auditing.record(actor=Actor.client("merchant-bach-hoa-an"),
                            action="payments.merchant_payment.create",
                            subject_type="payments.merchant_payment", subject=f"mp-{committed}")
        committed += 1
    except DatabaseError:
        for connection in connections.all():
            connection.close()
            getattr(connection, "close_pool", lambda: None)()
        time.sleep(0.2)
    time.sleep(0.01)
print(committed)
"""


@pytest.mark.postgres_only
def test_the_worker_rides_out_a_postgresql_restart_under_load(
    tmp_path: Path, cluster: Cluster
) -> None:
    env = nentang_env(
        tmp_path / "home",
        cluster.url,
        NENTANG_AUDIT_CHECKPOINT_SECONDS="1",
        DJANGO_SETTINGS_MODULE="nentang.config.settings",
    )
    assert run_nentang("migrate", env=env).returncode == 0
    server = start_server(env, "--no-migrate", log_path=tmp_path / "serve.log")
    stop = tmp_path / "stop-writing"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(stop)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        wait_for(lambda: len(task_workers(server)) == 1, 60, "the task worker")
        (worker,) = task_workers(server)
        wait_for(lambda: cluster.query("SELECT count(*) FROM audit_logleaf")[0], 60, "leaves")

        cluster.pg_ctl("restart", "-m", "fast")  # under load: the writer keeps writing
        time.sleep(3)
        stop.touch()
        written = int(writer.communicate(timeout=60)[0])
        assert written > 0

        def all_integrated_and_signed() -> bool:
            entries, pending, size, signed = cluster.query(
                "SELECT (SELECT count(*) FROM audit_auditentry), "
                "(SELECT count(*) FROM audit_pendingentry), "
                "(SELECT size FROM audit_treestate), (SELECT max(size) FROM audit_checkpoint)"
            )
            return entries == size == signed and pending == 0

        wait_for(all_integrated_and_signed, 90, "every entry integrated and signed")
        assert task_workers(server) == [worker]  # the same worker rode it out
        messages = log_messages(server)
        assert any(m.startswith("task worker lost the database (") for m in messages)
        assert any(m.startswith("database reachable again after ") for m in messages)
        wait_for(
            lambda: httpx.get(server.url + "/readyz", timeout=10).status_code == 200,
            30,
            "/readyz",
        )
        verify = run_nentang("audit", "verify", env=env)
        assert verify.returncode == 0, verify.stderr
    finally:
        stop.touch()
        if writer.poll() is None:
            writer.kill()
        stop_server(server)
