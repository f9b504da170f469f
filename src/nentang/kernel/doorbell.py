"""After-commit checks gathered per process: a doorbell.

Some commits must be followed by a question to the task queue — "is a run already
waiting to start?" (the outbox's dispatch after an event, the audit log's integrator
after an entry) — and enqueue a run if not. Asked after every commit, that question is
one statement more on every request that writes. It cannot move into the commit's own
transaction: a run seen waiting there could start, find nothing and finish before the
commit lands, stranding what it committed.

What stays true here: every commit is followed by a check that starts *after* it. A
commit rings (once it is durable); the first ring wakes this process's thread, which
waits ``delay`` seconds, clears the bell, then answers once. A ring that finds the bell
already set is covered by that coming answer (the bell is cleared before the answer
starts, so a commit after the clearing rings again). At exit a set bell is answered
inline. With a delay of 0 every ring answers inline (the tests: their rows live in the
test's own transaction, which another thread's connection would not see).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections.abc import Callable

logger = logging.getLogger(__name__)


class Doorbell:
    def __init__(self, name: str, answer: Callable[[], None], delay: Callable[[], float]) -> None:
        self.name = name
        self._answer_with = answer
        self._delay = delay
        self._reset()
        os.register_at_fork(after_in_child=self._reset)  # the thread stays in the parent
        atexit.register(self.answer_now)

    def _reset(self) -> None:
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._rung = False
        self._thread: threading.Thread | None = None

    def ring(self) -> None:
        delay = self._delay()
        if delay <= 0:
            self._answer_with()
            return
        with self._lock:
            if self._rung:
                return  # an answer that starts after this commit is already due
            self._rung = True
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, args=(delay,), name=self.name, daemon=True
                )
                self._thread.start()
        self._wake.set()

    def _run(self, delay: float) -> None:
        from django.db import close_old_connections, connection

        while True:
            self._wake.wait()
            self._wake.clear()
            time.sleep(delay)  # gather the commits of the next few ms
            self._answer()
            close_old_connections()
            connection.close()  # back to the pool; a fresh one next time

    def _answer(self) -> None:
        with self._lock:
            if not self._rung:
                return
            self._rung = False  # before the answer: a later commit rings again
        try:
            self._answer_with()
        except Exception:  # as robust on_commit callbacks: logged; the worker resumes it
            logger.exception("%s: the after-commit check failed", self.name)

    def answer_now(self) -> None:
        """Answer a ring the thread did not reach yet (a command that exits at once)."""
        self._answer()
