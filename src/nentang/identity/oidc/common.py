"""Small facts of the provider that its modules share: the issuer and endpoint URLs, a
client's policy, and the digest under which tokens and codes are looked up."""

from __future__ import annotations

import hashlib
import secrets
import threading
import time
from typing import Any

from django.conf import settings
from oauth2_provider.models import Application

from nentang.identity.models import ClientPolicy


def checksum(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def token_new(request: Any) -> str:
    """A new access or refresh token (``ACCESS_TOKEN_GENERATOR``): 256 random bits,
    URL-safe base64 (oauthlib's default draws 30 characters one by one from
    ``SystemRandom``, ~179 bits, a twentieth of a code exchange's CPU for two tokens)."""
    return secrets.token_urlsafe(32)


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


# How long a worker process keeps a client row for the token, revocation and
# introspection endpoints: the row (application joined with its policy) was the largest
# cost of a client-credentials grant. A change made in the admin or by a registration
# applies at once in the process that made it and within this many seconds elsewhere;
# the authorization endpoint always reads the client fresh.
CLIENT_CACHE_SECONDS = 5.0
_clients: dict[str, tuple[float, Application]] = {}
_clients_lock = threading.Lock()


def cached_client(client_id: str) -> Application | None:
    """The client with its policy, or None (an unknown client is never cached)."""
    now = time.monotonic()
    found = _clients.get(client_id)
    if found is not None and now - found[0] < CLIENT_CACHE_SECONDS:
        return found[1]
    client = (
        Application.objects.select_related("nentang_policy")
        .filter(client_id=client_id[:255])
        .first()
    )
    with _clients_lock:
        if client is None:
            _clients.pop(client_id, None)
        else:
            if len(_clients) > 10_000:  # bounded: a flood of ids cannot grow it
                _clients.clear()
            _clients[client_id] = (now, client)
    return client


def forget_client(client_id: str) -> None:
    """Drop a client from this process's cache (after it was changed)."""
    with _clients_lock:
        _clients.pop(client_id, None)
