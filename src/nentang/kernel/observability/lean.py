"""A shorter Django middleware chain for machine endpoints, under ASGI.

Endpoints called by programs with their own credentials (an OAuth token endpoint, a
bearer-token userinfo endpoint) use no session, no CSRF token (they are exempt), no
language negotiation, no messages and no htmx, yet the browser middleware of
``settings.MIDDLEWARE`` ran for each of their requests (about a quarter of a
client-credentials grant's time under py-spy; docs/performance.md, "Third pass").
``MachinePaths`` sends requests for an exact set of paths to a second Django ASGI
handler built with ``settings.NENTANG_MACHINE_MIDDLEWARE`` (request context, access log
and metrics, problem answers, security headers, body limit stay), and every other
request to the full one. Both handlers share the URL configuration, views and settings;
a path whose view needs a session, a language or a CSRF check must not be listed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

from django.conf import settings
from django.core.handlers.asgi import ASGIHandler

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class ChainHandler(ASGIHandler):
    """Django's ASGI handler with ``middleware`` instead of ``settings.MIDDLEWARE``."""

    def __init__(self, middleware: Sequence[str]) -> None:
        self.middleware = list(middleware)
        super().__init__()

    def load_middleware(self, is_async: bool = False) -> None:
        # Django builds the chain from settings.MIDDLEWARE (BaseHandler.load_middleware);
        # it runs once, when the handler is made at start-up, before any request.
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = self.middleware
        try:
            super().load_middleware(is_async)
        finally:
            settings.MIDDLEWARE = full


class MachinePaths:
    """ASGI dispatcher: HTTP requests whose path is one of ``paths`` (exactly) go to
    ``machine``, everything else to ``app``."""

    def __init__(self, app: ASGIApp, machine: ASGIApp, paths: Iterable[str]) -> None:
        self.app = app
        self.machine = machine
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("path") in self.paths:
            await self.machine(scope, receive, send)
        else:
            await self.app(scope, receive, send)
