"""The OpenID provider end to end, against a live server, with Authlib's client as the
relying party: discovery, code flow with PKCE, ID tokens verified from the JWKS (ES256
and RS256), userinfo, refresh rotation and reuse detection, client credentials,
introspection, revocation, logout, pairwise subjects and key rotation.

Given Nguyễn Văn An (level 2) and Trần Thị Bình (level 1) of the identity cast."""

from __future__ import annotations

import ipaddress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from nentang.identity.models import DataUsage, Person
from nentang.identity.oidc import keys
from nentang.identity.oidc.claims import ACR_LEVEL1, ACR_LEVEL2
from nentang.identity.oidc.services import RegisteredClient, client_register, signing_keys_rotate
from nentang.identity.tests import support
from nentang.identity.tests.oidc_support import (
    CALLBACK,
    Browser,
    RelyingParty,
    callback_params,
    header_of,
    verify_id_token,
)
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db(transaction=True)
TESTS = Actor.system("tests")


@pytest.fixture
def provider(live_server: Any, settings: Any, transactional_db: None) -> str:
    support.administrative_units()
    # 127.0.0.1, not "localhost": cookie jars do not keep cookies of a dotless host.
    base = live_server.url.replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = base
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    return str(base)


def register(**changes: Any) -> RegisteredClient:
    options: dict[str, Any] = {
        "actor": TESTS,
        "name": "Cổng dịch vụ công thử nghiệm",
        "redirect_uris": [CALLBACK],
        "purpose": "Nộp hồ sơ dịch vụ công trực tuyến",
    }
    options.update(changes)
    return client_register(**options)


def log_in_and_get_tokens(
    provider: str, rp: RelyingParty, login: tuple[str, str], **extra: str
) -> dict[str, Any]:
    browser = Browser(provider)
    params = callback_params(browser.authorize(rp.authorization_url(**extra), login=login))
    return rp.exchange(params)


AN = (support.AN_ID, support.PASSWORD)
BINH = (support.BINH_ID, support.PASSWORD)


def test_discovery_lists_what_the_provider_implements(provider: str) -> None:
    document = requests.get(f"{provider}/.well-known/openid-configuration", timeout=10).json()

    assert document["issuer"] == provider
    assert document["jwks_uri"] == f"{provider}/oidc/jwks"
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["subject_types_supported"] == ["pairwise", "public"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256", "RS256"]
    assert document["acr_values_supported"] == [ACR_LEVEL1, ACR_LEVEL2]
    assert {"client_secret_basic", "client_secret_post", "private_key_jwt"} <= set(
        document["token_endpoint_auth_methods_supported"]
    )
    assert document["response_types_supported"] == ["code"]
    for name in ("revocation_endpoint", "introspection_endpoint", "end_session_endpoint"):
        assert document[name].startswith(provider)
    assert {"vn_id", "birthdate", "address", "acr", "auth_time"} <= set(
        document["claims_supported"]
    )
    published = requests.get(document["jwks_uri"], timeout=10).json()["keys"]
    assert {key["alg"] for key in published} == {"ES256", "RS256"}
    assert all(key["kid"] and "d" not in key for key in published)


def test_public_client_code_flow_with_pkce(provider: str, an: Person) -> None:
    client = register(public=True)
    rp = RelyingParty(provider, client.application.client_id, scope="openid profile vn_id address")

    tokens = log_in_and_get_tokens(provider, rp, AN)

    claims = verify_id_token(
        provider,
        tokens["id_token"],
        client_id=rp.client_id,
        nonce=rp.nonce,
        access_token=tokens["access_token"],
    )
    assert header_of(tokens["id_token"])["alg"] == "ES256"
    assert claims["acr"] == ACR_LEVEL2
    assert claims["name"] == "Nguyễn Văn An"
    assert (claims["family_name"], claims["middle_name"], claims["given_name"]) == (
        "Nguyễn",
        "Văn",
        "An",
    )
    assert claims["birthdate"] == "1990-05-15"
    assert claims["vn_id"] == support.AN_ID
    assert claims["address"]["region"] == "Thành phố Hồ Chí Minh"
    assert abs(claims["auth_time"] - datetime.now(UTC).timestamp()) < 120
    assert "email" not in claims  # not asked for
    assert tokens["refresh_token"]

    userinfo = requests.get(
        f"{provider}/oidc/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    ).json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["vn_id"] == support.AN_ID
    releases = list(
        DataUsage.objects.filter(person=an, kind="client_release").order_by("occurred_at", "id")
    )
    assert len(releases) == 2  # the ID token, then userinfo
    assert {release.client_id for release in releases} == {rp.client_id}
    person_fields = {"full_name", "date_of_birth", "sex", "id_number", "address"}
    assert set(releases[0].fields) == {*person_fields, "level"}  # the ID token carries acr
    assert set(releases[1].fields) == person_fields
    assert releases[0].purpose == "Nộp hồ sơ dịch vụ công trực tuyến"


def test_confidential_client_gets_rs256_id_tokens(provider: str, an: Person) -> None:
    client = register(id_token_alg="RS256")
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)

    tokens = log_in_and_get_tokens(provider, rp, AN)

    header = header_of(tokens["id_token"])
    assert header["alg"] == "RS256"
    assert header["kid"] == keys.active_key("RS256").kid
    verify_id_token(
        provider,
        tokens["id_token"],
        client_id=rp.client_id,
        nonce=rp.nonce,
        access_token=tokens["access_token"],
    )


def test_refresh_rotates_and_a_reused_refresh_token_revokes_the_family(
    provider: str, an: Person
) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    first = log_in_and_get_tokens(provider, rp, AN)
    session = rp.session()

    second = session.refresh_token(f"{provider}/oidc/token", refresh_token=first["refresh_token"])

    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    refreshed = verify_id_token(
        provider,
        second["id_token"],
        client_id=rp.client_id,
        nonce=None,
        access_token=second["access_token"],
    )
    assert refreshed["acr"] == ACR_LEVEL2

    replay = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": first["refresh_token"]},
        auth=(rp.client_id, client.client_secret or ""),
        timeout=10,
    )
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    # The whole family is revoked: the newer refresh token and its access token too.
    again = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": second["refresh_token"]},
        auth=(rp.client_id, client.client_secret or ""),
        timeout=10,
    )
    assert again.json()["error"] == "invalid_grant"
    userinfo = requests.get(
        f"{provider}/oidc/userinfo",
        headers={"Authorization": f"Bearer {second['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 401


def test_client_credentials_introspection_and_revocation(provider: str, an: Person) -> None:
    machine = register(
        name="Hệ thống liên thông",
        grant="client_credentials",
        redirect_uris=[],
        scopes=["introspection"],
    )
    session = OAuth2Session(machine.application.client_id, machine.client_secret)
    machine_token = session.fetch_token(f"{provider}/oidc/token", grant_type="client_credentials")
    assert machine_token["token_type"] == "Bearer"
    assert machine_token["scope"] == "introspection"
    assert "refresh_token" not in machine_token

    relying = register()
    rp = RelyingParty(provider, relying.application.client_id, relying.client_secret)
    person_tokens = log_in_and_get_tokens(provider, rp, AN)

    # A resource server (the machine client, allowed to introspect) checks the token.
    answer = session.introspect_token(
        f"{provider}/oidc/introspect", token=person_tokens["access_token"]
    ).json()
    assert answer["active"] is True
    assert answer["client_id"] == rp.client_id
    assert answer["scope"] == "openid profile"
    assert answer["iss"] == provider
    assert "sub" in answer

    revoke = rp.session().revoke_token(
        f"{provider}/oidc/revoke",
        token=person_tokens["access_token"],
        token_type_hint="access_token",
    )
    assert revoke.status_code == 200
    after = session.introspect_token(
        f"{provider}/oidc/introspect", token=person_tokens["access_token"]
    ).json()
    assert after == {"active": False}


def test_a_client_introspects_only_its_own_tokens(provider: str, an: Person) -> None:
    one = register(name="Dịch vụ một")
    other = register(name="Dịch vụ hai")
    rp = RelyingParty(provider, one.application.client_id, one.client_secret)
    tokens = log_in_and_get_tokens(provider, rp, AN)

    own = rp.session().introspect_token(f"{provider}/oidc/introspect", token=tokens["access_token"])
    foreign = OAuth2Session(other.application.client_id, other.client_secret).introspect_token(
        f"{provider}/oidc/introspect", token=tokens["access_token"]
    )

    assert own.json()["active"] is True
    assert foreign.json() == {"active": False}


def test_rp_initiated_logout_ends_the_session_and_revokes_the_clients_tokens(
    provider: str, an: Person
) -> None:
    client = register(post_logout_redirect_uris=["http://127.0.0.1:9/bye"])
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser = Browser(provider)
    params = callback_params(browser.authorize(rp.authorization_url(), login=AN))
    tokens = rp.exchange(params)

    response = browser.get(
        f"{provider}/oidc/logout?id_token_hint={tokens['id_token']}"
        "&post_logout_redirect_uri=http://127.0.0.1:9/bye&state=s1"
    )

    assert response.status_code == 302
    assert response.headers["Location"] == "http://127.0.0.1:9/bye?state=s1"
    userinfo = requests.get(
        f"{provider}/oidc/userinfo",
        headers={"Authorization": f"Bearer {tokens['access_token']}"},
        timeout=10,
    )
    assert userinfo.status_code == 401
    # The session is gone: a new authorization asks to log in again.
    again = browser.follow(browser.get(rp.authorization_url()))
    assert 'name="password"' in again.text


def test_subjects_are_pairwise_per_client_and_public_for_internal_clients(
    provider: str, an: Person
) -> None:
    one, two = register(name="Dịch vụ một"), register(name="Dịch vụ hai")
    ours = register(name="Cổng của nền tảng", internal=True)
    browser = Browser(provider)

    def sub_for(client: RegisteredClient) -> str:
        rp = RelyingParty(provider, client.application.client_id, client.client_secret)
        params = callback_params(browser.authorize(rp.authorization_url(), login=AN))
        tokens = rp.exchange(params)
        return str(
            verify_id_token(
                provider,
                tokens["id_token"],
                client_id=rp.client_id,
                nonce=rp.nonce,
                access_token=tokens["access_token"],
            )["sub"]
        )

    first, second = sub_for(one), sub_for(two)
    assert first != second
    assert sub_for(one) == first  # stable for the same client
    assert sub_for(ours) == str(an.account_id)


def test_key_rotation_keeps_old_tokens_verifiable_and_signs_with_the_new_key(
    provider: str, an: Person
) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    before = log_in_and_get_tokens(provider, rp, AN)
    old_kid = header_of(before["id_token"])["kid"]

    new_kids = signing_keys_rotate(actor=TESTS)

    after = log_in_and_get_tokens(provider, rp, AN)
    new_kid = header_of(after["id_token"])["kid"]
    assert new_kid in new_kids
    assert new_kid != old_kid
    published = {
        key["kid"] for key in requests.get(f"{provider}/oidc/jwks", timeout=10).json()["keys"]
    }
    assert {old_kid, new_kid} <= published
    for tokens in (before, after):
        verify_id_token(
            provider,
            tokens["id_token"],
            client_id=rp.client_id,
            nonce=None,
            access_token=tokens["access_token"],
        )
    # Once every token the old key signed has expired, it leaves the JWKS.
    later = datetime.now(UTC) + keys.retention() + timedelta(seconds=1)
    assert old_kid not in {key.kid for key in keys.published_keys(now=later)}
    assert new_kid in {key.kid for key in keys.published_keys(now=later)}


def test_level1_person_gets_acr_level1(provider: str, binh: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)

    tokens = log_in_and_get_tokens(provider, rp, BINH, acr_values=ACR_LEVEL2)

    claims = verify_id_token(
        provider,
        tokens["id_token"],
        client_id=rp.client_id,
        nonce=rp.nonce,
        access_token=tokens["access_token"],
    )
    assert claims["acr"] == ACR_LEVEL1  # acr_values is voluntary: the truth is returned
