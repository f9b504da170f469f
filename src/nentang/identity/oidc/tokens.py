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

from jwcrypto import jws, jwt
from oauth2_provider.models import AccessToken, Application

from nentang.identity.models import Account, ClientPolicy, Consent, Person
from nentang.identity.oidc import keys
from nentang.identity.oidc.common import checksum, issuer
from nentang.identity.oidc.joined import Joined


@dataclass(frozen=True)
class PersonToken:
    account: Account
    application: Application
    consent: Consent  # the active consent, read with the token
    scopes: frozenset[str]


class TokenRefused(Exception):
    """``reason``: ``unknown`` (unknown, expired or revoked), ``machine`` (issued to a
    machine client), ``scope`` (lacks the required scope), ``locked`` (account locked or
    disabled), ``consent`` (consent withdrawn or narrowed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# The lookup behind every userinfo answer and API call, as one fixed statement: the
# token with its client and the client's policy, the account with its person, and the
# person's active consent to that client (at most one: a partial unique constraint).
_TOKEN = Joined(
    [
        (AccessToken, "t", ""),
        (Application, "a", "LEFT JOIN {table} a ON a.{application_pk} = t.{application}"),
        (ClientPolicy, "p", "LEFT JOIN {table} p ON p.{policy_application} = a.{application_pk}"),
        (Account, "u", "LEFT JOIN {table} u ON u.{account_pk} = t.{user}"),
        (Person, "pe", "LEFT JOIN {table} pe ON pe.{person_account} = u.{account_pk}"),
        (
            Consent,
            "c",
            "LEFT JOIN {table} c ON c.{consent_account} = t.{user}"
            " AND c.{consent_application} = t.{application} AND c.{consent_ended} IS NULL",
        ),
    ],
    where="t.{token_checksum} = %s",
    names=lambda column: {
        "application_pk": column(Application, "id"),
        "account_pk": column(Account, "id"),
        "application": column(AccessToken, "application"),
        "user": column(AccessToken, "user"),
        "token_checksum": column(AccessToken, "token_checksum"),
        "policy_application": column(ClientPolicy, "application"),
        "person_account": column(Person, "account"),
        "consent_account": column(Consent, "account"),
        "consent_application": column(Consent, "application"),
        "consent_ended": column(Consent, "ended_at"),
    },
)


def _access_token(token: str) -> tuple[AccessToken, Consent | None] | None:
    """The token, its relations in Django's caches as ``select_related`` leaves them,
    and the active consent of its person to its client."""
    row = _TOKEN.fetch([checksum(token)])
    if row is None:
        return None
    access, application, policy, account, person, consent = row
    assert isinstance(access, AccessToken)  # the statement's first model
    AccessToken.application.field.set_cached_value(access, application)
    AccessToken.user.field.set_cached_value(access, account)
    if application is not None:
        Application.nentang_policy.related.set_cached_value(application, policy)
        if policy is not None:
            ClientPolicy.application.field.set_cached_value(policy, application)
    if account is not None:
        Account.person.related.set_cached_value(account, person)
        if person is not None:
            Person.account.field.set_cached_value(person, account)
    if not isinstance(consent, Consent):
        return access, None
    Consent.account.field.set_cached_value(consent, account)
    Consent.application.field.set_cached_value(consent, application)
    return access, consent


def person_token(token: str, *, required_scope: str | None = None) -> PersonToken:
    found = _access_token(token) if token and "\x00" not in token else None
    access = found[0] if found is not None else None
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
    consent = found[1] if found is not None else None
    if consent is None or not isinstance(consent.scopes, list) or not scopes <= set(consent.scopes):
        raise TokenRefused("consent")
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
