"""Machine clients (``client_credentials``) as other contexts see them: which client a
bearer token belongs to, with its scopes. A token issued to a machine acts for no person;
the API that accepts it decides what that client may do (e.g. postal's merchants)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from oauth2_provider.models import AccessToken, Application

from nentang.identity.oidc.common import checksum


@dataclass(frozen=True)
class MachineCaller:
    client_id: str
    client_name: str
    scopes: frozenset[str]


def machine_token(*, token: str) -> MachineCaller | None:
    """The machine client of a live access token, or None: unknown, expired, revoked,
    issued for a person, or a client that is no longer registered."""
    if not token or "\x00" in token or len(token) > 500:
        return None
    access = (
        AccessToken.objects.select_related("application")
        .filter(token_checksum=checksum(token), user__isnull=True)
        .first()
    )
    if access is None or access.application is None or access.expires <= timezone.now():
        return None
    application = access.application
    return MachineCaller(
        client_id=application.client_id,
        client_name=application.name or application.client_id,
        scopes=frozenset(access.scope.split()),
    )


@dataclass(frozen=True)
class PersonCaller:
    """The person's account a bearer token acts for, and the client acting."""

    account: Any
    client_id: str
    scopes: frozenset[str]
    person: Any = None  # the account's person, read with the token (no second query)


def person_token_caller(*, token: str, scope: str) -> PersonCaller | None:
    """The account of a live person's access token carrying ``scope`` (consent still
    standing, account not locked), or None — for other contexts' APIs."""
    from nentang.identity.oidc.tokens import TokenRefused, person_token

    if not token or len(token) > 500:
        return None
    try:
        held = person_token(token, required_scope=scope)
    except TokenRefused:
        return None
    return PersonCaller(
        account=held.account,
        client_id=held.application.client_id,
        scopes=held.scopes,
        person=getattr(held.account, "person", None),
    )


def client_exists(*, client_id: str) -> bool:
    return bool(Application.objects.filter(client_id=client_id).exists())
