"""Every bad input of the identity issue at the OpenID provider gets a clear error and
writes nothing it should not: unknown or mismatched redirect URIs (an error page, never a
redirect), missing or wrong PKCE, ``plain`` PKCE, reused authorization codes (refused,
and the tokens issued from them revoked), scope escalation on refresh, silent requests
without a session."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
import requests
from oauth2_provider.models import AccessToken, Grant, IDToken, RefreshToken

from nentang.identity.models import Authorization, Consent, DataUsage, Person
from nentang.identity.tests.oidc_support import CALLBACK, Browser, RelyingParty, callback_params
from nentang.identity.tests.test_oidc_flows import AN, provider, register

__all__ = ["provider"]
pytestmark = pytest.mark.django_db(transaction=True)


def counts() -> dict[str, int]:
    models: tuple[Any, ...] = (
        AccessToken,
        RefreshToken,
        IDToken,
        Grant,
        Consent,
        Authorization,
        DataUsage,
    )
    return {model.__name__: model.objects.count() for model in models}


def authorize_url(provider: str, **params: str) -> str:
    return f"{provider}/oidc/authorize?{urlencode(params)}"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"client_id": "no-such-client"}, "client_id không xác định"),
        ({"redirect_uri": "https://attacker.example/steal"}, "redirect_uri không khớp"),
        ({"redirect_uri": CALLBACK + "/"}, "redirect_uri không khớp"),  # exact match only
        ({"redirect_uri": CALLBACK + "?x=1"}, "redirect_uri không khớp"),
        ({"redirect_uri": ""}, "thiếu redirect_uri"),
    ],
)
def test_unknown_client_or_redirect_uri_is_an_error_page_never_a_redirect(
    provider: str, an: Person, change: dict[str, str], message: str
) -> None:
    client = register(public=True)
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    before = counts()
    params = {
        "response_type": "code",
        "client_id": client.application.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s",
        "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuIJSstw-cM",
        "code_challenge_method": "S256",
    }
    params.update(change)
    params = {key: value for key, value in params.items() if value}

    response = browser.get(authorize_url(provider, **params))

    assert response.status_code == 400
    assert "Location" not in response.headers
    assert message in response.text
    assert counts() == before


def test_a_public_client_without_pkce_is_refused(provider: str, an: Person) -> None:
    client = register(public=True)
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    before = counts()

    params = callback_params(
        browser.get(
            authorize_url(
                provider,
                response_type="code",
                client_id=client.application.client_id,
                redirect_uri=CALLBACK,
                scope="openid",
                state="s1",
            )
        )
    )

    assert params["error"] == "invalid_request"
    assert "challenge" in params["error_description"].lower()
    assert params["state"] == "s1"
    assert counts() == before


@pytest.mark.parametrize("method", ["plain", None])
def test_plain_pkce_is_refused(provider: str, an: Person, method: str | None) -> None:
    client = register(public=True)
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    before = counts()
    query = {
        "response_type": "code",
        "client_id": client.application.client_id,
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s2",
        "code_challenge": "a-plain-verifier-that-is-long-enough-to-be-valid-0123456789",
    }
    if method:
        query["code_challenge_method"] = method

    params = callback_params(browser.get(authorize_url(provider, **query)))

    assert params["error"] == "invalid_request"
    assert "transform algorithm not supported" in params["error_description"].lower()
    assert counts() == before


@pytest.mark.parametrize(
    ("extra", "error"),
    [
        ({"prompt": "select_account"}, "invalid_request"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
        ({"request_uri": "https://rp.example.vn/request.jwt"}, "request_uri_not_supported"),
    ],
)
def test_what_discovery_does_not_advertise_is_refused_not_ignored(
    provider: str, an: Person, extra: dict[str, str], error: str
) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    before = counts()

    params = callback_params(browser.authorize(rp.authorization_url(**extra), consent=None))

    assert params["error"] == error
    assert params["state"] == rp.state
    assert counts() == before
    document = requests.get(f"{provider}/.well-known/openid-configuration", timeout=10).json()
    assert "select_account" not in document["prompt_values_supported"]
    assert document["request_parameter_supported"] is False
    assert document["request_uri_parameter_supported"] is False


def _code(provider: str, rp: RelyingParty) -> dict[str, str]:
    return callback_params(Browser(provider).authorize(rp.authorization_url(), login=AN))


@pytest.mark.parametrize("verifier", [None, "a-wrong-verifier-" + "x" * 40])
def test_a_missing_or_wrong_pkce_verifier_is_refused_and_the_code_stays_unused(
    provider: str, an: Person, verifier: str | None
) -> None:
    client = register(public=True)
    rp = RelyingParty(provider, client.application.client_id)
    params = _code(provider, rp)
    before = counts()
    data = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": CALLBACK,
        "client_id": rp.client_id,
    }
    if verifier:
        data["code_verifier"] = verifier

    answer = requests.post(f"{provider}/oidc/token", data=data, timeout=10)

    assert answer.status_code == 400
    assert answer.json()["error"] == ("invalid_request" if verifier is None else "invalid_grant")
    assert counts() == before
    assert Authorization.objects.get().redeemed_at is None
    # The rightful client, with its verifier, still gets its tokens.
    assert rp.exchange(params)["access_token"]


def test_a_reused_code_is_refused_and_the_tokens_issued_from_it_are_revoked(
    provider: str, an: Person
) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    params = _code(provider, rp)
    tokens = rp.exchange(params)
    body = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "redirect_uri": CALLBACK,
        "code_verifier": rp.verifier,
    }

    replay = requests.post(
        f"{provider}/oidc/token",
        data=body,
        auth=(rp.client_id, client.client_secret or ""),
        timeout=10,
    )

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert "revoked" in replay.json()["error_description"]
    userinfo = requests.get(
        f"{provider}/oidc/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 401
    again = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(rp.client_id, client.client_secret or ""),
        timeout=10,
    )
    assert again.json()["error"] == "invalid_grant"
    assert not AccessToken.objects.exists()


def test_another_client_replaying_a_used_code_revokes_nothing(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    params = _code(provider, rp)
    tokens = rp.exchange(params)
    intruder = register(name="Dịch vụ khác")

    replay = requests.post(
        f"{provider}/oidc/token",
        data={
            "grant_type": "authorization_code",
            "code": params["code"],
            "redirect_uri": CALLBACK,
            "code_verifier": rp.verifier,
        },
        auth=(intruder.application.client_id, intruder.client_secret or ""),
        timeout=10,
    )

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    userinfo = requests.get(
        f"{provider}/oidc/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 200  # the rightful client's tokens still work


def test_a_code_is_bound_to_its_client_and_redirect_uri(provider: str, an: Person) -> None:
    mine = register(redirect_uris=[CALLBACK, CALLBACK + "2"])
    other = register(name="Dịch vụ khác")
    rp = RelyingParty(provider, mine.application.client_id, mine.client_secret)
    params = _code(provider, rp)
    before = counts()
    body = {
        "grant_type": "authorization_code",
        "code": params["code"],
        "code_verifier": rp.verifier,
    }

    stolen = requests.post(
        f"{provider}/oidc/token",
        data={**body, "redirect_uri": CALLBACK},
        auth=(other.application.client_id, other.client_secret or ""),
        timeout=10,
    )
    elsewhere = requests.post(
        f"{provider}/oidc/token",
        data={**body, "redirect_uri": CALLBACK + "2"},
        auth=(rp.client_id, mine.client_secret or ""),
        timeout=10,
    )

    assert stolen.json()["error"] == "invalid_grant"
    assert elsewhere.json()["error"] == "invalid_request"  # mismatching redirect_uri
    assert counts() == before


def test_scope_escalation_on_refresh_is_refused(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret, scope="openid")
    tokens = rp.exchange(_code(provider, rp))
    before = counts()

    answer = requests.post(
        f"{provider}/oidc/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "scope": "openid vn_id",
        },
        auth=(rp.client_id, client.client_secret or ""),
        timeout=10,
    )

    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_scope"
    assert counts() == before
    # Narrowing is allowed.
    narrowed = requests.post(
        f"{provider}/oidc/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            "scope": "openid",
        },
        auth=(rp.client_id, client.client_secret or ""),
        timeout=10,
    )
    assert narrowed.status_code == 200


def test_a_client_may_not_ask_for_scopes_outside_its_registration(
    provider: str, an: Person
) -> None:
    client = register(scopes=["openid", "profile"])
    rp = RelyingParty(
        provider, client.application.client_id, client.client_secret, scope="openid vn_id"
    )
    browser = Browser(provider)
    browser.follow(browser.log_in(*AN))
    before = counts()

    params = callback_params(browser.get(rp.authorization_url()))

    assert params["error"] == "invalid_scope"
    assert counts() == before


def test_silent_authorization_without_a_session_is_login_required(
    provider: str, an: Person
) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    before = counts()

    params = callback_params(Browser(provider).get(rp.authorization_url(prompt="none")))

    assert params["error"] == "login_required"
    assert params["state"] == rp.state
    assert counts() == before


def test_bad_client_credentials_and_unsupported_grants(provider: str) -> None:
    machine = register(name="Máy", grant="client_credentials", redirect_uris=[], scopes=[])
    before = counts()

    unknown = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "client_credentials"},
        auth=("nobody", "nothing"),
        timeout=10,
    )
    password_grant = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "password", "username": "x", "password": "y"},
        auth=(machine.application.client_id, machine.client_secret or ""),
        timeout=10,
    )
    code_by_machine = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "authorization_code", "code": "x"},
        auth=(machine.application.client_id, machine.client_secret or ""),
        timeout=10,
    )

    assert unknown.status_code == 401
    assert unknown.json()["error"] == "invalid_client"
    assert password_grant.json()["error"] in ("unauthorized_client", "unsupported_grant_type")
    assert code_by_machine.json()["error"] in ("unauthorized_client", "invalid_grant")
    assert counts() == before
