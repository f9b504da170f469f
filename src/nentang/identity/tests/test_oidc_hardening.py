"""Regression tests of the provider's hardening (issue 8): tokens stored as digests,
bad input answered with OAuth errors (never a 500), RP-initiated logout that ends only
the browser's own session, an empty PKCE challenge refused up front, the registered
client authentication method enforced, and ``prompt=none`` with someone else's
``id_token_hint``. Live server, Authlib's client, on SQLite and PostgreSQL.

Given Nguyễn Văn An (level 2) and Trần Thị Bình (level 1) of the identity cast."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from oauth2_provider.models import AccessToken, RefreshToken

from nentang.identity.models import Authorization, Person
from nentang.identity.tests import support
from nentang.identity.tests.oidc_support import CALLBACK, Browser, RelyingParty, callback_params
from nentang.identity.tests.test_oidc_bad_input import counts
from nentang.identity.tests.test_oidc_client_auth import key_pair, machine, sign
from nentang.identity.tests.test_oidc_flows import AN, BINH, provider, register

__all__ = ["provider"]
pytestmark = pytest.mark.django_db(transaction=True)

CHALLENGE = base64.urlsafe_b64encode(hashlib.sha256(b"v" * 43).digest()).decode().rstrip("=")


def token_post(provider: str, data: dict[str, str], **kwargs: Any) -> requests.Response:
    return requests.post(f"{provider}/oidc/token", data=data, timeout=10, **kwargs)


def userinfo_status(provider: str, access_token: str) -> int:
    return requests.get(
        f"{provider}/oidc/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    ).status_code


def logged_in_tokens(
    provider: str, rp: RelyingParty, login: tuple[str, str]
) -> tuple[Browser, dict[str, Any]]:
    browser = Browser(provider)
    params = callback_params(browser.authorize(rp.authorization_url(), login=login))
    return browser, rp.exchange(params)


# --- item 7: access and refresh tokens at rest ---------------------------------------


def test_access_and_refresh_tokens_are_stored_as_digests_only(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    _browser, tokens = logged_in_tokens(provider, rp, AN)

    stored_access = AccessToken.objects.get()
    stored_refresh = RefreshToken.objects.get()
    assert stored_access.token == ""
    assert stored_refresh.token == ""
    assert (
        stored_access.token_checksum == hashlib.sha256(tokens["access_token"].encode()).hexdigest()
    )
    assert (
        stored_refresh.token_checksum
        == hashlib.sha256(tokens["refresh_token"].encode()).hexdigest()
    )
    # Every use still works from the digest: userinfo, refresh (rotated), revocation.
    assert userinfo_status(provider, tokens["access_token"]) == 200
    refreshed = rp.session().refresh_token(
        f"{provider}/oidc/token", refresh_token=tokens["refresh_token"]
    )
    assert userinfo_status(provider, refreshed["access_token"]) == 200
    assert set(AccessToken.objects.values_list("token", flat=True)) == {""}
    assert set(RefreshToken.objects.values_list("token", flat=True)) == {""}
    revoked = rp.session().revoke_token(
        f"{provider}/oidc/revoke", token=refreshed["access_token"], token_type_hint="access_token"
    )
    assert revoked.status_code == 200
    assert userinfo_status(provider, refreshed["access_token"]) == 401


def test_client_credential_tokens_are_stored_as_digests_only(provider: str) -> None:
    client = register(name="Máy", grant="client_credentials", redirect_uris=[], scopes=[])

    answer = token_post(
        provider,
        {"grant_type": "client_credentials"},
        auth=(client.application.client_id, client.client_secret or ""),
    )

    assert answer.status_code == 200
    assert AccessToken.objects.get().token == ""


def test_the_migration_blanks_tokens_stored_in_clear_before(an: Person) -> None:
    from importlib import import_module

    from django.apps import apps
    from django.utils import timezone

    client = register()
    account = an.account
    clear = AccessToken(
        user=account,
        application=client.application,
        scope="openid",
        expires=timezone.now() + timedelta(minutes=5),
        token="an-access-token-stored-in-clear-before-the-fix",
    )
    clear.save()  # the old way: the clear text in ``token``
    refresh = RefreshToken(
        user=account,
        application=client.application,
        access_token=clear,
        token="a-refresh-token-stored-in-clear-before-the-fix",
    )
    refresh.save()
    assert AccessToken.objects.get().token != ""

    import_module("nentang.identity.migrations.0004_oidc_token_digests").forwards(apps, None)

    stored = AccessToken.objects.get()
    assert stored.token == ""
    assert (
        stored.token_checksum
        == hashlib.sha256(b"an-access-token-stored-in-clear-before-the-fix").hexdigest()
    )
    assert RefreshToken.objects.get().token == ""
    assert (
        RefreshToken.objects.get().token_checksum
        == hashlib.sha256(b"a-refresh-token-stored-in-clear-before-the-fix").hexdigest()
    )


# --- item 9: bad input at the OAuth endpoints ------------------------------------------


def _authorize_params(client_id: str, **changes: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
        "nonce": "n",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(changes)
    return params


@pytest.mark.parametrize(
    "claims", ["{", "[]", '"acr"', '{"id_token": 1}', '{"id_token": {"acr": 5}}']
)
def test_a_malformed_claims_parameter_is_invalid_request(
    provider: str, an: Person, claims: str
) -> None:
    client = register(public=True)
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    before = counts()
    query = urlencode(_authorize_params(client.application.client_id, claims=claims))

    response = browser.get(f"{provider}/oidc/authorize?{query}")

    params = callback_params(response)
    assert params["error"] == "invalid_request"
    assert params["state"] == "s"
    assert "claims" in params["error_description"]
    assert counts() == before


@pytest.mark.parametrize("name", ["nonce", "code_challenge", "state", "scope", "ui_locales"])
def test_a_nul_byte_in_an_authorization_parameter_is_invalid_request(
    provider: str, an: Person, name: str
) -> None:
    client = register(public=True)
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    url = f"{provider}/oidc/authorize?" + urlencode(_authorize_params(client.application.client_id))
    consent = browser.follow(browser.get(url))
    browser.post_form(consent.url, consent.text, {"decision": "allow"})  # consent given
    before = counts()
    bad = _authorize_params(client.application.client_id)
    bad[name] = bad.get(name, "vi") + "\x00x"

    response = browser.get(f"{provider}/oidc/authorize?" + urlencode(bad))

    assert response.status_code in (302, 400)
    if response.status_code == 302:
        params = callback_params(response)
        assert params["error"] == ("invalid_scope" if name == "scope" else "invalid_request")
    else:
        assert "invalid_request" in response.text
    assert counts() == before


@pytest.mark.parametrize("name", ["client_id", "redirect_uri"])
def test_a_nul_byte_in_the_client_or_redirect_uri_is_an_error_page(
    provider: str, an: Person, name: str
) -> None:
    client = register(public=True)
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    bad = _authorize_params(client.application.client_id)
    bad[name] = bad[name] + "\x00"

    response = browser.get(f"{provider}/oidc/authorize?" + urlencode(bad))

    assert response.status_code == 400
    assert "Location" not in response.headers


@pytest.mark.parametrize(
    "field",
    ["code", "redirect_uri", "code_verifier", "client_id", "grant_type", "refresh_token", "scope"],
)
def test_a_nul_byte_at_the_token_endpoint_is_oauth_invalid_request(
    provider: str, an: Person, field: str
) -> None:
    client = register(public=True)
    data = {
        "grant_type": "authorization_code",
        "code": "abc",
        "redirect_uri": CALLBACK,
        "code_verifier": "v" * 43,
        "client_id": client.application.client_id,
        "refresh_token": "r",
        "scope": "openid",
    }
    data[field] = data[field] + "\x00"

    answer = token_post(provider, data)

    assert answer.status_code == 400
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json()["error"] == "invalid_request"
    assert answer.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/oidc/revoke", "/oidc/introspect", "/oidc/userinfo"])
def test_a_nul_byte_at_the_other_oauth_endpoints_is_a_4xx_json_error(
    provider: str, path: str
) -> None:
    client = register(
        name="Máy", grant="client_credentials", redirect_uris=[], scopes=["introspection"]
    )

    answer = requests.post(
        f"{provider}{path}",
        data={"token": "a\x00b", "access_token": "a\x00b", "token_type_hint": "access_token\x00"},
        auth=(client.application.client_id, client.client_secret or ""),
        timeout=10,
    )

    assert 400 <= answer.status_code < 500
    assert answer.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "field", ["client_id", "post_logout_redirect_uri", "state", "id_token_hint"]
)
def test_a_nul_byte_at_logout_is_a_clear_400(provider: str, an: Person, field: str) -> None:
    client = register(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    params = {
        "client_id": client.application.client_id,
        "post_logout_redirect_uri": "http://127.0.0.1:9/bye",
        "state": "s",
        "id_token_hint": "a.b.c",
    }
    params[field] += "\x00"

    response = requests.get(
        f"{provider}/oidc/logout?" + urlencode(params), allow_redirects=False, timeout=10
    )

    assert response.status_code == 400
    assert "Location" not in response.headers


# --- item 12: RP-initiated logout ends only the browser's own session ----------------


def test_anonymous_logout_with_someones_id_token_hint_revokes_nothing(
    provider: str, an: Person
) -> None:
    client = register(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    _browser, tokens = logged_in_tokens(provider, rp, AN)
    stranger = Browser(provider)  # no session: someone who found An's ID token

    response = stranger.get(
        f"{provider}/oidc/logout?id_token_hint={tokens['id_token']}"
        "&post_logout_redirect_uri=http://127.0.0.1:9/bye&state=s1"
    )

    assert response.status_code == 302
    assert userinfo_status(provider, tokens["access_token"]) == 200
    refreshed = rp.session().refresh_token(
        f"{provider}/oidc/token", refresh_token=tokens["refresh_token"]
    )
    assert refreshed["access_token"]


def test_logout_by_another_signed_in_person_does_not_touch_the_hint_owners_tokens(
    provider: str, an: Person, binh: Person
) -> None:
    client = register(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    _an_browser, an_tokens = logged_in_tokens(provider, rp, AN)
    binh_browser, binh_tokens = logged_in_tokens(provider, rp, BINH)
    page = binh_browser.get(
        f"{provider}/oidc/logout?id_token_hint={an_tokens['id_token']}"
        "&post_logout_redirect_uri=http://127.0.0.1:9/bye"
    )
    assert page.status_code == 200  # the hint is not Bình's: she is asked

    confirmed = binh_browser.post_form(
        f"{provider}/oidc/logout",
        page.text,
        {
            "allow": "true",
            "id_token_hint": an_tokens["id_token"],
            "post_logout_redirect_uri": "http://127.0.0.1:9/bye",
        },
    )

    assert confirmed.status_code == 302
    assert userinfo_status(provider, an_tokens["access_token"]) == 200
    assert userinfo_status(provider, binh_tokens["access_token"]) == 401


def test_logout_is_audited(provider: str, an: Person) -> None:
    client = register(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser, tokens = logged_in_tokens(provider, rp, AN)

    response = browser.get(
        f"{provider}/oidc/logout?id_token_hint={tokens['id_token']}"
        "&post_logout_redirect_uri=http://127.0.0.1:9/bye"
    )

    assert response.status_code == 302
    entry = support.AuditEntry.objects.filter(action="identity.oidc.logout").get()
    assert entry.summary["client_id"] == rp.client_id
    assert entry.summary["tokens_revoked"] == 2
    assert userinfo_status(provider, tokens["access_token"]) == 401


# --- item 13: an empty code_challenge ----------------------------------------------------


@pytest.mark.parametrize("public", [True, False])
@pytest.mark.parametrize("challenge", ["", "short", "!" * 43, CHALLENGE + "x"])
def test_a_malformed_code_challenge_is_refused_at_authorize(
    provider: str, an: Person, public: bool, challenge: str
) -> None:
    client = register(public=public)
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    before = counts()
    query = urlencode(_authorize_params(client.application.client_id, code_challenge=challenge))

    params = callback_params(browser.get(f"{provider}/oidc/authorize?{query}"))

    assert params["error"] == "invalid_request"
    assert "code_challenge" in params["error_description"]
    assert counts() == before


# --- item 14: the registered client authentication method ------------------------------


def test_a_client_registered_for_basic_may_not_post_its_secret(provider: str) -> None:
    client = register(
        name="Máy",
        grant="client_credentials",
        redirect_uris=[],
        scopes=[],
        auth_method="client_secret_basic",
    )

    posted = token_post(
        provider,
        {
            "grant_type": "client_credentials",
            "client_id": client.application.client_id,
            "client_secret": client.client_secret or "",
        },
    )

    assert posted.status_code == 401
    assert posted.json()["error"] == "invalid_client"
    assert "client_secret_basic" in posted.json()["error_description"]
    assert AccessToken.objects.count() == 0


def test_a_client_registered_for_post_may_not_use_basic(provider: str) -> None:
    client = register(
        name="Máy",
        grant="client_credentials",
        redirect_uris=[],
        scopes=[],
        auth_method="client_secret_post",
    )

    basic = token_post(
        provider,
        {"grant_type": "client_credentials"},
        auth=(client.application.client_id, client.client_secret or ""),
    )
    posted = token_post(
        provider,
        {
            "grant_type": "client_credentials",
            "client_id": client.application.client_id,
            "client_secret": client.client_secret or "",
        },
    )

    assert basic.status_code == 401
    assert "client_secret_post" in basic.json()["error_description"]
    assert posted.status_code == 200


def test_an_assertion_with_another_clients_basic_credentials_is_refused(provider: str) -> None:
    pem, jwks = key_pair()
    keyed = machine(jwks=jwks)
    other = register(name="Bí mật", grant="client_credentials", redirect_uris=[], scopes=[])
    keyed_id = keyed.application.client_id

    mixed = token_post(
        provider,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": sign(pem, keyed_id, f"{provider}/oidc/token"),
        },
        auth=(other.application.client_id, other.client_secret or ""),
    )
    with_posted_secret = token_post(
        provider,
        {
            "grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": sign(pem, keyed_id, f"{provider}/oidc/token"),
            "client_secret": "anything",
        },
    )

    assert mixed.status_code == 401
    assert mixed.json()["error"] == "invalid_client"
    assert "one" in mixed.json()["error_description"]
    assert with_posted_secret.status_code == 401
    assert AccessToken.objects.count() == 0


def test_a_public_client_presenting_a_secret_is_refused(provider: str, an: Person) -> None:
    client = register(public=True)
    rp = RelyingParty(provider, client.application.client_id)
    params = callback_params(Browser(provider).authorize(rp.authorization_url(), login=AN))

    answer = token_post(
        provider,
        {
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": rp.verifier,
            "client_id": rp.client_id,
            "client_secret": "made-up",
        },
    )

    assert answer.status_code == 401
    assert answer.json()["error"] == "invalid_client"
    assert Authorization.objects.get().redeemed_at is None


# --- item 20: prompt=none and id_token_hint ----------------------------------------------


def test_prompt_none_with_another_persons_id_token_hint_is_login_required(
    provider: str, an: Person, binh: Person
) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    _an_browser, an_tokens = logged_in_tokens(provider, rp, AN)
    binh_browser, _binh_tokens = logged_in_tokens(provider, rp, BINH)
    before = counts()

    params = callback_params(
        binh_browser.get(rp.authorization_url(prompt="none", id_token_hint=an_tokens["id_token"]))
    )

    assert params["error"] == "login_required"
    assert "code" not in params
    assert counts() == before


def test_prompt_none_with_ones_own_id_token_hint_issues_a_code(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser, tokens = logged_in_tokens(provider, rp, AN)

    params = callback_params(
        browser.get(rp.authorization_url(prompt="none", id_token_hint=tokens["id_token"]))
    )

    assert params.get("code"), params


def test_a_forged_id_token_hint_is_invalid_request(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser, tokens = logged_in_tokens(provider, rp, AN)
    header, payload, signature = tokens["id_token"].split(".")
    forged = ".".join([header, payload, signature[::-1]])

    params = callback_params(browser.get(rp.authorization_url(prompt="none", id_token_hint=forged)))

    assert params["error"] in ("invalid_request", "login_required")
    assert "code" not in params
