"""`nentang demo` as a newcomer runs it, loaded once for the module: with --no-serve (what
it prints), then again serving (a second load changes nothing), and a relying party
written with a standard OIDC client (Authlib) logs a demo citizen in against it.

The demo's public client ``demo-portal`` is registered with ``<NENTANG_BASE_URL>/demo/
callback``; the test's browser stops at that redirect and hands the code to Authlib,
which exchanges it (PKCE S256) and whose ID token is verified against the JWKS. The
machine client ``demo-machine`` then introspects the citizen's access token.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from nentang.identity.tests.oidc_support import Browser, verify_id_token
from tests.support.processes import free_port, nentang_env, run_nentang

pytestmark = pytest.mark.slow

AN = ("079090001234", "demo-citizen-2026")


class PersonsBrowser(Browser):
    """Follows the provider's own redirects, but stops at the relying party's callback
    (which the demo serves on the same origin)."""

    def local(self, location: str) -> bool:
        return super().local(location) and "/demo/callback" not in location


def table_counts(env: dict[str, str]) -> dict[str, int]:
    script = (
        "import django, json; django.setup();"
        "from django.apps import apps;"
        "print(json.dumps({m._meta.label: m.objects.count() for m in apps.get_models()}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        env={**env, "DJANGO_SETTINGS_MODULE": "nentang.config.settings"},
        capture_output=True,
        text=True,
        check=True,
    )
    counts: dict[str, int] = json.loads(result.stdout.strip().splitlines()[-1])
    # Sessions and task results are runtime state, not demo data.
    return {k: v for k, v in counts.items() if not k.startswith(("sessions.", "django_tasks"))}


@dataclass(frozen=True)
class Demo:
    base: str
    no_serve: subprocess.CompletedProcess[str]
    printed: str  # what the serving run printed
    after_first: dict[str, int]
    after_second: dict[str, int]


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, module_migrated_database_url: str
) -> Iterator[Demo]:
    """`nentang demo --no-serve`, then `nentang demo` serving on the same database (no
    task worker: nothing but the loader writes until the counts are taken)."""
    folder = tmp_path_factory.mktemp("demo")
    port = free_port()
    base = f"http://localhost:{port}"  # the default base URL follows --port
    env = nentang_env(folder / "home", module_migrated_database_url)
    first = run_nentang("demo", "--no-serve", "--port", str(port), env=env, timeout=600)
    assert first.returncode == 0, first.stderr
    after_first = table_counts(env)
    log_path = folder / "demo.log"
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "nentang", "demo", "--port", str(port), "--no-task-worker"],
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
            yield Demo(
                base=base,
                no_serve=first,
                printed=log_path.read_text(encoding="utf-8"),
                after_first=after_first,
                after_second=table_counts(env),
            )
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_demo_loads_and_a_second_run_changes_nothing(demo: Demo) -> None:
    printed = demo.no_serve.stdout
    assert f"{demo.base}/" in printed
    assert "Nothing is served yet: run nentang serve --port" in " ".join(printed.split())
    assert "ready at" not in printed
    # The accounts table and every other line fit an 80-column terminal.
    assert max(len(line) for line in printed.splitlines()) <= 80, printed
    assert demo.after_first["identity.Person"] > 0
    assert demo.after_second == demo.after_first


def test_a_standard_relying_party_completes_the_flow_against_the_demo(demo: Demo) -> None:
    base, printed = demo.base, demo.printed
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
