"""Who may receive what: consent (given on the consent page, never implied, withdrawable),
the e-ID level a client requires, and locked accounts. Live server, Authlib client."""

from __future__ import annotations

import json
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.utils import timezone
from oauth2_provider.models import AccessToken, Grant

from nentang.identity import services as identity_services
from nentang.identity.models import Account, ClientPolicy, Consent, DataUsage, Person
from nentang.identity.oidc.claims import ACR_LEVEL2
from nentang.identity.tests import support
from nentang.identity.tests.oidc_support import Browser, RelyingParty, callback_params
from nentang.identity.tests.test_oidc_flows import AN, BINH, provider, register

__all__ = ["provider"]
pytestmark = pytest.mark.django_db(transaction=True)


def userinfo_status(provider: str, access_token: str) -> int:
    return requests.get(
        f"{provider}/oidc/userinfo",
        headers={"Authorization": f"Bearer {access_token}"},
        timeout=10,
    ).status_code


def refresh(provider: str, rp: RelyingParty, refresh_token: str) -> requests.Response:
    return requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "refresh_token", "refresh_token": refresh_token},
        auth=(rp.client_id, rp.client_secret or ""),
        timeout=10,
    )


def test_the_consent_page_lists_what_the_client_receives_and_its_purpose(
    provider: str, an: Person
) -> None:
    client = register(purpose="Cấp phiếu lý lịch tư pháp")
    rp = RelyingParty(
        provider, client.application.client_id, client.client_secret, scope="openid vn_id"
    )
    browser = Browser(provider)

    page = browser.authorize(rp.authorization_url(), login=AN, consent=None)

    assert page.status_code == 200
    assert "Cấp phiếu lý lịch tư pháp" in page.text
    assert "Số định danh cá nhân" in page.text  # the vn_id claim, in Vietnamese
    assert "Họ và tên" not in page.text  # profile was not asked for
    assert "form-action 'self' http://127.0.0.1:9" in page.headers["Content-Security-Policy"]
    assert Consent.objects.count() == 0  # silence is not consent


def test_refusing_consent_returns_access_denied_and_writes_nothing(
    provider: str, an: Person
) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)

    params = callback_params(
        Browser(provider).authorize(rp.authorization_url(), login=AN, consent="deny")
    )

    assert params["error"] == "access_denied"
    assert params["state"] == rp.state
    assert (Consent.objects.count(), Grant.objects.count()) == (0, 0)


def test_withdrawing_consent_stops_every_further_release(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser = Browser(provider)
    tokens = rp.exchange(callback_params(browser.authorize(rp.authorization_url(), login=AN)))
    consent = Consent.objects.get(account=an.account, ended_at__isnull=True)
    assert consent.scopes == ["openid", "profile"]
    assert consent.purpose == "Nộp hồ sơ dịch vụ công trực tuyến"

    listing = browser.get(f"{provider}/account/consents")
    assert "Cổng dịch vụ công thử nghiệm" in listing.text
    withdrawn = browser.post_form(
        f"{provider}/account/consents/{consent.pk}/withdraw", listing.text, {}
    )
    assert withdrawn.status_code == 302
    releases = DataUsage.objects.count()

    assert userinfo_status(provider, tokens["access_token"]) == 401
    assert refresh(provider, rp, tokens["refresh_token"]).json()["error"] == "invalid_grant"
    assert DataUsage.objects.count() == releases
    consent.refresh_from_db()
    assert consent.end_reason == "withdrawn"
    # prompt=none cannot re-create it: silence is not consent.
    silent = callback_params(browser.authorize(rp.authorization_url(prompt="none"), login=AN))
    assert silent["error"] == "consent_required"
    assert not Consent.objects.filter(ended_at__isnull=True).exists()


def test_withdrawing_someone_elses_consent_is_not_found(
    provider: str, an: Person, binh: Person
) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    Browser(provider).authorize(rp.authorization_url(), login=AN)
    consent = Consent.objects.get(account=an.account)
    binh_browser = Browser(provider)
    binh_browser.follow(binh_browser.log_in(*BINH))
    listing = binh_browser.get(f"{provider}/account/consents")

    answer = binh_browser.post_form(
        f"{provider}/account/consents/{consent.pk}/withdraw", listing.text, {}
    )

    assert answer.status_code == 404
    consent.refresh_from_db()
    assert consent.ended_at is None


def test_a_level2_client_refuses_a_level1_person_clearly(
    provider: str, an: Person, binh: Person
) -> None:
    client = register(require_level=2)
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)

    page = Browser(provider).authorize(rp.authorization_url(), login=BINH)

    assert page.status_code == 403
    assert "mức độ 2" in page.text
    back = page.text.split('href="', 1)[1]
    assert "error=unmet_authentication_requirements" in back
    assert Grant.objects.count() == 0
    # A level-2 person passes, and the ID token says so.
    tokens = rp.exchange(
        callback_params(Browser(provider).authorize(rp.authorization_url(), login=AN))
    )
    assert tokens["access_token"]


def test_an_essential_acr_in_the_claims_parameter_is_enforced(provider: str, binh: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    claims = json.dumps({"id_token": {"acr": {"essential": True, "values": [ACR_LEVEL2]}}})
    browser = Browser(provider)
    browser.follow(browser.log_in(*BINH))

    silent = callback_params(browser.authorize(rp.authorization_url(claims=claims, prompt="none")))

    assert silent["error"] == "unmet_authentication_requirements"


def test_a_locked_account_gets_no_tokens_and_no_userinfo(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser = Browser(provider)
    tokens = rp.exchange(callback_params(browser.authorize(rp.authorization_url(), login=AN)))
    # Locked behind the services' back: the provider checks the account itself.
    Account.objects.filter(pk=str(an.account_id)).update(
        locked_at=timezone.now(), lock_reason="officer_action"
    )
    releases = DataUsage.objects.count()

    assert userinfo_status(provider, tokens["access_token"]) == 401
    refused = refresh(provider, rp, tokens["refresh_token"])
    assert refused.json()["error"] == "invalid_grant"
    assert "locked" in refused.json()["error_description"]
    # The session of a locked account no longer counts as logged in.
    again = callback_params(browser.authorize(rp.authorization_url(prompt="none")))
    assert again["error"] == "login_required"
    assert DataUsage.objects.count() == releases


def test_locking_through_the_identity_service_revokes_the_tokens(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    tokens = rp.exchange(
        callback_params(Browser(provider).authorize(rp.authorization_url(), login=AN))
    )
    assert AccessToken.objects.filter(user=an.account).exists()

    holder = Account.objects.get(pk=str(an.account_id))
    identity_services.account_lock(actor=holder, account_id=holder.pk, reason="holder_request")

    assert not AccessToken.objects.filter(user=an.account).exists()
    assert userinfo_status(provider, tokens["access_token"]) == 401


def test_prompt_login_and_max_age_ask_to_log_in_again(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser = Browser(provider)
    browser.authorize(rp.authorization_url(), login=AN)

    forced = browser.follow(browser.get(rp.authorization_url(prompt="login")))
    assert 'name="password"' in forced.text
    next_url = parse_qs(urlsplit(forced.url).query)["next"][0]
    assert "prompt" not in next_url  # satisfied by the login it asks for

    session = browser.session.cookies.get("nentang_session")
    assert session
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore(session_key=session)
    store["nentang_auth_time"] = int((timezone.now() - timedelta(hours=1)).timestamp())
    store.save()
    old = browser.follow(browser.get(rp.authorization_url(max_age="600")))
    assert 'name="password"' in old.text
    silent = callback_params(browser.get(rp.authorization_url(max_age="600", prompt="none")))
    assert silent["error"] == "login_required"


def test_bearer_tokens_authenticate_our_own_apis_with_scopes(provider: str, an: Person) -> None:
    client = register(scopes=["openid", "profile", "phone"])
    rp = RelyingParty(
        provider, client.application.client_id, client.client_secret, scope="openid profile"
    )
    tokens = rp.exchange(
        callback_params(Browser(provider).authorize(rp.authorization_url(), login=AN))
    )
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    released = DataUsage.objects.count()

    me = requests.get(f"{provider}/api/v1/identity/me", headers=bearer, timeout=10)

    assert me.status_code == 200, me.text
    person = me.json()["person"]
    assert person["full_name"] == "Nguyễn Văn An"
    # Only what the token's scopes release: no ID number, phone or address.
    assert (person["id_number"], person["phone"], person["residence"]) == (None, None, None)
    assert me.json()["account"]["username"] == ""
    assert DataUsage.objects.count() == released + 1
    entry = DataUsage.objects.order_by("-occurred_at").first()
    assert entry is not None
    assert entry.client_id == rp.client_id
    assert "full_name" in entry.fields
    assert "id_number" not in entry.fields

    # No internal id that would let services correlate the person (subjects are pairwise).
    assert me.json()["account"]["id"] is None
    assert person["id"] is None
    # The data-usage log names the person's other services: the holder's alone.
    usage = requests.get(f"{provider}/api/v1/identity/me/data-usage", headers=bearer, timeout=10)
    assert usage.status_code == 403
    assert usage.json()["code"] == "holder_session_required"
    # Nor may a service register anything on the person's behalf.
    born = support.years_ago(5)
    child = requests.post(
        f"{provider}/api/v1/identity/me/children",
        json={
            "id_number": support.id_number_for(born, sex="female", serial=779),
            "full_name": "Nguyễn Ngọc Hân",
            "date_of_birth": born.isoformat(),
            "sex": "female",
        },
        headers=bearer,
        timeout=10,
    )
    assert child.status_code == 403
    assert child.json()["code"] == "holder_session_required"

    narrow = RelyingParty(
        provider, client.application.client_id, client.client_secret, scope="openid"
    )
    only_openid = narrow.exchange(
        callback_params(Browser(provider).authorize(narrow.authorization_url(), login=AN))
    )
    refused = requests.get(
        f"{provider}/api/v1/identity/me",
        headers={"Authorization": f"Bearer {only_openid['access_token']}"},
        timeout=10,
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "insufficient_scope"
    assert 'error="insufficient_scope", scope="profile"' in refused.headers["WWW-Authenticate"]

    unknown = requests.get(
        f"{provider}/api/v1/identity/me",
        headers={"Authorization": "Bearer not-a-token"},
        timeout=10,
    )
    assert unknown.status_code == 401
    assert unknown.json()["code"] == "invalid_token"
    assert 'error="invalid_token"' in unknown.headers["WWW-Authenticate"]

    before_lock = DataUsage.objects.count()
    holder = an.account
    assert holder is not None
    identity_services.account_lock(actor=holder, account_id=holder.pk, reason="holder_request")
    locked = requests.get(f"{provider}/api/v1/identity/me", headers=bearer, timeout=10)
    assert locked.status_code == 401
    assert locked.json()["code"] == "invalid_token"
    assert DataUsage.objects.count() == before_lock  # nothing released to a locked account


def test_a_machine_clients_token_acts_for_no_person(provider: str) -> None:
    machine = register(
        name="Hệ thống liên thông",
        grant="client_credentials",
        redirect_uris=[],
        scopes=["introspection"],
    )
    token = requests.post(
        f"{provider}/oidc/token",
        data={"grant_type": "client_credentials"},
        auth=(machine.application.client_id, machine.client_secret or ""),
        timeout=10,
    ).json()["access_token"]

    answer = requests.get(
        f"{provider}/api/v1/identity/me",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )

    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_token"


def test_a_new_purpose_asks_for_consent_again(provider: str, an: Person) -> None:
    client = register()
    rp = RelyingParty(provider, client.application.client_id, client.client_secret)
    browser = Browser(provider)
    rp.exchange(callback_params(browser.authorize(rp.authorization_url(), login=AN)))
    ClientPolicy.objects.filter(application=client.application).update(
        purpose="Chia sẻ dữ liệu cho đối tác quảng cáo"
    )

    silent = callback_params(browser.authorize(rp.authorization_url(prompt="none"), login=AN))
    page = browser.authorize(rp.authorization_url(), login=AN, consent=None)

    assert silent["error"] == "consent_required"  # the person agreed to another purpose
    assert page.status_code == 200
    assert "Chia sẻ dữ liệu cho đối tác quảng cáo" in page.text
    consent = Consent.objects.get(account=an.account, ended_at__isnull=True)
    assert consent.purpose == "Nộp hồ sơ dịch vụ công trực tuyến"  # unchanged until they agree
