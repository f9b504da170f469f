"""The login of the platform: password, second factor, redirects, logout."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pyotp
import pytest
from django.conf import settings
from django.test import Client
from tests.support.html import assert_well_formed, read

from nentang.identity import services
from nentang.identity.models import Account, AccountSession, Person
from nentang.identity.oidc.services import client_register
from nentang.identity.tests import support
from nentang.kernel.auditing import Actor


def log_in(client: Client, login: str, password: str, next_url: str = "") -> Any:
    data = {"login": login, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post("/login", data, REMOTE_ADDR=support.HOME)


def error_text(response: Any) -> str:
    html = response.content.decode()
    start = html.index('class="error-summary"')
    return " ".join(read(html[start : html.index("</ul>", start)]).texts("li"))


def with_totp(account: Account) -> pyotp.TOTP:
    """Set up an authenticator app for ``account``; the returned TOTP gives its codes."""
    enrolment = services.totp_enrol(actor=account)
    totp = pyotp.TOTP(enrolment.secret)
    services.totp_confirm(actor=account, code=totp.now())
    return totp


def next_code(totp: pyotp.TOTP) -> str:
    """A code of the next time step (the current one was used to confirm)."""
    return totp.at(time.time() + 30)


class TestLoginPage:
    @pytest.mark.parametrize("language", ["vi", "en"])
    def test_the_page_keeps_the_promises(self, client: Client, language: str) -> None:
        client.cookies["nentang_language"] = language

        response = client.get("/login")

        assert response.status_code == 200
        page = read(response.content)
        assert_well_formed(page)
        assert page.texts("h1") == [
            "Đăng nhập bằng định danh điện tử" if language == "vi" else "Log in with your e-ID"
        ]
        scripts = [s.attrs["src"] for s in page.all("script")]
        assert "/static/identity/passkeys.js" in scripts
        assert {c.attrs["name"] for c in page.controls()} == {"login", "password"}

    def test_it_is_the_login_url_of_the_platform(self, client: Client) -> None:
        response = client.get("/account/")

        assert response.status_code == 302
        assert response["Location"] == "/login?next=%2Faccount%2F"

    def test_the_openid_provider_sends_people_here_and_back(
        self, client: Client, binh: Person
    ) -> None:
        """ "Log in with e-ID" from a service: the authorization endpoint sends the
        person to this page, which returns there after the login; its CSP lets that
        return continue to the service's registered origin."""
        client_register(
            actor=Actor.system("tests"),
            name="Cổng dịch vụ công",
            redirect_uris=["http://127.0.0.1:9/callback"],
            public=True,
            client_id="cong-dvc",
            purpose="Nộp hồ sơ trực tuyến",
        )
        query = urlencode(
            {
                "client_id": "cong-dvc",
                "redirect_uri": "http://127.0.0.1:9/callback",
                "response_type": "code",
                "scope": "openid",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
                "state": "s1",
            }
        )

        response = client.get(f"/oidc/authorize?{query}")

        assert response.status_code == 302
        login_url = response["Location"]
        assert login_url.startswith("/login?next=%2Foidc%2Fauthorize%3F")
        page = client.get(login_url)
        assert "form-action 'self' http://127.0.0.1:9" in page["Content-Security-Policy"]
        next_url = parse_qs(urlsplit(login_url).query)["next"][0]
        response = log_in(client, support.BINH_ID, support.PASSWORD, next_url=next_url)
        assert response["Location"] == next_url
        consent = client.get(next_url)
        assert consent.status_code == 200
        assert 'name="decision"' in consent.content.decode()

    def test_the_services_ui_locales_choose_the_language_unless_the_person_did(
        self, client: Client, binh: Person
    ) -> None:
        client_register(
            actor=Actor.system("tests"),
            name="Cổng dịch vụ công",
            redirect_uris=["http://127.0.0.1:9/callback"],
            public=True,
            client_id="cong-dvc",
            purpose="Nộp hồ sơ trực tuyến",
        )
        query = urlencode(
            {
                "client_id": "cong-dvc",
                "redirect_uri": "http://127.0.0.1:9/callback",
                "response_type": "code",
                "scope": "openid",
                "code_challenge": "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                "code_challenge_method": "S256",
                "ui_locales": "fr-CA en-GB vi",
            }
        )
        login_url = client.get(f"/oidc/authorize?{query}")["Location"]

        english = client.get(login_url)

        assert english["Content-Language"] == "en"
        assert '<html lang="en"' in english.content.decode()
        assert "Log in with your e-ID" in english.content.decode()

        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "vi"
        chosen = client.get(login_url)

        assert '<html lang="vi"' in chosen.content.decode()

    def test_an_unknown_client_is_an_error_page_not_a_login(self, client: Client) -> None:
        response = client.get(
            "/oidc/authorize",
            {"client_id": "any", "redirect_uri": "http://127.0.0.1:9/cb", "response_type": "code"},
        )

        assert response.status_code == 400


class TestPasswordLogin:
    def test_a_citizen_logs_in_and_lands_on_next(self, client: Client, binh: Person) -> None:
        response = log_in(client, support.BINH_ID, support.PASSWORD, next_url="/account/sessions")

        assert response.status_code == 302
        assert response["Location"] == "/account/sessions"
        session = AccountSession.objects.get(account=binh.account)
        assert session.ended_at is None
        assert session.ip_address == support.HOME
        assert client.session["nentang_auth_time"] <= time.time()

    def test_without_next_the_account_page(self, client: Client, binh: Person) -> None:
        response = log_in(client, support.BINH_ID, support.PASSWORD)

        assert response["Location"] == "/account/"

    @pytest.mark.parametrize(
        "next_url",
        [
            "https://evil.example/phish",
            "//evil.example/phish",
            "http:\\\\evil.example",
            "\\\\evil.example",
            "javascript:alert(1)",
            "/logout",
        ],
    )
    def test_next_never_leaves_the_site(self, client: Client, binh: Person, next_url: str) -> None:
        page = read(client.get("/login", {"next": next_url}).content)
        # The language switch keeps the whole URL; the login form and the QR code's form
        # keep only a safe next.
        values = [i.attrs["value"] for i in page.all("input") if i.attrs.get("name") == "next"]
        assert values[1:] == ["/account/", "/account/"]

        response = log_in(client, support.BINH_ID, support.PASSWORD, next_url=next_url)

        assert response["Location"] == "/account/"

    def test_a_wrong_password_says_so_and_logs_nobody_in(
        self, client: Client, binh: Person
    ) -> None:
        response = log_in(client, support.BINH_ID, "not-the-password-2026")

        assert response.status_code == 401
        assert "Số định danh (hoặc tên đăng nhập) hoặc mật khẩu không đúng" in error_text(response)
        assert "_auth_user_id" not in client.session
        assert AccountSession.objects.count() == 0

    def test_empty_fields_are_named(self, client: Client) -> None:
        response = client.post("/login", {})

        assert response.status_code == 400
        links = [a.attrs["href"] for a in read(response.content).all("a")]
        assert "#id_login" in links
        assert "#id_password" in links

    def test_after_ten_mistakes_the_login_waits_minutes(self, client: Client, binh: Person) -> None:
        for _attempt in range(10):
            log_in(client, support.BINH_ID, "wrong-password-2026")

        response = log_in(client, support.BINH_ID, support.PASSWORD)

        assert response.status_code == 429
        text = error_text(response)
        assert "Sai mật khẩu quá nhiều lần" in text
        assert "Hãy thử lại sau 15 phút." in text
        assert "_auth_user_id" not in client.session

    def test_a_locked_e_id_is_told_apart_once_the_password_is_right(
        self, client: Client, binh: Person
    ) -> None:
        assert binh.account is not None
        services.account_lock(
            actor=binh.account, account_id=binh.account.pk, reason="holder_request"
        )

        response = log_in(client, support.BINH_ID, support.PASSWORD)

        assert response.status_code == 403
        assert "đang bị khóa và không thể đăng nhập" in error_text(response)
        assert "_auth_user_id" not in client.session

    def test_the_form_needs_its_csrf_token(self, binh: Person) -> None:
        client = Client(enforce_csrf_checks=True)

        response = log_in(client, support.BINH_ID, support.PASSWORD)

        assert response.status_code == 403
        assert "_auth_user_id" not in client.session


class TestSecondFactor:
    def test_password_then_code(self, client: Client, binh: Person) -> None:
        assert binh.account is not None
        totp = with_totp(binh.account)

        response = log_in(client, support.BINH_ID, support.PASSWORD, next_url="/account/sessions")

        assert response["Location"] == "/login/second-factor"
        assert "_auth_user_id" not in client.session  # not logged in before the code
        assert client.get("/account/").status_code == 302
        page = read(client.get("/login/second-factor").content)
        assert page.texts("h1") == ["Xác nhận đúng là bạn"]
        assert_well_formed(page)

        response = client.post("/login/second-factor", {"code": next_code(totp)})

        assert response.status_code == 302
        assert response["Location"] == "/account/sessions"
        session = AccountSession.objects.get(account=binh.account, ended_at__isnull=True)
        assert session.second_factor == "totp"

    def test_a_wrong_code_is_a_field_error_and_counts(self, client: Client, binh: Person) -> None:
        assert binh.account is not None
        with_totp(binh.account)
        log_in(client, support.BINH_ID, support.PASSWORD)

        response = client.post("/login/second-factor", {"code": "000000"})

        assert response.status_code == 422
        page = read(response.content)
        assert "#id_code" in page.hrefs()
        assert "_auth_user_id" not in client.session
        assert support.throttle(support.BINH_ID).factor_failures == 1

    def test_the_second_step_expires(self, client: Client, binh: Person) -> None:
        assert binh.account is not None
        totp = with_totp(binh.account)
        log_in(client, support.BINH_ID, support.PASSWORD)
        session = client.session
        session["identity.login.pending"]["at"] -= 301
        session.save()

        response = client.post("/login/second-factor", {"code": next_code(totp)})

        assert response.status_code == 302
        assert response["Location"] == "/login"
        assert "_auth_user_id" not in client.session

    def test_without_a_pending_login_the_page_sends_to_login(self, client: Client) -> None:
        response = client.get("/login/second-factor")

        assert response["Location"] == "/login"

    def test_security_pages_ask_a_logged_in_session_to_step_up(
        self, client: Client, binh: Person
    ) -> None:
        """A session opened elsewhere (the admin's login has no second step) must present
        the second factor before changing sign-in methods."""
        assert binh.account is not None
        totp = with_totp(binh.account)
        client.force_login(binh.account)

        response = client.get("/account/passkeys")

        assert response.status_code == 302
        assert response["Location"] == "/login/second-factor?next=%2Faccount%2Fpasskeys"
        page = read(client.get(response["Location"]).content)
        assert "Thao tác cần bảo vệ" in page.texts("span")
        response = client.post(
            "/login/second-factor?next=%2Faccount%2Fpasskeys", {"code": next_code(totp)}
        )
        assert response["Location"] == "/account/passkeys"
        assert client.get("/account/passkeys").status_code == 200


class TestLogout:
    def test_a_link_only_asks(self, client: Client, binh: Person) -> None:
        assert binh.account is not None
        client.force_login(binh.account)

        response = client.get("/logout")

        assert response.status_code == 200
        assert read(response.content).texts("h1") == ["Đăng xuất?"]
        assert "_auth_user_id" in client.session

    def test_post_logs_out_and_ends_the_tracked_session(self, client: Client, binh: Person) -> None:
        log_in(client, support.BINH_ID, support.PASSWORD)

        response = client.post("/logout")

        assert response.status_code == 302
        assert response["Location"] == "/"
        assert "_auth_user_id" not in client.session
        assert AccountSession.objects.get(account=binh.account).ended_at is not None
        home = client.get("/").content.decode()
        assert "Bạn đã đăng xuất." in home
