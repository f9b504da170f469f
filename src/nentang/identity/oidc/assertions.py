"""``private_key_jwt`` client authentication (RFC 7523, section 2.2; OpenID Connect
Core, section 9): the client signs a short-lived JWT with a key whose public half it
registered (inline JWKS or ``jwks_uri``).

The assertion is accepted when: it is signed by one of the client's keys with an
asymmetric algorithm; ``iss`` and ``sub`` are both the client id; ``aud`` names this
server's token endpoint, the endpoint being called or the issuer; ``exp`` is in the
future (at most ``MAX_LIFETIME`` away); ``jti`` has not been seen from this client
before. The ``jti`` is stored until ``exp`` (plus leeway) so a replay is refused.
"""

from __future__ import annotations

import json
import random
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from jwcrypto import jwk, jws, jwt
from jwcrypto.common import JWException

from nentang.identity.models import ClientAssertionUse, ClientPolicy

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHMS = ["ES256", "ES384", "ES512", "RS256", "RS384", "RS512", "PS256", "PS384", "PS512"]
LEEWAY = timedelta(seconds=30)
MAX_LIFETIME = timedelta(hours=1)  # what common client libraries sign (Authlib: 1 h)
JWKS_CACHE_SECONDS = 300
JWKS_REFETCH_AFTER_SECONDS = 30  # an unknown kid refetches, at most this often
PRUNE_PROBABILITY = 0.02


class AssertionRefused(Exception):
    """The assertion is not acceptable; ``str(error)`` says why, for the client."""


@dataclass(frozen=True)
class Unverified:
    client_id: str
    header: dict[str, Any]


def peek(assertion: str) -> Unverified:
    """Read the claimed client id without trusting it (to find its keys)."""
    try:
        token = jws.JWS()
        token.deserialize(assertion)
        payload = json.loads(token.objects["payload"])
        header = token.jose_header
    except (JWException, ValueError, KeyError, TypeError) as error:
        raise AssertionRefused("The client assertion is not a signed JWT (JWS).") from error
    if not isinstance(payload, dict):
        raise AssertionRefused("The client assertion's payload is not a JSON object.")
    issuer, subject = payload.get("iss"), payload.get("sub")
    if not isinstance(issuer, str) or not issuer:
        raise AssertionRefused("The client assertion has no iss claim.")
    if subject != issuer:
        raise AssertionRefused("The client assertion's iss and sub must both be the client id.")
    return Unverified(client_id=issuer, header=dict(header))


class _JwksCache:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.entries: dict[str, tuple[float, jwk.JWKSet]] = {}


_cache = _JwksCache()


def _fetch(uri: str) -> jwk.JWKSet:
    """GET the client's JWKS through the platform's one outbound client (SSRF rules,
    timeouts, a body cap)."""
    from nentang.kernel.outbound import OutboundClient, OutboundError, Timeouts

    try:
        with OutboundClient(
            timeouts=Timeouts(connect=3, read=5, write=5, pool=3, total=8),
            max_response_bytes=262_144,
            retries=1,
        ) as client:
            response = client.get(
                uri, headers={"Accept": "application/jwk-set+json, application/json"}
            )
    except OutboundError as error:
        raise AssertionRefused(f"The client's jwks_uri could not be fetched: {error}") from error
    if response.status_code != 200:
        raise AssertionRefused(f"The client's jwks_uri answered HTTP {response.status_code}.")
    try:
        return jwk.JWKSet.from_json(response.content)
    except (JWException, ValueError, TypeError) as error:
        raise AssertionRefused("The client's jwks_uri did not return a JWK Set.") from error


def client_keys(policy: ClientPolicy, *, refresh: bool = False) -> jwk.JWKSet:
    """The client's registered public keys: inline, or from its jwks_uri (cached)."""
    if policy.jwks:
        try:
            return jwk.JWKSet.from_json(json.dumps(policy.jwks))
        except (JWException, ValueError, TypeError) as error:
            raise AssertionRefused("The client's registered JWKS is not a JWK Set.") from error
    if not policy.jwks_uri:
        raise AssertionRefused("The client registered neither a JWKS nor a jwks_uri.")
    now = time.monotonic()
    with _cache.lock:
        cached = _cache.entries.get(policy.jwks_uri)
    if cached is not None:
        age = now - cached[0]
        if age < JWKS_CACHE_SECONDS and not (refresh and age >= JWKS_REFETCH_AFTER_SECONDS):
            return cached[1]
    keys = _fetch(policy.jwks_uri)
    with _cache.lock:
        _cache.entries[policy.jwks_uri] = (now, keys)
    return keys


def _verify_signature(assertion: str, keys: jwk.JWKSet) -> dict[str, Any]:
    try:
        token = jwt.JWT(
            jwt=assertion, key=keys, algs=ALGORITHMS, check_claims=False, expected_type="JWS"
        )
    except (JWException, ValueError, TypeError) as error:
        raise AssertionRefused(
            "The client assertion's signature does not verify with the client's registered keys."
        ) from error
    claims = json.loads(token.claims)
    if not isinstance(claims, dict):
        raise AssertionRefused("The client assertion's payload is not a JSON object.")
    return claims


def _number(claims: dict[str, Any], name: str) -> float | None:
    value = claims.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AssertionRefused(f"The client assertion's {name} claim is not a number.")
    return float(value)


def verify(
    *, assertion: str, policy: ClientPolicy, audiences: set[str], now: datetime | None = None
) -> tuple[datetime, str]:
    """Check signature and claims of ``assertion`` for the client of ``policy``; returns
    its expiry and ``jti``. Raises :class:`AssertionRefused` with the reason. Writes
    nothing."""
    moment = now or datetime.now(UTC)
    client_id = policy.application.client_id
    try:
        claims = _verify_signature(assertion, client_keys(policy))
    except AssertionRefused:
        if not policy.jwks_uri or policy.jwks:
            raise
        # The client may have rotated its keys since we cached its JWKS.
        claims = _verify_signature(assertion, client_keys(policy, refresh=True))
    if claims.get("iss") != client_id or claims.get("sub") != client_id:
        raise AssertionRefused("The client assertion's iss and sub must both be the client id.")
    audience = claims.get("aud")
    named = {audience} if isinstance(audience, str) else set(audience or ())
    if not named & audiences:
        raise AssertionRefused(
            "The client assertion's aud must be the token endpoint or the issuer "
            f"({sorted(audiences)[0]})."
        )
    expires = _number(claims, "exp")
    if expires is None:
        raise AssertionRefused("The client assertion has no exp claim.")
    expiry = datetime.fromtimestamp(expires, UTC)
    if expiry + LEEWAY < moment:
        raise AssertionRefused("The client assertion has expired (exp is in the past).")
    if expiry > moment + MAX_LIFETIME + LEEWAY:
        raise AssertionRefused("The client assertion lives too long: exp is at most one hour away.")
    not_before = _number(claims, "nbf")
    if not_before is not None and datetime.fromtimestamp(not_before, UTC) > moment + LEEWAY:
        raise AssertionRefused("The client assertion is not valid yet (nbf is in the future).")
    issued = _number(claims, "iat")
    if issued is not None and datetime.fromtimestamp(issued, UTC) > moment + LEEWAY:
        raise AssertionRefused("The client assertion was issued in the future (iat).")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 255:
        raise AssertionRefused("The client assertion needs a jti claim of 1 to 255 characters.")
    return expiry, jti


def consume_jti(*, policy: ClientPolicy, jti: str, expires: datetime) -> None:
    """Remember ``jti`` until the assertion expires; a second use raises."""
    try:
        with transaction.atomic():
            ClientAssertionUse.objects.create(
                application_id=policy.application_id, jti=jti, expires_at=expires + LEEWAY
            )
    except IntegrityError:
        raise AssertionRefused(
            "This client assertion was already used (its jti was seen before)."
        ) from None
    if random.random() < PRUNE_PROBABILITY:  # noqa: S311 - housekeeping, not security
        ClientAssertionUse.objects.filter(expires_at__lt=datetime.now(UTC)).delete()
