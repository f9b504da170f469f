"""The provider's machine endpoints as ``nentang serve`` serves them: through the ASGI
application (config/asgi.py), where token, revocation, introspection and userinfo run on
the shorter middleware chain (``NENTANG_MACHINE_MIDDLEWARE``) and everything else on the
full one. Driven with httpx's ASGI transport: the real application, no network.

What must hold on the shorter chain: the same answers, every security header the full
chain sets, no session or cookie, each release still logged, and a token, a consent or
an account taken away refused on the very next request (nothing is remembered).
"""

from __future__ import annotations

import asyncio
import base64
import datetime
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, set_token_value

from nentang.audit.models import AuditEntry
from nentang.identity.models import Account, Consent, DataUsage
from nentang.identity.oidc.services import client_register, consent_grant, consent_withdraw
from nentang.identity.services import Residence, person_register
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db(transaction=True)

MACHINE_SECRET = "machine-chain-secret-0123456789abcdef0123456789abcdef"
USERINFO_TOKEN = "machine-chain-userinfo-token-0123456789"
BASIC = "Basic " + base64.b64encode(f"chain-machine:{MACHINE_SECRET}".encode()).decode()
# Headers that belong to the browser chain only: language negotiation and cookies.
BROWSER_ONLY = {"content-language", "vary", "set-cookie"}


def asgi(method: str, path: str, **kwargs: Any) -> httpx.Response:
    from nentang.config.asgi import application

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
            return await c.request(method, path, **kwargs)

    return asyncio.run(send())


@pytest.fixture(autouse=True)
def _pool_closed_after() -> Iterator[None]:
    """The application ran views on its own request threads, whose PostgreSQL
    connections went back to psycopg's pool: close it, or the test database cannot be
    dropped at the end of the session."""
    yield
    close_pool = getattr(connection, "close_pool", None)
    if close_pool is not None:
        close_pool()


@pytest.fixture
def setup(settings: Any) -> dict[str, Any]:
    settings.ALLOWED_HOSTS = ["testserver"]
    actor = Actor.system("test")
    client_register(
        actor=actor,
        client_id="chain-machine",
        name="Chain machine",
        grant="client_credentials",
        client_secret=MACHINE_SECRET,
        purpose="Test",
        scopes=["introspection"],
    )
    portal = client_register(
        actor=actor,
        client_id="chain-portal",
        name="Chain portal",
        public=True,
        redirect_uris=["http://127.0.0.1:9/callback"],
        purpose="Tra cứu hồ sơ",
        scopes=["openid", "profile"],
    ).application
    person = person_register(
        id_number="079090001234",
        full_name="Nguyễn Văn An",
        date_of_birth=datetime.date(1990, 5, 15),
        sex="male",
        phone="0903123456",
        password="mật-khẩu-an-toàn-2026",
        residence=Residence("79", "26740", "12 Lê Lợi"),
        portrait=b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 64,
    )
    account = Account.objects.get(pk=str(person.account_id))
    consent = consent_grant(
        account=account, application=portal, scopes=["openid", "profile"], purpose="Tra cứu"
    )
    token = AccessToken(
        user=account,
        application=portal,
        scope="openid profile",
        expires=timezone.now() + timedelta(hours=1),
    )
    set_token_value(token, USERINFO_TOKEN)
    token.save()
    return {"account": account, "consent": consent, "token": token, "person": person}


def bearer() -> dict[str, str]:
    return {"Authorization": f"Bearer {USERINFO_TOKEN}"}


def test_the_short_chain_is_a_subset_of_the_full_one_without_sessions(settings: Any) -> None:
    short = settings.NENTANG_MACHINE_MIDDLEWARE
    assert set(short) < set(settings.MIDDLEWARE)
    assert [name for name in settings.MIDDLEWARE if name in short] == short  # same order
    for browser in ("SessionMiddleware", "CsrfViewMiddleware", "AuthenticationMiddleware"):
        assert not any(name.endswith(browser) for name in short)


def test_userinfo_answers_as_on_the_full_chain_and_logs_the_release(
    setup: dict[str, Any],
) -> None:
    full = Client().get("/oidc/userinfo", headers=bearer())
    usages, entries = DataUsage.objects.count(), AuditEntry.objects.count()

    short = asgi("GET", "/oidc/userinfo", headers=bearer())

    assert short.status_code == full.status_code == 200
    assert short.json() == full.json()
    assert short.json()["name"] == "Nguyễn Văn An"
    assert DataUsage.objects.count() == usages + 1  # every answer is a release, logged
    assert AuditEntry.objects.count() == entries + 1
    assert "set-cookie" not in short.headers


def test_every_security_header_of_the_full_chain_is_kept(setup: dict[str, Any]) -> None:
    body = {"grant_type": "client_credentials", "scope": "introspection"}
    full = Client().post("/oidc/token", body, headers={"Authorization": BASIC})
    short = asgi("POST", "/oidc/token", data=body, headers={"Authorization": BASIC})

    assert short.status_code == full.status_code == 200
    assert short.json()["token_type"] == "Bearer"
    expected = {name.lower() for name in full.headers} - BROWSER_ONLY
    assert expected <= set(short.headers)
    for name in ("content-security-policy", "x-frame-options", "cache-control"):
        assert short.headers[name] == full.headers[name]


def test_a_session_cookie_is_neither_read_nor_set(setup: dict[str, Any], settings: Any) -> None:
    browser = Client()
    browser.force_login(setup["account"])
    name = settings.SESSION_COOKIE_NAME
    cookie = f"{name}={browser.cookies[name].value}"

    answer = asgi("GET", "/oidc/userinfo", headers={"Cookie": cookie})

    assert answer.status_code == 401  # a bearer token is the only credential here
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert "set-cookie" not in answer.headers


def test_other_provider_paths_keep_the_full_chain(setup: dict[str, Any]) -> None:
    answer = asgi("GET", "/.well-known/openid-configuration")
    assert answer.status_code == 200
    assert "content-language" in answer.headers  # LocaleMiddleware ran


def test_errors_keep_their_oauth_shape(setup: dict[str, Any]) -> None:
    wrong = "Basic " + base64.b64encode(b"chain-machine:wrong").decode()
    refused = asgi(
        "POST",
        "/oidc/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": wrong},
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    nul = asgi("POST", "/oidc/token", data={"grant_type": "client_credentials\x00"})
    assert nul.status_code == 400
    assert nul.json()["error"] == "invalid_request"


def test_a_revoked_token_is_refused_on_the_next_request(setup: dict[str, Any]) -> None:
    assert asgi("GET", "/oidc/userinfo", headers=bearer()).status_code == 200
    revoked = asgi(
        "POST",
        "/oidc/revoke",
        data={"token": USERINFO_TOKEN, "client_id": "chain-portal"},
    )
    assert revoked.status_code == 200

    answer = asgi("GET", "/oidc/userinfo", headers=bearer())

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"


def test_a_withdrawn_consent_is_refused_on_the_next_request(setup: dict[str, Any]) -> None:
    assert asgi("GET", "/oidc/userinfo", headers=bearer()).status_code == 200
    # Ended behind the service's back (which also revokes the tokens): the consent
    # check itself must refuse, read fresh with the token.
    Consent.objects.filter(pk=setup["consent"].pk).update(ended_at=timezone.now())

    answer = asgi("GET", "/oidc/userinfo", headers=bearer())

    assert answer.status_code == 401
    assert "consent" in answer.json()["error_description"]


def test_a_consent_withdrawn_by_the_person_ends_the_token(setup: dict[str, Any]) -> None:
    assert asgi("GET", "/oidc/userinfo", headers=bearer()).status_code == 200
    consent_withdraw(actor=setup["account"], consent_id=setup["consent"].id)

    answer = asgi("GET", "/oidc/userinfo", headers=bearer())

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_token"


def test_a_locked_account_and_an_expired_token_are_refused_at_once(
    setup: dict[str, Any],
) -> None:
    assert asgi("GET", "/oidc/userinfo", headers=bearer()).status_code == 200
    Account.objects.filter(pk=setup["account"].pk).update(locked_at=timezone.now())
    assert asgi("GET", "/oidc/userinfo", headers=bearer()).status_code == 401
    Account.objects.filter(pk=setup["account"].pk).update(locked_at=None)
    AccessToken.objects.filter(pk=setup["token"].pk).update(
        expires=timezone.now() - timedelta(seconds=1)
    )
    assert asgi("GET", "/oidc/userinfo", headers=bearer()).status_code == 401
