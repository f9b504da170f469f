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

The machine views are synchronous (oauthlib, the ORM). Django's ASGI handler hops to
the request's thread three times for such a request (``request_started`` receivers, the
view, ``request_finished`` receivers) and runs two tasks per request (the response and
a disconnect listener). ``ChainHandler`` runs its chain synchronously instead: after the
body is read, one hop runs the ``request_started`` receivers, the middleware, the view
and (for a response with its content in hand) ``request_finished``, on the request's
thread, and the loop sends the answer — what Django's WSGI handler does, per request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, MutableMapping, Sequence
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.base import BaseHandler
from django.http.response import HttpResponseBase
from django.urls import set_script_prefix

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
        # it runs once, when the handler is made at start-up, before any request. The
        # chain is synchronous: it runs whole on the request's thread (``handle``).
        full = settings.MIDDLEWARE
        settings.MIDDLEWARE = self.middleware
        try:
            BaseHandler.load_middleware(self, is_async=False)
        finally:
            settings.MIDDLEWARE = full

    async def handle(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            response, closed = await sync_to_async(self._respond, thread_sensitive=True)(
                scope, body_file
            )
            await self.send_response(response, send)
            if not closed:
                await sync_to_async(response.close, thread_sensitive=True)()
        finally:
            body_file.close()

    def _respond(self, scope: Scope, body_file: Any) -> tuple[HttpResponseBase, bool]:
        """On the request's thread: ``request_started``, the chain and the view; then, if
        the answer is complete in memory, ``request_finished`` (``response.close``: the
        database connection goes back to the pool before the answer is sent)."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, error_response = self.create_request(scope, body_file)
        if request is None:
            assert error_response is not None
            response: HttpResponseBase = error_response
        else:
            response = self.get_response(request)
            response._handler_class = self.__class__  # type: ignore[attr-defined]
        if response.streaming:
            return response, False
        response.close()
        return response, True


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
