"""Which access tokens of this provider act for a person right now: the one check
behind the userinfo endpoint and the bearer authentication of our own APIs.

A token acts for a person when it is known, unexpired and unrevoked, was issued for a
person (not to a machine client), the account is not locked, and the person's consent
to that client still covers the token's scopes. Callers turn a refusal's ``reason``
into their own answer (RFC 6750 error, problem+json).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import OuterRef, Subquery
from jwcrypto import jws, jwt
from oauth2_provider.models import AccessToken, Application

from nentang.identity.models import Account, Consent
from nentang.identity.oidc import keys
from nentang.identity.oidc.common import checksum, issuer


@dataclass(frozen=True)
class PersonToken:
    account: Account
    application: Application
    consent: Consent  # read with the token: id, scopes and purpose only
    scopes: frozenset[str]


class TokenRefused(Exception):
    """``reason``: ``unknown`` (unknown, expired or revoked), ``machine`` (issued to a
    machine client), ``scope`` (lacks the required scope), ``locked`` (account locked or
    disabled), ``consent`` (consent withdrawn or narrowed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _with_consent(tokens: Any) -> Any:
    """The person's active consent to the token's client, read in the same query (one
    round trip per userinfo answer or API call instead of two)."""
    active = Consent.objects.filter(
        account=OuterRef("user"), application=OuterRef("application"), ended_at__isnull=True
    )
    return tokens.annotate(
        consent_id=Subquery(active.values("id")[:1]),
        consent_scopes=Subquery(active.values("scopes")[:1], output_field=models.JSONField()),
        consent_purpose=Subquery(active.values("purpose")[:1]),
    )


def person_token(token: str, *, required_scope: str | None = None) -> PersonToken:
    access = (
        _with_consent(
            AccessToken.objects.select_related(
                "application__nentang_policy", "user", "user__person"
            )
        )
        .filter(token_checksum=checksum(token))
        .first()
        if token and "\x00" not in token
        else None
    )
    if access is None or access.is_expired() or access.application is None:
        raise TokenRefused("unknown")
    account = access.user
    if account is None:
        raise TokenRefused("machine")
    scopes = frozenset(access.scope.split())
    if required_scope is not None and required_scope not in scopes:
        raise TokenRefused("scope")
    if account.is_locked or not account.is_active:
        raise TokenRefused("locked")
    consented = access.consent_scopes
    if access.consent_id is None or not isinstance(consented, list) or not scopes <= set(consented):
        raise TokenRefused("consent")
    consent = Consent(
        id=access.consent_id,
        account=account,
        application=access.application,
        scopes=consented,
        purpose=access.consent_purpose or "",
    )
    return PersonToken(
        account=account, application=access.application, consent=consent, scopes=scopes
    )


def id_token_claims(token: str) -> dict[str, Any] | None:
    """The claims of an ID token this provider signed (by ``kid``, with any key still
    published), expired or not, or None for anything else: the check behind
    ``id_token_hint`` at the authorization and logout endpoints."""
    if not isinstance(token, str) or not token or len(token) > 16_384 or "\x00" in token:
        return None
    try:
        unverified = jws.JWS()
        unverified.deserialize(token)
        kid = unverified.jose_header.get("kid")
        found = keys.key_for_kid(kid) if isinstance(kid, str) else None
        if found is None:
            return None
        # check_claims={}: types of the registered claims only; "exp" is not enforced.
        claims = json.loads(jwt.JWT(key=found.key, jwt=token, check_claims={}).claims)
    except Exception:  # any malformed, foreign or tampered token is simply not ours
        return None
    if not isinstance(claims, dict) or claims.get("iss") != issuer():
        return None
    return claims
