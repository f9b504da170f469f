"""Keeps "last active" of the session list true (``services.session_touch``).

Runs below Django's session and authentication middleware. A request that never looked
at its session (the API with a bearer token, static files, health checks) costs
nothing; a signed-in browser's request writes at most once per ``TOUCH_INTERVAL``: the
time of the last write is kept in the session itself, so most requests only compare
two numbers.
"""

from __future__ import annotations

import time
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.utils.deprecation import MiddlewareMixin

from nentang.identity.services.sessions import TOUCH_INTERVAL, session_touch
from nentang.kernel.async_middleware import InlineHooks

TOUCHED_KEY = "nentang_touched_at"


def _touch_due(request: HttpRequest) -> bool:
    session: Any = getattr(request, "session", None)
    if session is None or not session.accessed or not session.session_key:
        return False  # never loaded by this request: no I/O for us either
    if SESSION_KEY not in session:
        return False
    last = session.get(TOUCHED_KEY, 0)
    return bool(time.time() - last >= TOUCH_INTERVAL.total_seconds())


class SessionActivityMiddleware(InlineHooks, MiddlewareMixin):
    def response_needs_thread(self, request: HttpRequest, response: HttpResponseBase) -> bool:
        return _touch_due(request)

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if _touch_due(request):
            session: Any = request.session
            session_touch(session_key=session.session_key)
            session[TOUCHED_KEY] = int(time.time())
        return response
