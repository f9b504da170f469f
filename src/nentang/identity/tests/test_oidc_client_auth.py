"""Client authentication at the token endpoint, with Authlib's client: ``private_key_jwt``
(RFC 7523) with an inline JWKS and with a ``jwks_uri`` fetched through the outbound
client; expired, replayed and wrongly signed assertions refused with nothing issued;
secret clients refused an assertion and vice versa."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT, private_key_jwt_sign
from joserfc.jwk import ECKey, RSAKey
from jwcrypto import jwk
from oauth2_provider.models import AccessToken

from nentang.identity.models import ClientAssertionUse
from nentang.identity.oidc.services import RegisteredClient
from nentang.identity.tests.test_oidc_flows import provider, register

__all__ = ["provider"]
pytestmark = pytest.mark.django_db(transaction=True)


def key_pair(kty: str = "EC") -> tuple[str, dict[str, Any]]:
    key = (
        jwk.JWK.generate(kty="EC", crv="P-256")
        if kty == "EC"
        else jwk.JWK.generate(kty="RSA", size=2048)
    )
    private_pem = key.export_to_pem(private_key=True, password=None).decode()
    public = key.export_public(as_dict=True)
    public["kid"] = key.thumbprint()
    return private_pem, {"keys": [public]}


def machine(jwks: dict[str, Any] | None = None, jwks_uri: str = "") -> RegisteredClient:
    return register(
        name="Hệ thống của Bộ Tư pháp",
        grant="client_credentials",
        redirect_uris=[],
        auth_method="private_key_jwt",
        jwks=jwks,
        jwks_uri=jwks_uri,
        scopes=["introspection"],
    )


def token_request(provider: str, client_id: str, assertion: str) -> requests.Response:
    return requests.post(
        f"{provider}/oidc/token",
        data={
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion,
        },
        timeout=10,
    )


def private_key(pem: str, alg: str) -> Any:
    return (ECKey if alg.startswith("ES") else RSAKey).import_key(pem)


def sign(pem: str, client_id: str, audience: str, alg: str = "ES256", **claims: Any) -> str:
    signed = private_key_jwt_sign(
        private_key(pem, alg), client_id, audience, alg=alg, claims=claims or None
    )
    return signed.decode() if isinstance(signed, bytes) else str(signed)


def test_private_key_jwt_with_authlib(provider: str) -> None:
    pem, jwks = key_pair()
    client = machine(jwks=jwks)
    session = OAuth2Session(
        client.application.client_id,
        private_key(pem, "ES256"),
        token_endpoint_auth_method=PrivateKeyJWT(f"{provider}/oidc/token", alg="ES256"),
    )

    token = session.fetch_token(f"{provider}/oidc/token", grant_type="client_credentials")

    assert token["scope"] == "introspection"
    assert ClientAssertionUse.objects.filter(application=client.application).count() == 1


def test_private_key_jwt_with_an_rsa_key_and_the_issuer_as_audience(provider: str) -> None:
    pem, jwks = key_pair("RSA")
    client = machine(jwks=jwks)

    client_id = client.application.client_id

    answer = token_request(provider, client_id, sign(pem, client_id, provider, alg="RS256"))

    assert answer.status_code == 200, answer.text


def test_expired_assertion_is_refused_and_nothing_is_written(provider: str) -> None:
    pem, jwks = key_pair()
    client = machine(jwks=jwks)
    client_id = client.application.client_id
    past = int(time.time()) - 600

    answer = token_request(
        provider, client_id, sign(pem, client_id, f"{provider}/oidc/token", iat=past - 60, exp=past)
    )

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert "expired" in answer.json()["error_description"]
    assert AccessToken.objects.count() == 0
    assert ClientAssertionUse.objects.count() == 0


def test_replayed_jti_is_refused(provider: str) -> None:
    pem, jwks = key_pair()
    client = machine(jwks=jwks)
    client_id = client.application.client_id
    assertion = sign(pem, client_id, f"{provider}/oidc/token", jti="once-only-1")

    first = token_request(provider, client_id, assertion)
    second = token_request(provider, client_id, assertion)

    assert first.status_code == 200
    assert second.status_code == 401
    assert second.json()["error"] == "invalid_client"
    assert "already used" in second.json()["error_description"]
    assert AccessToken.objects.count() == 1


def test_assertion_signed_with_another_key_is_refused(provider: str) -> None:
    _pem, jwks = key_pair()
    other_pem, _other = key_pair()
    client = machine(jwks=jwks)
    client_id = client.application.client_id

    answer = token_request(
        provider, client_id, sign(other_pem, client_id, f"{provider}/oidc/token")
    )

    assert answer.status_code == 401
    assert "signature" in answer.json()["error_description"]
    assert AccessToken.objects.count() == 0
    assert ClientAssertionUse.objects.count() == 0


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "https://elsewhere.example/token"}, "aud"),
        ({"exp": int(time.time()) + 7 * 86400}, "too long"),
        ({"jti": ""}, "jti"),
    ],
)
def test_assertion_with_bad_claims_is_refused(
    provider: str, claims: dict[str, Any], reason: str
) -> None:
    pem, jwks = key_pair()
    client = machine(jwks=jwks)
    client_id = client.application.client_id

    answer = token_request(
        provider, client_id, sign(pem, client_id, f"{provider}/oidc/token", **claims)
    )

    assert answer.status_code == 401
    assert reason in answer.json()["error_description"]
    assert AccessToken.objects.count() == 0


@pytest.fixture
def jwks_server() -> Iterator[tuple[str, dict[str, Any]]]:
    """The client's own server publishing its JWKS, on loopback."""
    published: dict[str, Any] = {"keys": []}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(published).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/jwks.json", published
    finally:
        server.shutdown()


def test_private_key_jwt_with_a_jwks_uri_and_key_rotation_at_the_client(
    provider: str, jwks_server: tuple[str, dict[str, Any]]
) -> None:
    uri, published = jwks_server
    pem, jwks = key_pair()
    published["keys"] = jwks["keys"]
    client = machine(jwks_uri=uri)
    client_id = client.application.client_id

    first = token_request(provider, client_id, sign(pem, client_id, f"{provider}/oidc/token"))
    assert first.status_code == 200, first.text

    # The client rotates its key; the provider refetches the JWKS for the unknown key.
    new_pem, new_jwks = key_pair()
    published["keys"] = new_jwks["keys"]
    from nentang.identity.oidc import assertions

    # (the cached copy is made old enough that an unknown key may trigger a refetch)
    fetched_at, cached = assertions._cache.entries[uri]
    assertions._cache.entries[uri] = (
        fetched_at - assertions.JWKS_REFETCH_AFTER_SECONDS - 1,
        cached,
    )
    second = token_request(provider, client_id, sign(new_pem, client_id, f"{provider}/oidc/token"))
    assert second.status_code == 200, second.text


def test_a_secret_client_cannot_use_an_assertion_and_a_key_client_cannot_use_a_secret(
    provider: str,
) -> None:
    pem, jwks = key_pair()
    keyed = machine(jwks=jwks)
    secret = register(name="Bí mật", grant="client_credentials", redirect_uris=[], scopes=[])

    with_assertion = token_request(
        provider,
        secret.application.client_id,
        sign(pem, secret.application.client_id, f"{provider}/oidc/token"),
    )
    with_secret = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "client_credentials"},
        auth=(keyed.application.client_id, "guessed"),
        timeout=10,
    )
    wrong_secret = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "client_credentials"},
        auth=(secret.application.client_id, "not-the-secret"),
        timeout=10,
    )

    assert with_assertion.status_code == 401
    assert "not private_key_jwt" in with_assertion.json()["error_description"]
    assert with_secret.status_code == 401
    assert wrong_secret.status_code == 401
    assert AccessToken.objects.count() == 0
