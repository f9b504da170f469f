"""The holder's account pages: profile and level, sessions, consents, data usage, the
authenticator app."""

from __future__ import annotations

import time
from datetime import timedelta

import pyotp
import pytest
from django.test import Client
from django.utils import timezone
from tests.support.html import assert_well_formed, read
from tests.support.staff import log_in_as

from nentang.identity import services
from nentang.identity.middleware import TOUCHED_KEY
from nentang.identity.models import Account, AccountSession, Consent, Person, TotpDevice
from nentang.identity.oidc.services import client_register, consent_grant
from nentang.identity.tests import support
from nentang.kernel.auditing import Actor

PAGES = [
    "/account/",
    "/account/sessions",
    "/account/consents",
    "/account/data-usage",
    "/account/children",
    "/account/organisations",
    "/account/passkeys",
    "/account/totp",
]


def logged_in(person: Person, *, address: str = support.HOME) -> Client:
    """A browser where ``person`` logged in through the login page."""
    client = Client(REMOTE_ADDR=address)
    client.post("/login", {"login": person.id_number, "password": support.PASSWORD})
    assert "_auth_user_id" in client.session
    return client


def portal(name: str = "Cổng dịch vụ công tỉnh") -> object:
    return client_register(
        actor=Actor.system("tests"),
        name=name,
        redirect_uris=["http://127.0.0.1:9/callback"],
        public=True,
        purpose="Giải quyết thủ tục hành chính",
        scopes=["openid", "profile", "phone"],
    ).application


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_account_page_keeps_the_promises(an: Person, path: str, language: str) -> None:
    client = logged_in(an)
    client.cookies["nentang_language"] = language

    response = client.get(path)

    assert response.status_code == 200, path
    page = read(response.content)
    assert page.all("html")[0].attrs["lang"] == language
    assert_well_formed(page)
    current = [a for a in page.all("a") if a.attrs.get("aria-current") == "page"]
    # The primary navigation's "Account", then this page in the account's own navigation.
    assert [a.attrs["href"] for a in current] == ["/account/", path]


@pytest.mark.parametrize("path", PAGES)
def test_every_account_page_needs_a_login(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


class TestOverview:
    def test_level_2_citizen(self, an: Person) -> None:
        page = read(logged_in(an).get("/account/").content)

        assert page.texts("h1") == ["Nguyễn Văn An"]
        assert "Mức độ 2 · đã xác thực trực tiếp" in page.texts("span")
        values = [
            " ".join(dd.text.split())
            for dd in page.all("dd")
            if "summary-list__action" not in dd.attrs.get("class", "")
        ]
        facts = dict(zip(page.texts("dt"), values, strict=True))
        assert facts["Số định danh cá nhân"] == "079090001234"
        assert facts["Số điện thoại di động"] == "0903 123 456"
        assert {"/account/phone", "/account/email"} <= set(page.hrefs())
        assert "Đổi số điện thoại di động" in page.texts("a")
        assert facts["Địa chỉ nơi cư trú"] == "12 Lê Lợi, Phường Sài Gòn, Thành phố Hồ Chí Minh"
        assert "Đăng nhập mọi dịch vụ công trực tuyến, kể cả dịch vụ yêu cầu mức độ 2." in (
            page.texts("li")
        )

    def test_level_1_citizen_is_told_how_to_reach_level_2(self, binh: Person) -> None:
        page = read(logged_in(binh).get("/account/").content)

        assert "Mức độ 1 · đăng ký trực tuyến" in page.texts("span")
        assert "Thông tin: Nâng lên mức độ 2" in page.texts("p")
        text = " ".join(page.texts("p"))
        assert "Ủy ban nhân dân phường, xã" in text

    def test_an_officer_sees_their_agency(self, officer: Account) -> None:
        client = Client()
        log_in_as(client, officer)

        page = read(client.get("/account/").content)

        facts = dict(zip(page.texts("dt"), page.texts("dd"), strict=True))
        assert facts["Cơ quan công tác"] == "UBND phường Sài Gòn"
        assert "/officer/people" in page.hrefs()
        assert "/account/data-usage" not in page.hrefs()
        assert client.get("/account/data-usage").status_code == 404


class TestSessions:
    def test_sessions_are_listed_and_one_can_be_ended(self, binh: Person) -> None:
        phone = logged_in(binh, address="198.51.100.20")
        laptop = logged_in(binh, address="198.51.100.30")

        page = read(laptop.get("/account/sessions").content)

        assert "198.51.100.20" in page.texts("span")
        assert "Thiết bị này" in page.texts("span")
        other = AccountSession.objects.get(ip_address="198.51.100.20")
        response = laptop.post(f"/account/sessions/{other.pk}/end")
        assert response.status_code == 302
        assert phone.get("/account/").status_code == 302  # the phone is logged out
        assert laptop.get("/account/").status_code == 200

    def test_sign_out_everywhere_else_keeps_this_session(self, binh: Person) -> None:
        phones = [logged_in(binh, address=f"198.51.100.{n}") for n in (21, 22)]
        here = logged_in(binh)

        response = here.post("/account/sessions/end-all")

        assert response.status_code == 302
        assert "2 phiên khác đã kết thúc" in here.get("/account/sessions").content.decode()
        assert [p.get("/account/").status_code for p in phones] == [302, 302]
        assert here.get("/account/").status_code == 200

    def test_last_active_follows_use_and_writes_at_most_once_a_minute(self, binh: Person) -> None:
        browser = logged_in(binh)
        session = AccountSession.objects.get(account=binh.account)
        long_ago = timezone.now() - timedelta(minutes=30)
        AccountSession.objects.filter(pk=session.pk).update(last_seen_at=long_ago)
        stored = browser.session  # as if the last write were half an hour ago
        stored[TOUCHED_KEY] = int(time.time()) - 1800
        stored.save()

        assert browser.get("/account/").status_code == 200

        session.refresh_from_db()
        assert session.last_seen_at > timezone.now() - timedelta(minutes=1)
        # A second page within the minute does not write again.
        AccountSession.objects.filter(pk=session.pk).update(last_seen_at=long_ago)
        assert browser.get("/account/sessions").status_code == 200
        session.refresh_from_db()
        assert session.last_seen_at == long_ago

    def test_nobody_ends_another_persons_session(self, binh: Person, an: Person) -> None:
        logged_in(an)
        theirs = AccountSession.objects.get(account=an.account)

        response = logged_in(binh).post(f"/account/sessions/{theirs.pk}/end")

        assert response.status_code == 404
        theirs.refresh_from_db()
        assert theirs.ended_at is None

    def test_ending_needs_the_csrf_token(self, binh: Person) -> None:
        client = Client(enforce_csrf_checks=True)
        assert binh.account is not None
        client.force_login(binh.account)

        assert client.post("/account/sessions/end-all").status_code == 403


class TestConsents:
    def test_a_consent_is_listed_and_withdrawn(self, an: Person) -> None:
        assert an.account is not None
        application = portal()
        consent = consent_grant(
            account=an.account,
            application=application,
            scopes=["openid", "phone"],
            purpose="Giải quyết thủ tục hành chính",
        )
        client = logged_in(an)

        page = read(client.get("/account/consents").content)

        assert page.texts("h2") == ["Cổng dịch vụ công tỉnh"]
        data = next(t for t in page.texts("p") if t.startswith("Dữ liệu:"))
        assert "Số điện thoại di động của bạn" in data
        response = client.post(f"/account/consents/{consent.pk}/withdraw")
        assert response.status_code == 302
        consent.refresh_from_db()
        assert consent.end_reason == Consent.EndReason.WITHDRAWN
        page = read(client.get("/account/consents").content)
        assert page.texts("h2") == []

    def test_nobody_withdraws_another_persons_consent(self, an: Person, binh: Person) -> None:
        assert an.account is not None
        consent = consent_grant(
            account=an.account, application=portal(), scopes=["openid"], purpose="Thử"
        )

        response = logged_in(binh).post(f"/account/consents/{consent.pk}/withdraw")

        assert response.status_code == 404
        consent.refresh_from_db()
        assert consent.ended_at is None


class TestDataUsage:
    def test_officer_reads_and_service_releases_are_shown(
        self, an: Person, officer: Account
    ) -> None:
        services.person_find_by_id_number(
            actor=officer, id_number=support.AN_ID, purpose="Xác thực mức độ 2 tại bộ phận một cửa"
        )
        services.data_usage_record(
            person_id=an.id,
            client_id="cong-dvc",
            client_name="Cổng dịch vụ công tỉnh",
            fields=["full_name", "phone"],
            purpose="Giải quyết thủ tục hành chính",
        )

        page = read(logged_in(an).get("/account/data-usage").content)

        cells = page.texts("td")
        assert "Cán bộ UBND phường Sài Gòn" in cells
        assert "Xác thực mức độ 2 tại bộ phận một cửa" in cells
        assert "Dịch vụ “Cổng dịch vụ công tỉnh”" in cells
        assert "họ và tên, số điện thoại" in cells
        # newest first
        assert cells.index("Dịch vụ “Cổng dịch vụ công tỉnh”") < cells.index(
            "Cán bộ UBND phường Sài Gòn"
        )

    def test_each_person_sees_only_their_own_log(
        self, an: Person, binh: Person, officer: Account
    ) -> None:
        services.person_find_by_id_number(
            actor=officer, id_number=support.AN_ID, purpose="Xác thực tại quầy"
        )

        page = read(logged_in(binh).get("/account/data-usage").content)

        assert "Xác thực tại quầy" not in page.texts("td")
        assert "Chưa có ai sử dụng dữ liệu của bạn." in page.texts("p")


class TestAuthenticatorApp:
    def test_set_up_with_a_qr_code_confirm_and_turn_off(self, binh: Person) -> None:
        client = logged_in(binh)

        client.post("/account/totp", {"action": "enrol"})
        response = client.get("/account/totp")

        html = response.content.decode()
        assert '<svg role="img"' in html
        assert "<title>Mã QR cho ứng dụng xác thực</title>" in html
        secret = TotpDevice.objects.get(account=binh.account).secret
        totp = pyotp.TOTP(secret)
        wrong = client.post("/account/totp", {"action": "confirm", "code": "123456"})
        assert wrong.status_code == 422
        assert "#id_code" in read(wrong.content).hrefs()
        assert TotpDevice.objects.get().confirmed_at is None

        done = client.post("/account/totp", {"action": "confirm", "code": totp.now()})

        assert done.status_code == 302
        assert TotpDevice.objects.get().confirmed_at is not None
        page = read(client.get("/account/totp").content)
        assert "Đang bật" in page.texts("span")
        off = client.post("/account/totp", {"action": "disable", "code": totp.at(time.time() + 30)})
        assert off.status_code == 302
        assert not TotpDevice.objects.exists()

    def test_turning_off_needs_a_right_code(self, binh: Person) -> None:
        assert binh.account is not None
        enrolment = services.totp_enrol(actor=binh.account)
        services.totp_confirm(actor=binh.account, code=pyotp.TOTP(enrolment.secret).now())
        client = Client()
        client.force_login(binh.account)
        session = client.session
        session["identity.second_factor"] = "totp"
        session.save()

        response = client.post("/account/totp", {"action": "disable", "code": "000000"})

        assert response.status_code == 422
        assert TotpDevice.objects.filter(confirmed_at__isnull=False).count() == 1
