"""The door of the SOC pages: log in first (the e-ID login, ``settings.LOGIN_URL``:
password, then the second factor that staff sessions must present), then hold the
page's permission; a refusal is itself a security event."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django_htmx.middleware import HtmxDetails

from nentang.audit.services.security import Operator, security_event_record
from nentang.audit.services.security.access import may, require
from nentang.kernel.auditing import Actor
from nentang.kernel.security import client_address


class SocRequest(HttpRequest):
    htmx: HtmxDetails


View = Callable[..., HttpResponseBase]


def operator(request: HttpRequest) -> Operator:
    """The logged-in user as an operator (the services check its permissions again)."""
    return cast(Operator, request.user)


def soc_page(permission: str) -> Callable[[View], View]:
    """Require a logged-in, active staff user with ``permission``.

    Anonymous visitors go to the login page and come back; a logged-in user without
    the permission gets a 403 page and an ``authz.denied`` security event, which the
    object-id probing rule counts.
    """

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: SocRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            user = request.user
            if not user.is_authenticated:
                return redirect_to_login(request.get_full_path())  # the e-ID login
            if not may(operator(request), permission):
                login = user.get_username()
                security_event_record(
                    kind="authz.denied",
                    outcome="denied",
                    severity="low",
                    source_ip=client_address(request),
                    actor=Actor.officer(login)
                    if operator(request).is_staff
                    else Actor.person(login),
                    subject=request.path[:128],
                    detail={"permission": permission},
                )
                require(operator(request), permission)  # raises the 403 problem
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
