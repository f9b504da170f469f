"""Who may open which identity page, and the login state kept in the session.

* ``account_page``: logged in (else the login page, and back afterwards);
* ``security_page``: also the second factor in this session when the account has one
  (changing sessions, passkeys or the authenticator app) — else the second-factor page;
* ``officer_page``: an active officer with a front-office role, and the second factor.
  Anyone else gets the 403 page and an ``authz.denied`` security event, never data.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, MutableMapping
from functools import wraps
from typing import Any, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_htmx.middleware import HtmxDetails

from nentang.identity.models import Account, Officer
from nentang.identity.problems import OFFICER_ROLE_REQUIRED
from nentang.identity.selectors import officer_for_account
from nentang.identity.services import requires_second_factor, second_factor_satisfied
from nentang.identity.services.common import denied
from nentang.identity.services.usage import READ_ROLES
from nentang.kernel.errors import Forbidden
from nentang.kernel.security import MAX_RETURN_URL, return_url


class IdentityRequest(HttpRequest):
    htmx: HtmxDetails


View = Callable[..., HttpResponseBase]

PENDING_KEY = "identity.login.pending"
PENDING_TTL = 300  # seconds between the password and the second factor
# Pages a login must not return to (they would loop or log out again).
_NO_RETURN = ("/login", "/logout")


def account_of(request: HttpRequest) -> Account:
    return cast(Account, request.user)


def safe_next(request: HttpRequest, value: str | None, default: str = "") -> str:
    """``value`` when it is a path or URL of this site (never another host, never a
    scheme change: no open redirect) and not over-long, else ``default`` (the account
    page): a huge ``next`` is dropped, never carried into a redirect Django refuses."""
    fallback = default or reverse("identity_web:account")
    if (
        not value
        or len(value) > MAX_RETURN_URL
        or not url_has_allowed_host_and_scheme(
            value, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return fallback
    if value.startswith(_NO_RETURN) or value.startswith("\\"):
        return fallback
    return value


def login_url(next_url: str) -> str:
    return f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': next_url})}"


def second_factor_url(next_url: str) -> str:
    return f"{reverse('identity_web:second_factor')}?{urlencode({'next': next_url})}"


def pending_start(session: MutableMapping[str, Any], *, account: Account, next_url: str) -> None:
    """The password was right; the second factor is still to come."""
    session[PENDING_KEY] = {"account": str(account.pk), "at": int(time.time()), "next": next_url}


def pending_get(session: MutableMapping[str, Any]) -> tuple[uuid.UUID, str] | None:
    """(account id, next) of a password login waiting for its second factor, if still
    fresh; an expired one is dropped."""
    value = session.get(PENDING_KEY)
    if not isinstance(value, dict):
        return None
    if int(time.time()) - int(value.get("at", 0)) > PENDING_TTL:
        session.pop(PENDING_KEY, None)
        return None
    try:
        return uuid.UUID(str(value.get("account"))), str(value.get("next") or "")
    except ValueError:
        return None


def pending_end(session: MutableMapping[str, Any]) -> None:
    session.pop(PENDING_KEY, None)


def needs_step_up(request: HttpRequest) -> bool:
    """A logged-in account with a second factor that this session has not presented."""
    account = account_of(request)
    return requires_second_factor(account) and not second_factor_satisfied(request.session)


def account_page(view: View) -> View:
    @wraps(view)
    def wrapped(request: IdentityRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(login_url(return_url(request)))
        return view(request, *args, **kwargs)

    return wrapped


def security_page(view: View) -> View:
    @wraps(view)
    def wrapped(request: IdentityRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(login_url(return_url(request)))
        if needs_step_up(request):
            back = (
                return_url(request) if request.method == "GET" else reverse("identity_web:account")
            )
            return HttpResponseRedirect(second_factor_url(back))
        return view(request, *args, **kwargs)

    return wrapped


def front_office_officer(request: HttpRequest) -> Officer:
    """The officer behind the request, holding a front-office role, or 403."""
    account = account_of(request)
    officer = officer_for_account(account=account)
    if (
        officer is None
        or not account.is_active
        or account.is_locked
        or not officer.agency.is_active
        or not any(officer.has_role(role) for role in READ_ROLES)
    ):
        denied(account, what=f"identity.web.officer:{request.path}"[:128])
        raise Forbidden(
            _("These pages are for officers of an agency who identify people at the counter."),
            code=OFFICER_ROLE_REQUIRED,
        )
    return officer


def officer_page(view: View) -> View:
    @wraps(view)
    def wrapped(request: IdentityRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not request.user.is_authenticated:
            return HttpResponseRedirect(login_url(return_url(request)))
        front_office_officer(request)
        if needs_step_up(request):
            back = (
                return_url(request)
                if request.method == "GET"
                else reverse("identity_web:officer_find")
            )
            return HttpResponseRedirect(second_factor_url(back))
        return view(request, *args, **kwargs)

    return wrapped
