"""The e-ID pages in a real browser: Debian's chromium driven by Playwright, against
the live server. Register → log in → account on a phone; passkeys with Chromium's
virtual authenticator (CDP WebAuthn domain); an authenticator-app login with a real
code; the officer's counter. Screenshots go to ``test-artifacts/`` (390 and 1280 px).
"""

from __future__ import annotations

import re
import struct
import time
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyotp
import pytest
from django.db import connections
from tests.support.axe import axe_violations
from tests.support.browser import (
    DESKTOP,
    NEEDS_CHROMIUM,
    PHONE,
    Watch,
    launch_chromium,
    no_horizontal_scroll,
    open_page,
    screenshot,
    text,
)
from tests.support.staff import pass_second_factor, second_factor_of

from nentang.identity import services
from nentang.identity.models import Account, Passkey, Person
from nentang.identity.services.sms import FileSmsSender
from nentang.identity.tests import support
from nentang.identity.tests.support import administrative_units

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def site(live_server: Any, settings: Any, transactional_db: None) -> str:
    """The live server, named ``localhost``: a WebAuthn RP ID must be a domain name,
    and localhost is a secure context over plain http."""
    administrative_units()  # an earlier transactional test's flush may have emptied them
    settings.BASE_URL = live_server.url
    return str(live_server.url)


@pytest.fixture
def browser(site: str) -> Iterator[Browser]:
    # Playwright's sync API runs an event loop in this thread; the test's own reads and
    # writes (through the services) are still plain synchronous calls, which the shared
    # browser allows while it runs (tests/support/browser.py).
    with launch_chromium() as chromium:
        yield chromium
    # Connections opened while Playwright's loop ran live in its context: close them
    # here, or the test database cannot be dropped at the end (PostgreSQL).
    connections.close_all()


def script_errors(watch: Watch) -> list[str]:
    """Console errors other than Chromium's note on a 4xx page (a refused form answers
    400 or 422 on purpose)."""
    return [
        message
        for message in watch.console_errors
        if "the server responded with a status of 4" not in message
    ]


# The elements that stick out on the right: what a horizontal-scroll failure names.
WIDE = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1)
  .slice(0, 8)
  .map(e => `${e.tagName}.${e.className} ${Math.round(e.getBoundingClientRect().right)}`)"""


def shoot(page: Page, artifacts: Path, name: str) -> None:
    assert no_horizontal_scroll(page), (name, page.evaluate(WIDE))
    screenshot(page, artifacts / f"{name}.png")


def log_in(page: Page, site: str, login: str, password: str) -> None:
    page.goto(site + "/login")
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(login)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()


def test_register_then_log_in_then_account_on_a_phone(
    browser: Browser, site: str, artifacts: Path, outbox: FileSmsSender
) -> None:
    watch = Watch()
    page = open_page(browser, PHONE, watch)
    page.goto(site + "/")
    page.get_by_role("link", name="Tạo tài khoản định danh điện tử").first.click()
    page.wait_for_load_state()
    assert text(page, "h1") == "Đăng ký định danh điện tử trực tuyến"
    shoot(page, artifacts, "identity-register-390")

    # An empty submit: the summary takes the focus and links each field.
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    page.wait_for_load_state()
    page.wait_for_function("document.activeElement.classList.contains('error-summary')")
    summary = page.locator(".error-summary")
    summary.get_by_role("link", name="Hãy nhập số định danh cá nhân gồm 12 chữ số của bạn.").click()
    assert page.evaluate("document.activeElement.id") == "id_id_number"
    shoot(page, artifacts, "identity-register-errors-390")

    page.get_by_label("Số định danh cá nhân").fill(support.BINH_ID)
    page.get_by_label("Họ và tên").fill("Trần Thị Bình")
    page.get_by_label("Ngày sinh").fill("1995-08-20")
    page.get_by_label("Nữ").check()
    page.get_by_label("Số điện thoại di động").fill("0987 654 321")
    page.get_by_label("Tỉnh, thành phố").select_option("01")
    # htmx loads the wards of Hà Nội into the next field.
    page.wait_for_selector('#id_commune_code option[value="00070"]', state="attached")
    page.get_by_label("Phường, xã").select_option("00070")
    page.get_by_label("Số nhà, đường phố").fill("25 Hàng Bài")
    portrait: FilePayload = {"name": "binh.png", "mimeType": "image/png", "buffer": support.PNG}
    page.get_by_label("Ảnh chân dung").set_input_files(files=[portrait])
    page.get_by_label("Mật khẩu", exact=True).fill(support.PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(support.PASSWORD)
    page.get_by_role("button", name="Đăng ký", exact=True).click()
    # The phone is confirmed by the code of the SMS before the account exists.
    page.wait_for_url("**/register/confirm")
    assert text(page, "h1") == "Xác nhận số điện thoại"
    shoot(page, artifacts, "identity-register-confirm-390")
    assert axe_violations(page) == []
    sms = outbox.messages("+84987654321")[-1]
    code = next(w for w in re.split(r"\W+", sms) if len(w) == 6 and w.isdigit())
    page.get_by_label("Mã 6 chữ số trong tin nhắn SMS").fill(code)
    page.get_by_role("button", name="Xác nhận và tạo định danh điện tử").click()
    page.wait_for_url("**/register/done")
    assert text(page, "h1") == "Định danh điện tử của bạn đã được đăng ký"
    shoot(page, artifacts, "identity-register-done-390")

    page.get_by_role("link", name="Đăng nhập ngay").click()
    page.wait_for_url("**/login")
    shoot(page, artifacts, "identity-login-390")
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(support.BINH_ID)
    page.get_by_label("Mật khẩu", exact=True).fill(support.PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_url("**/account/")

    assert text(page, "h1") == "Trần Thị Bình"
    assert "Mức độ 1" in text(page, ".badge")
    assert page.get_by_role("link", name="Tài khoản").get_attribute("aria-current") == "page"
    shoot(page, artifacts, "identity-account-390")
    for path, name in (
        ("/account/sessions", "sessions"),
        ("/account/data-usage", "data-usage"),
        ("/account/consents", "consents"),
        ("/account/totp", "totp"),
    ):
        page.goto(site + path)
        shoot(page, artifacts, f"identity-{name}-390")
    page.get_by_role("button", name="Cài đặt ứng dụng xác thực").click()
    page.wait_for_load_state()
    assert page.locator("svg.qr").is_visible()
    shoot(page, artifacts, "identity-totp-setup-390")

    page.get_by_role("button", name="Đăng xuất").first.click()
    page.wait_for_url(site + "/")
    assert "Bạn đã đăng xuất." in page.content()
    assert script_errors(watch) == []
    assert watch.outside_requests == []


def add_virtual_authenticator(page: Page) -> Any:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    created = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, created["authenticatorId"]


def test_passkey_added_then_used_to_log_in_without_a_password(
    browser: Browser, site: str, artifacts: Path
) -> None:
    binh = services.person_register(**support.binh_form())
    watch = Watch()
    page = open_page(browser, PHONE, watch)
    cdp, authenticator = add_virtual_authenticator(page)
    log_in(page, site, support.BINH_ID, support.PASSWORD)

    page.goto(site + "/account/passkeys")
    page.get_by_label("Tên khóa truy cập").fill("Điện thoại Android")
    page.get_by_role("button", name="Thêm khóa truy cập").click()
    page.wait_for_selector(".alert--success")

    assert "Đã thêm khóa truy cập “Điện thoại Android”" in text(page, ".alert--success")
    credentials = cdp.send("WebAuthn.getCredentials", {"authenticatorId": authenticator})
    assert len(credentials["credentials"]) == 1
    assert credentials["credentials"][0]["isResidentCredential"] is True
    passkey = Passkey.objects.get(account=binh.account)
    assert passkey.name == "Điện thoại Android"
    shoot(page, artifacts, "identity-passkeys-390")

    page.get_by_role("button", name="Đăng xuất").first.click()
    page.wait_for_url(site + "/")
    page.goto(site + "/login?next=/account/sessions")
    page.get_by_role("button", name="Đăng nhập bằng khóa truy cập").click()
    page.wait_for_url(site + "/account/sessions")

    assert text(page, "h1") == "Nơi bạn đang đăng nhập"
    assert "khóa truy cập" in page.locator("tbody tr").first.inner_text()
    passkey.refresh_from_db()
    assert passkey.last_used_at is not None
    assert passkey.sign_count >= 1
    assert script_errors(watch) == []
    assert watch.outside_requests == []


def test_a_cancelled_passkey_says_so(browser: Browser, site: str, artifacts: Path) -> None:
    services.person_register(**support.binh_form())
    watch = Watch()
    page = open_page(browser, PHONE, watch)
    cdp, authenticator = add_virtual_authenticator(page)
    # The device has no passkey for this site: the browser gives up, the page explains.
    cdp.send(
        "WebAuthn.setAutomaticPresenceSimulation",
        {"authenticatorId": authenticator, "enabled": True},
    )
    page.goto(site + "/login")
    page.evaluate("window.__stay = true")
    page.get_by_role("button", name="Đăng nhập bằng khóa truy cập").click()
    error = page.locator("[data-passkey-error]")
    error.wait_for(state="visible", timeout=90_000)

    assert page.evaluate("window.__stay") is True
    assert page.evaluate("document.activeElement.hasAttribute('data-passkey-error')")
    shoot(page, artifacts, "identity-login-passkey-error-390")
    assert watch.outside_requests == []


def test_authenticator_app_login_with_a_real_code(
    browser: Browser, site: str, artifacts: Path
) -> None:
    binh = services.person_register(**support.binh_form())
    assert binh.account is not None
    enrolment = services.totp_enrol(actor=binh.account)
    totp = pyotp.TOTP(enrolment.secret)
    services.totp_confirm(actor=binh.account, code=totp.now())
    watch = Watch()
    page = open_page(browser, PHONE, watch)

    log_in(page, site, support.BINH_ID, support.PASSWORD)
    page.wait_for_url("**/login/second-factor")
    assert text(page, "h1") == "Xác nhận đúng là bạn"
    shoot(page, artifacts, "identity-second-factor-390")
    page.get_by_label("Mã 6 chữ số trong ứng dụng xác thực").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_url("**/account/")

    assert text(page, "h1") == "Trần Thị Bình"
    assert script_errors(watch) == []


def portrait_png(width: int = 90, height: int = 120) -> bytes:
    """A real PNG (a grey face-sized rectangle) that a browser decodes."""
    raw = b"".join(b"\x00" + b"\x9a\x9a\x9a" * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_the_officers_counter(browser: Browser, site: str, artifacts: Path) -> None:
    admin = support.administrator()
    support.agency(admin)
    secret = second_factor_of(support.officer(admin))
    an = services.person_register(**support.an_form(portrait=portrait_png()))
    services.person_register(**support.binh_form())
    watch = Watch()
    for ahead, (width, viewport) in enumerate((("390", PHONE), ("1280", DESKTOP))):
        page = open_page(browser, viewport, watch)
        log_in(page, site, "canbo.saigon", support.OFFICER_PASSWORD)
        page.wait_for_url("**/login/second-factor")  # staff always give their second factor
        pass_second_factor(page, secret, ahead=ahead)
        page.get_by_role("link", name="Cán bộ", exact=True).click()
        page.wait_for_url("**/officer/people")
        assert axe_violations(page) == []
        shoot(page, artifacts, f"identity-officer-find-{width}")
        if width == "390":  # a person without their card: by name and date of birth
            page.get_by_label("Họ và tên").fill("nguyen van an")
            page.locator("#id_byname-date_of_birth").fill("1990-05-15")
            page.locator("#id_byname-purpose").fill("Xác thực mức độ 2 tại bộ phận một cửa")
            page.get_by_role("button", name="Tìm theo họ tên").click()
        else:
            page.get_by_role("textbox", name="Số định danh cá nhân").fill(support.AN_ID)
            page.locator("#id_purpose").fill("Xác thực mức độ 2 tại bộ phận một cửa")
            page.get_by_role("button", name="Tra cứu", exact=True).click()
        page.wait_for_url(f"**/officer/people/{an.pk}")
        assert text(page, "h1") == "Nguyễn Văn An"
        portrait = page.get_by_role("img", name="Ảnh chân dung của Nguyễn Văn An khi đăng ký")
        assert portrait.evaluate("img => img.complete && img.naturalWidth") == 90
        if width == "390":
            # htmx: a verify without the fingerprint check shows the error in place.
            page.get_by_role("button", name="Xác thực lên mức độ 2").click()
            page.wait_for_selector("#verify-form .error-summary")
            page.wait_for_function("document.activeElement.classList.contains('error-summary')")
        assert axe_violations(page) == []
        shoot(page, artifacts, f"identity-officer-card-{width}")
        if width == "1280":
            page.get_by_label("Số giấy tờ").fill(support.AN_ID)
            page.get_by_label("Tôi đã đối chiếu vân tay").check()
            page.get_by_role("button", name="Xác thực lên mức độ 2").click()
            page.wait_for_selector(".alert--success")
            assert "đã ở mức độ 2" in text(page, ".alert--success")
            assert text(page, "h1") == "Nguyễn Văn An"  # still on the person's card
            assert page.url.endswith(f"/officer/people/{an.pk}")
            # Lock, with a reason from the list and a confirmation.
            page.get_by_label("Vi phạm điều khoản sử dụng").check()
            page.get_by_role("button", name="Khóa định danh điện tử").click()
            page.wait_for_selector("#lock-form .error-summary")
            page.get_by_label("Tôi xác nhận: khóa định danh điện tử này ngay").check()
            page.get_by_role("button", name="Khóa định danh điện tử").click()
            page.wait_for_selector(".alert--success >> text=Đã khóa định danh điện tử")
            assert page.get_by_role("heading", name="Mở khóa định danh điện tử").is_visible()
            shoot(page, artifacts, "identity-officer-locked-1280")
            assert axe_violations(page) == []
        page.context.close()
    an.refresh_from_db()
    assert an.level == 2
    assert Person.objects.get(pk=an.pk).data_usage.count() == 2  # one per look-up

    page = open_page(browser, PHONE, watch)
    log_in(page, site, support.AN_ID, support.PASSWORD)
    page.wait_for_selector(".error-summary")
    assert "đã bị UBND phường Sài Gòn khóa" in text(page, ".error-summary")
    assert support.SAI_GON_DESK in text(page, ".error-summary")
    shoot(page, artifacts, "identity-login-locked-by-agency-390")
    page.context.close()
    assert an.account is not None
    services.account_unlock(
        actor=Account.objects.get(username="canbo.saigon"),
        account_id=an.account.pk,
        note="Công dân đến trực tiếp",
    )

    page = open_page(browser, DESKTOP, watch)
    log_in(page, site, support.AN_ID, support.PASSWORD)
    for path, name in (("/account/", "account"), ("/account/data-usage", "data-usage")):
        page.goto(site + path)
        shoot(page, artifacts, f"identity-{name}-1280")
    assert "Cán bộ UBND phường Sài Gòn" in page.content()
    page.goto(site + "/register")
    shoot(page, artifacts, "identity-register-1280")
    assert script_errors(watch) == []
    assert watch.outside_requests == []
