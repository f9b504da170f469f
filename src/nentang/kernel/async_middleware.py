"""Django's and whitenoise's middleware, without thread hops under ASGI.

Under ASGI, Django calls each hook of a ``MiddlewareMixin`` middleware through
``sync_to_async`` (a thread hop per hook, two per middleware), and a sync-only
middleware (whitenoise) makes the whole stack above it synchronous, so every layer
below pays an ``async_to_sync`` hop back. These subclasses keep every behaviour of
their parents and change only *where* the hooks run: in the event loop when the hook
does no I/O, in a thread (as before) when it may touch the database, a session store
or a file. See docs/performance.md, "HTTP floor".
"""

from __future__ import annotations

from typing import Any

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import middleware as auth_middleware
from django.contrib.messages import middleware as messages_middleware
from django.contrib.messages.storage import default_storage
from django.contrib.sessions import middleware as sessions_middleware
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.middleware import clickjacking, common, csrf, security
from django.utils.functional import SimpleLazyObject, empty
from whitenoise.middleware import (  # type: ignore[import-untyped]
    WhiteNoiseMiddleware as _WhiteNoiseMiddleware,
)


class InlineHooks:
    """Mixin placed before a ``MiddlewareMixin`` class: its hooks run in the event loop.

    Override ``request_needs_thread``/``response_needs_thread`` for a hook that may
    block (database, session store, files); such calls keep Django's thread hop.
    Under WSGI (sync mode) nothing changes: ``MiddlewareMixin.__call__`` runs as before.
    """

    get_response: Any

    def request_needs_thread(self, request: HttpRequest) -> bool:
        return False

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return False

    async def __acall__(self, request: HttpRequest) -> HttpResponseBase:
        response: HttpResponseBase | None = None
        process_request = getattr(self, "process_request", None)
        if process_request is not None:
            if self.request_needs_thread(request):
                response = await sync_to_async(process_request, thread_sensitive=True)(request)
            else:
                response = process_request(request)
        if response is None:
            response = await self.get_response(request)
        process_response = getattr(self, "process_response", None)
        if process_response is not None:
            if self.response_needs_thread(request, response):
                response = await sync_to_async(process_response, thread_sensitive=True)(
                    request, response
                )
            else:
                response = process_response(request, response)
        assert response is not None
        return response


class SecurityMiddleware(InlineHooks, security.SecurityMiddleware):
    pass


class SessionMiddleware(InlineHooks, sessions_middleware.SessionMiddleware):
    # process_request only builds a lazy session; loading happens where a view reads it.
    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        # Saving writes to the session store; nothing else in process_response does I/O.
        session = getattr(request, "session", None)
        return session is not None and bool(session.modified or settings.SESSION_SAVE_EVERY_REQUEST)


class CommonMiddleware(InlineHooks, common.CommonMiddleware):
    pass


_SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


class CsrfViewMiddleware(InlineHooks, csrf.CsrfViewMiddleware):
    def __init__(self, get_response: Any) -> None:
        super().__init__(get_response)
        if iscoroutinefunction(get_response):
            # Django wraps a sync process_view in a thread hop; hand it an async one.
            self.process_view = self._aprocess_view  # type: ignore[method-assign,assignment]

    def request_needs_thread(self, request: HttpRequest) -> bool:
        return bool(settings.CSRF_USE_SESSIONS)  # the token then lives in the session

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return bool(settings.CSRF_USE_SESSIONS)

    async def _aprocess_view(
        self,
        request: HttpRequest,
        callback: Any,
        callback_args: Any,
        callback_kwargs: Any,
    ) -> HttpResponseBase | None:
        check = csrf.CsrfViewMiddleware.process_view
        # A safe method or an exempt view is accepted without reading the body; an
        # unsafe one may parse a large form or upload, which stays off the event loop.
        inline = request.method in _SAFE_METHODS or getattr(callback, "csrf_exempt", False)
        if inline and not settings.CSRF_USE_SESSIONS:
            return check(self, request, callback, callback_args, callback_kwargs)
        result: HttpResponseBase | None = await sync_to_async(check, thread_sensitive=True)(
            self, request, callback, callback_args, callback_kwargs
        )
        return result


class AuthenticationMiddleware(InlineHooks, auth_middleware.AuthenticationMiddleware):
    pass  # request.user stays lazy: the database is read only when something asks


class MessageMiddleware(InlineHooks, messages_middleware.MessageMiddleware):
    """The message storage is built on first use; most requests (the API) never use it."""

    def process_request(self, request: HttpRequest) -> None:
        request._messages = SimpleLazyObject(lambda: default_storage(request))  # type: ignore[attr-defined]

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if not _built(getattr(request, "_messages", None)):
            return response  # untouched storage has nothing to store
        return super().process_response(request, response)

    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        # Storing used or added messages may load the session from its store.
        storage: Any = getattr(request, "_messages", None)
        return _built(storage) and bool(storage.used or storage.added_new)


def _built(storage: Any) -> bool:
    if storage is None:
        return False
    if isinstance(storage, SimpleLazyObject):
        return storage._wrapped is not empty  # type: ignore[attr-defined]
    return True


class XFrameOptionsMiddleware(InlineHooks, clickjacking.XFrameOptionsMiddleware):
    pass


class WhiteNoiseMiddleware(_WhiteNoiseMiddleware):  # type: ignore[misc]
    """whitenoise's middleware, async-capable: a non-static request costs a dict lookup."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Any = None, settings: Any = settings) -> None:
        super().__init__(get_response, settings=settings)
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self._acall(request)
        return super().__call__(request)

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        if self.autorefresh:  # development only: looks at the file system
            static_file = await sync_to_async(self.find_file)(request.path_info)
        else:
            static_file = self.files.get(request.path_info)
        if static_file is not None:  # opens the file: off the event loop
            served: HttpResponseBase = await sync_to_async(self.serve)(static_file, request)
            return served
        response: HttpResponseBase = await self.get_response(request)
        return response
