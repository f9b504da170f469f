"""Who calls the NGSI-LD API: an OAuth 2 bearer token of a machine client holding the
scope ``smartcity``.

A token's client is remembered in this process for ``TOKEN_CACHE_SECONDS`` (5 s), keyed
by the token's SHA-256, so a client that sends many requests pays the token lookup once
every few seconds instead of on every request (the entity GET was three queries: token,
grant, entity; see docs/performance.md). Only accepted tokens are remembered; the cost is
that a token revoked or expired in the meantime keeps working in this process for at
most those 5 seconds — the same window an OAuth resource server caching token
introspection accepts.
"""

from __future__ import annotations

import hashlib
import threading
import time

from django.http import HttpRequest

from nentang.identity import selectors as identity
from nentang.smartcity.ngsild.errors import NgsiError
from nentang.smartcity.services import Caller

SCOPE = "smartcity"
TOKEN_CACHE_SECONDS = 5.0
TOKEN_CACHE_SIZE = 4096

_seen: dict[str, tuple[float, Caller]] = {}
_lock = threading.Lock()


def forget_tokens() -> None:
    """Drop every remembered token (tests that revoke a token call this)."""
    with _lock:
        _seen.clear()


def caller_of(request: HttpRequest) -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise NgsiError("Unauthorized", "Send an OAuth 2 bearer token with the scope smartcity.")
    key = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
    now = time.monotonic()
    with _lock:
        remembered = _seen.get(key)
    if remembered is not None and remembered[0] > now:
        return remembered[1]
    machine = identity.machine_token(token=token)
    if machine is None:
        raise NgsiError("Unauthorized", "The access token is unknown, expired or revoked.")
    if SCOPE not in machine.scopes:
        raise NgsiError("Forbidden", "The access token does not carry the scope smartcity.")
    caller = Caller.client(machine.client_id)
    with _lock:
        if len(_seen) >= TOKEN_CACHE_SIZE:
            for stale in [k for k, (until, _c) in _seen.items() if until <= now] or list(_seen):
                del _seen[stale]
        _seen[key] = (now + TOKEN_CACHE_SECONDS, caller)
    return caller
