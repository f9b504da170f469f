"""Who is calling the identity API: one :class:`Principal` whatever the credential.

Endpoints declare ``auth=AUTHENTICATORS`` and read ``principal(request)``. Two
credentials are accepted: a bearer access token of our own OpenID provider
(:class:`BearerAuth`, RFC 6750) and the browser session (:class:`SessionAuth`).

A token is accepted when it is known, unexpired and unrevoked, was issued for a person
(a machine client's token acts for nobody here), the account is not locked and the
person's consent to that client still stands. :func:`require_scope` lets a session
through (the holder acts for themselves) and checks a token's scopes. Failures are
problem+json with the RFC 6750 ``WWW-Authenticate`` challenge: 401 ``invalid_token``,
403 ``insufficient_scope``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja.security import APIKeyCookie
from ninja.security.base import AuthBase

from nentang.identity.models import Account
from nentang.identity.oidc.common import policy_of
from nentang.identity.oidc.problems import INSUFFICIENT_SCOPE, INVALID_TOKEN
from nentang.identity.oidc.tokens import TokenRefused, person_token
from nentang.kernel.errors import Forbidden, Unauthorized
from nentang.kernel.idempotency import OncePerRequestBearer


@dataclass(frozen=True)
class Principal:
    """The caller: the account, how it authenticated, and (for tokens) the scopes and
    the client acting for it. ``scopes is None`` means a browser session of the holder."""

    account: Account
    via: str = "session"
    scopes: frozenset[str] | None = None
    client_id: str = ""
    client_name: str = ""
    purpose: str = ""  # the client's declared purpose, for the person's data-usage log

    def allows(self, scope: str) -> bool:
        return self.scopes is None or scope in self.scopes


class SessionAuth(APIKeyCookie):
    """Django's session cookie; CSRF-checked on unsafe methods (ninja's APIKeyCookie).
    Disabled and e-ID-locked accounts are refused even with a live session."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        user = request.user
        if not user.is_authenticated or not isinstance(user, Account):
            return None
        if not user.is_active or user.is_locked:
            return None
        return Principal(account=user)


def _challenge(error: str, scope: str = "") -> dict[str, str]:
    extra = f', scope="{scope}"' if scope else ""
    return {"WWW-Authenticate": f'Bearer realm="nentang", error="{error}"{extra}'}


class BearerAuth(OncePerRequestBearer):
    """``Authorization: Bearer <access token>`` issued by our OpenID provider. Without
    that header the next authenticator (the session) is tried."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        try:
            held = person_token(token)
        except TokenRefused as refused:
            raise Unauthorized(
                str(_REFUSALS[refused.reason]),
                code=INVALID_TOKEN,
                headers=_challenge("invalid_token"),
            ) from None
        application = held.application
        return Principal(
            account=held.account,
            via="token",
            scopes=held.scopes,
            client_id=application.client_id,
            client_name=application.name or application.client_id,
            purpose=policy_of(application).purpose or held.consent.purpose,
        )


_REFUSALS = {
    "unknown": gettext_lazy("The access token is unknown, expired or revoked."),
    "machine": gettext_lazy(
        "This access token was issued to a machine client and acts for no person."
    ),
    "locked": gettext_lazy("The e-ID account of this token is locked."),
    "consent": gettext_lazy("The person withdrew their consent to this service."),
}


AUTHENTICATORS: list[AuthBase] = [BearerAuth(), SessionAuth()]


def principal(request: HttpRequest) -> Principal:
    """The authenticated caller of an endpoint declared with ``auth=AUTHENTICATORS``."""
    return cast(Principal, cast(Any, request).auth)


def require_scope(request: HttpRequest, scope: str) -> Principal:
    """The caller, when a token carries ``scope`` (sessions always may); else 403."""
    caller = principal(request)
    if not caller.allows(scope):
        raise Forbidden(
            _("The access token does not carry the scope “%(scope)s”.") % {"scope": scope},
            code=INSUFFICIENT_SCOPE,
            headers=_challenge("insufficient_scope", scope),
        )
    return caller
