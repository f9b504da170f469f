"""The task worker of ``nentang serve``, supervised.

``nentang serve`` runs one ``nentang worker`` process beside the web workers. A worker
that exits while the server runs (a crash, an out-of-memory kill, anything
:func:`nentang.kernel.worker.run_worker` could not ride out) is started again after a
back-off — 1 s, doubling up to 60 s, back to 1 s once a worker has run for a minute —
and each exit and restart is logged (logger ``nentang.worker``). Every incarnation
keeps the same worker id, so the new one queues again the task the old one was running.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time

from django.utils.crypto import get_random_string

logger = logging.getLogger("nentang.worker")

BACKOFF_START = 1.0
BACKOFF_MAX = 60.0
STABLE_AFTER = 60.0  # seconds of life after which a worker's exit is not a crash loop


class WorkerSupervisor:
    """One supervised process: the task worker by default, or ``command`` (arguments of
    ``python -m nentang``, e.g. an MQTT ingestion bridge of ``nentang serve``)."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        command: list[str] | None = None,
        label: str = "task worker",
    ) -> None:
        self.worker_id = f"serve-{get_random_string(16)}"
        self._command = command or ["worker", "--worker-id", self.worker_id]
        self.label = label
        self._env = dict(os.environ if env is None else env)
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self.process: subprocess.Popen[bytes] | None = None
        self.restarts = 0
        self._thread = threading.Thread(target=self._supervise, name="worker-supervisor")
        self._thread.daemon = True

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(  # noqa: S603 - our own interpreter and module, no shell
            [sys.executable, "-m", "nentang", *self._command],
            env=self._env,
        )

    def start(self) -> None:
        with self._lock:
            self.process = self._spawn()
        self._thread.start()

    def _supervise(self) -> None:
        delay = BACKOFF_START
        while not self._stopping.is_set():
            with self._lock:
                process = self.process
            assert process is not None
            started = time.monotonic()
            while process.poll() is None:
                if self._stopping.wait(0.5):
                    return
            lived = time.monotonic() - started
            if lived >= STABLE_AFTER:
                delay = BACKOFF_START
            logger.warning(
                "%s (pid %d) exited with code %s after %.0f s; restarting it in %.0f s",
                self.label,
                process.pid,
                process.returncode,
                lived,
                delay,
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                self.process = self._spawn()
                self.restarts += 1
            logger.warning(
                "%s restarted (pid %d, restart %d)", self.label, self.process.pid, self.restarts
            )
            delay = min(delay * 2, BACKOFF_MAX)

    def stop(self, timeout: float = 10) -> None:
        self._stopping.set()
        with self._lock:
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
