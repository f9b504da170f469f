"""A relying party written with a standard OIDC client (Authlib) logs a demo citizen in
against `nentang demo` itself: the real command, its demo clients, a real server.

The demo's public client ``demo-portal`` is registered with ``<NENTANG_BASE_URL>/demo/
callback``; the test's browser stops at that redirect and hands the code to Authlib,
which exchanges it (PKCE S256) and whose ID token is verified against the JWKS. The
machine client ``demo-machine`` then introspects the citizen's access token.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from nentang.identity.tests.oidc_support import Browser, verify_id_token
from tests.support.processes import free_port, nentang_env

pytestmark = pytest.mark.slow

AN = ("079090001234", "demo-citizen-2026")


class PersonsBrowser(Browser):
    """Follows the provider's own redirects, but stops at the relying party's callback
    (which the demo serves on the same origin)."""

    def local(self, location: str) -> bool:
        return super().local(location) and "/demo/callback" not in location


@pytest.fixture
def demo(tmp_path: Path, migrated_database_url: str) -> Iterator[tuple[str, str]]:
    """`nentang demo` serving on a free port: (base URL, what it printed)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = nentang_env(tmp_path / "home", migrated_database_url, NENTANG_BASE_URL=base)
    log_path = tmp_path / "demo.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "nentang", "demo", "--port", str(port), "--workers", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            deadline = time.monotonic() + 600
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    pytest.fail("nentang demo exited:\n" + log_path.read_text())
                try:
                    if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                        break
                except httpx.HTTPError:
                    time.sleep(0.5)
            else:
                pytest.fail("nentang demo did not serve:\n" + log_path.read_text())
            yield base, log_path.read_text(encoding="utf-8")
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_a_standard_relying_party_completes_the_flow_against_the_demo(
    demo: tuple[str, str],
) -> None:
    base, printed = demo
    assert "demo-portal" in printed
    assert "demo-machine" in printed
    discovery = requests.get(f"{base}/.well-known/openid-configuration", timeout=10).json()
    assert discovery["issuer"] == base
    callback = f"{base}/demo/callback"

    relying_party = OAuth2Session(
        "demo-portal",
        scope="openid profile vn_id",
        redirect_uri=callback,
        code_challenge_method="S256",
        token_endpoint_auth_method="none",  # a public client: PKCE, no secret
    )
    verifier = "v" * 20 + "-demo-verifier-of-43-chars-or-more"
    url, state = relying_party.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce="n-0S6_WzA2Mj"
    )
    browser = PersonsBrowser(base)
    answer = browser.authorize(url, login=AN)

    assert answer.status_code == 302, answer.text[:500]
    location = answer.headers["Location"]
    assert location.startswith(callback + "?")
    token = relying_party.fetch_token(
        discovery["token_endpoint"],
        authorization_response=location,
        state=state,
        code_verifier=verifier,
    )
    claims = verify_id_token(
        base,
        token["id_token"],
        client_id="demo-portal",
        nonce="n-0S6_WzA2Mj",
        access_token=token["access_token"],
    )
    assert claims["name"] == "Nguyễn Văn An"
    assert claims["vn_id"] == AN[0]
    assert claims["acr"] == "urn:nentang:acr:level2"  # verified in person
    assert claims["sub"] != AN[0]  # pairwise, never the ID number

    userinfo = relying_party.get(discovery["userinfo_endpoint"], timeout=10).json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["name"] == "Nguyễn Văn An"

    introspection = requests.post(
        discovery["introspection_endpoint"],
        data={"token": token["access_token"]},
        auth=("demo-machine", "demo-machine-secret-2026"),
        timeout=10,
    ).json()
    assert introspection["active"] is True
    assert introspection["client_id"] == "demo-portal"
