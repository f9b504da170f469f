"""Lend each ASGI request a pooled thread for its sync work, instead of a new one.

Django serves every ASGI request inside asgiref's ``ThreadSensitiveContext``: the
request's sync code (signal receivers such as ``close_old_connections``, sync
middleware hooks, sync views, the ORM) runs on one thread reserved for that request.
Given no executor, asgiref starts that thread for the request and a second thread to
join it afterwards: two thread starts per request, the largest single cost of a request
under load. This wrapper lends each request a single-thread executor from a pool, as a
threaded WSGI server lends a thread: one request at a time per thread, the request's
sync code always on the same thread, and Django's ``request_started`` /
``request_finished`` receivers still clean that thread's database connections.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestThreads:
    """ASGI wrapper: HTTP requests borrow a pooled single-thread executor.

    Threads beyond ``keep_idle`` idle ones are let go when their request ends, so a
    burst of slow sync requests does not leave hundreds of threads behind.
    """

    def __init__(self, app: ASGIApp, *, keep_idle: int = 64) -> None:
        self.app = app
        self.keep_idle = keep_idle
        self._idle: list[ThreadPoolExecutor] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        executor = self._idle.pop() if self._idle else _new_executor()
        try:
            # Django's own ThreadSensitiveContext, inside, finds this one and reuses it.
            async with ThreadSensitiveContext(executor=executor):
                await self.app(scope, receive, send)
        finally:
            if len(self._idle) < self.keep_idle:
                self._idle.append(executor)
            else:
                executor.shutdown(wait=False)


def _new_executor() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="nentang-request")
