"""A base for middleware that runs natively in both sync (WSGI, tests) and async (ASGI).

Django switches threads whenever a sync-only middleware sits in an async stack; every
middleware of nentang is dual-mode so that an async view runs without a thread hop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.http import HttpRequest
from django.http.response import HttpResponseBase

GetResponse = Callable[[HttpRequest], Any]


class DualMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response: GetResponse) -> None:
        self.get_response = get_response
        self.is_async = iscoroutinefunction(get_response)
        if self.is_async:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.is_async:
            return self._acall(request)
        early = self.before(request)
        if early is not None:
            return self.after(request, early)
        response: HttpResponseBase = self.get_response(request)
        return self.after(request, response)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        early = self.before(request)
        if early is not None:
            return self.after(request, early)
        awaitable: Awaitable[HttpResponseBase] = self.get_response(request)
        response = await awaitable
        return self.after(request, response)

    def before(self, request: HttpRequest) -> HttpResponseBase | None:
        """Runs before the view; a returned response short-circuits the view."""
        return None

    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        return response
