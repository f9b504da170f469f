"""Keeps "last active" of the session list true (``services.session_touch``), and
keeps staff sessions behind their second factor (:class:`StaffSecondFactorMiddleware`).

Runs below Django's session and authentication middleware. A request that never looked
at its session (the API with a bearer token, static files, health checks) costs
nothing; a signed-in browser's request writes at most once per ``TOUCH_INTERVAL``: the
time of the last write is kept in the session itself, so most requests only compare
two numbers.
"""

from __future__ import annotations

import functools
import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.urls import reverse
from django.utils.deprecation import MiddlewareMixin
from django.utils.translation import gettext as _

from nentang.identity.models import Account
from nentang.identity.problems import SECOND_FACTOR_REQUIRED
from nentang.identity.services.factors import (
    requires_second_factor,
    second_factor_mandatory,
    second_factor_satisfied,
)
from nentang.identity.services.sessions import TOUCH_INTERVAL, session_touch
from nentang.kernel.async_middleware import InlineHooks
from nentang.kernel.errors import Forbidden, is_api_path, response_for
from nentang.kernel.security import return_url

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


# --- staff sessions present a second factor -------------------------------------------

# Always reachable, so that a staff session can present or set up its second factor.
_OPEN_ROUTES = (
    "identity_web:login",
    "identity_web:second_factor",
    "identity_web:passkey_login_options",
    "identity_web:passkey_login",
    "identity_web:logout",
)
# Reachable while a staff account has no second factor yet: setting one up.
_ENROLMENT_ROUTES = (
    "identity_web:totp",
    "identity_web:passkeys",
    "identity_web:passkey_add_options",
    "identity_web:passkey_add",
)
_OPEN_PREFIXES = ("/static/", "/i18n/", "/healthz", "/readyz", "/favicon")
ENROLMENT_NEXT_KEY = "identity.enrolment.next"


@functools.cache
def _paths(names: tuple[str, ...]) -> frozenset[str]:
    return frozenset(reverse(name) for name in names)


class StaffSecondFactorMiddleware(InlineHooks, MiddlewareMixin):
    """Staff sessions (officers, postal workers, SOC operators, administrators) reach
    nothing but the login pages until this session presented a second factor.

    Whatever opened the session — the e-ID login, a passkey, a test's ``force_login``,
    a session from before this rule — a staff account that has a second factor is sent
    to present it (step-up), and one that has none is sent to set it up (first login
    after creation). The API answers 403 ``second_factor_required`` instead. Persons
    and organisations are not concerned: their pages ask for the factor where needed.
    """

    def request_needs_thread(self, request: HttpRequest) -> bool:
        return settings.SESSION_COOKIE_NAME in request.COOKIES

    def process_request(self, request: HttpRequest) -> HttpResponseBase | None:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES:
            return None  # no session, no login: nothing to look at
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated or not isinstance(user, Account):
            return None
        if not second_factor_mandatory(user) or second_factor_satisfied(request.session):
            return None
        path = request.path_info
        if path.startswith(_OPEN_PREFIXES) or path in _paths(_OPEN_ROUTES):
            return None
        has_factor = requires_second_factor(user)
        if not has_factor and path in _paths(_ENROLMENT_ROUTES):
            return None
        if is_api_path(path):
            return response_for(
                Forbidden(
                    _("Staff accounts confirm with their second factor before using the API."),
                    code=SECOND_FACTOR_REQUIRED,
                ),
                instance=path,
            )
        back = return_url(request) if request.method in ("GET", "HEAD") else "/"
        if has_factor:
            query = urlencode({"next": back})
            return HttpResponseRedirect(f"{reverse('identity_web:second_factor')}?{query}")
        request.session[ENROLMENT_NEXT_KEY] = back
        messages.info(
            request,
            _(
                "Staff accounts must have a second factor. Set up an authenticator app (or "
                "add a passkey) to continue."
            ),
        )
        return HttpResponseRedirect(reverse("identity_web:totp"))
