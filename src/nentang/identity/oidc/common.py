"""Small facts of the provider that its modules share: the issuer and endpoint URLs, a
client's policy, and the digest under which tokens and codes are looked up."""

from __future__ import annotations

import hashlib

from django.conf import settings
from oauth2_provider.models import Application

from nentang.identity.models import ClientPolicy


def checksum(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def policy_of(application: Application) -> ClientPolicy:
    """The client's policy; a client registered without one (e.g. in DOT's own admin)
    gets the strictest defaults: pairwise subjects, level 1, its type's auth method."""
    try:
        return application.nentang_policy  # type: ignore[no-any-return]
    except ClientPolicy.DoesNotExist:
        method = (
            "none"
            if application.client_type == Application.CLIENT_PUBLIC
            else ("client_secret_basic")
        )
        return ClientPolicy(
            application=application,
            auth_method=method,
            purpose=application.name,
            scopes=["openid"],
            created_at=application.created,
        )


def issuer() -> str:
    return str(settings.BASE_URL)


def endpoint(path: str) -> str:
    return f"{issuer()}{path}"


def token_endpoint() -> str:
    return endpoint("/oidc/token")
