"""Start, probe and stop the local servers an HTTP benchmark loads."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from bench._api import BenchmarkError, Context
from bench._harness import REPO_ROOT


@dataclass(frozen=True)
class Response:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        for key, value in self.headers:
            if key.lower() == name.lower():
                return value
        return None


@dataclass
class Server:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path
    port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return " | ".join(text.strip().splitlines()[-lines:])


def free_port() -> int:
    """A free loopback port: any (the kernel's choice), or the first free one in
    ``NENTANG_BENCH_PORTS`` (``first-last``, e.g. ``8110-8119``) on a machine where
    each user of it keeps to a range of ports."""
    wanted = os.environ.get("NENTANG_BENCH_PORTS", "").strip()
    if wanted:
        first, _, last = wanted.partition("-")
        for candidate in range(int(first), int(last or first) + 1):
            if candidate in _handed_out:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                try:
                    sock.bind(("127.0.0.1", candidate))
                except OSError:
                    continue
            _handed_out.add(candidate)
            return candidate
        raise BenchmarkError(f"no free port in NENTANG_BENCH_PORTS={wanted}.")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_handed_out: set[int] = set()


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """The environment of a server: ours, with the repo root importable after PYTHONPATH."""
    environment = dict(os.environ)
    paths = [p for p in environment.get("PYTHONPATH", "").split(os.pathsep) if p]
    environment["PYTHONPATH"] = os.pathsep.join([*paths, str(REPO_ROOT)])
    environment.update(extra)
    return environment


def start(
    name: str, arguments: list[str], environment: Mapping[str, str], log_path: Path, port: int
) -> Server:
    """Start ``python -m bench._serve …`` in its own process group, logging to a file."""
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "bench._serve", *arguments],
            cwd=REPO_ROOT,
            env=dict(environment),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name=name, process=process, log_path=log_path, port=port)


def fetch(url: str, timeout: float = 5.0) -> Response:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return Response(answer.status, list(answer.headers.items()), answer.read())
    except urllib.error.HTTPError as error:
        return Response(error.code, list(error.headers.items()), error.read())


def wait_ready(server: Server, path: str, timeout: float = 90.0) -> Response:
    """Poll ``path`` until the server answers; fail with the end of its log otherwise."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise BenchmarkError(
                f"the {server.name} server exited with status {server.process.returncode}: "
                f"{server.log_tail()}."
            )
        try:
            return fetch(server.base_url + path, timeout=2.0)
        except (OSError, urllib.error.URLError):
            time.sleep(0.25)
    raise BenchmarkError(
        f"the {server.name} server did not answer within {timeout:.0f} s: {server.log_tail()}."
    )


def stop(server: Server, grace: float = 10.0) -> None:
    """Stop the server's process group (it and its workers), gently first."""
    if server.process.poll() is None:
        try:
            os.killpg(server.process.pid, signal.SIGINT)
            server.process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait(timeout=grace)
        except ProcessLookupError:
            pass
    # Workers that outlived their parent belong to the same group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(server.process.pid, signal.SIGKILL)


@contextlib.contextmanager
def nentang_and_django_floor(context: Context, *, workers: int) -> Iterator[tuple[str, str]]:
    """``nentang serve`` with ``workers`` processes and the bare-Django view of
    ``http-floor-django`` (answering ``/api/v1/ping`` as nentang does) with the same
    recorded Granian settings, both on loopback until the block ends: yields their base
    URLs and records the settings in ``context.facts["server"]``. Django must already
    point at the benchmark's database (its environment is the servers')."""
    settings_file = context.workdir / "server-settings.json"
    environment = child_environment({"NENTANG_LOG_LEVEL": "WARNING"})
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    started: list[Server] = []
    try:
        port = free_port()
        ours = start(
            "nentang",
            ["nentang", "--port", str(port), "--workers", str(workers),
             "--settings", str(settings_file)],
            environment, context.workdir / "nentang.log", port,
        )  # fmt: skip
        started.append(ours)
        reference = wait_ready(ours, "/api/v1/ping")
        floor_port = free_port()
        floor = start(
            "bare Django",
            ["other", "--target", "bench._django_floor:application", "--port",
             str(floor_port), "--settings", str(settings_file)],
            {**environment, "BENCH_BARE_STATUS": str(reference.status),
             "BENCH_BARE_BODY": reference.body.decode(), "BENCH_BARE_HEADERS": json.dumps([])},
            context.workdir / "floor.log", floor_port,
        )  # fmt: skip
        started.append(floor)
        wait_ready(floor, "/api/v1/ping")
        context.facts["server"] = json.loads(settings_file.read_text(encoding="utf-8"))
        yield ours.base_url, floor.base_url
    finally:
        for server in reversed(started):
            stop(server)
