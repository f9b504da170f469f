"""Issue 9's citizen and officer journeys in a real browser (Debian's chromium through
Playwright) at 390 and 1280 px, with screenshots in ``test-artifacts/`` and axe-core
on every changed page: online recovery of a forgotten password; backup codes."""

from __future__ import annotations

import re
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

from nentang.identity import services
from nentang.identity.models import Account
from nentang.identity.services import backup
from nentang.identity.services.sms import FileSmsSender
from nentang.identity.tests import support
from nentang.identity.tests.support import administrative_units
from nentang.kernel.auditing import Actor

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]

NEW_PASSWORD = "hoa-sữa-mùa-thu-Hà-Nội-2027"


@pytest.fixture
def site(live_server: Any, settings: Any, transactional_db: None) -> str:
    administrative_units()
    settings.BASE_URL = live_server.url
    return str(live_server.url)


@pytest.fixture
def browser(site: str) -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium
    connections.close_all()


def shoot(page: Page, artifacts: Path, name: str) -> None:
    assert no_horizontal_scroll(page), name
    screenshot(page, artifacts / f"{name}.png")
    assert axe_violations(page) == [], name


def log_in(page: Page, site: str, login: str, *, go: bool = True) -> None:
    if go:
        page.goto(site + "/login")
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(login)
    page.get_by_label("Mật khẩu", exact=True).fill(support.PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()


@pytest.mark.parametrize(("viewport", "width"), [(PHONE, 390), (DESKTOP, 1280)])
def test_binh_recovers_her_password_online(
    browser: Browser,
    site: str,
    artifacts: Path,
    outbox: FileSmsSender,
    viewport: Any,
    width: int,
) -> None:
    services.person_register(**support.binh_form())
    watch = Watch()
    page = open_page(browser, viewport, watch)
    page.goto(site + "/login")
    page.get_by_role("link", name="Khôi phục tài khoản trực tuyến").click()
    page.wait_for_url("**/recover")
    assert text(page, "h1") == "Quên mật khẩu?"
    shoot(page, artifacts, f"identity-recover-{width}")

    page.get_by_role("button", name="Gửi mã cho tôi").click()  # empty: every field says so
    page.wait_for_load_state()
    assert page.locator(".error-summary li").count() == 3
    shoot(page, artifacts, f"identity-recover-errors-{width}")

    page.get_by_label("Số định danh cá nhân").fill(support.BINH_ID)
    page.get_by_label("Ngày sinh").fill("1995-08-20")
    page.get_by_label("Số điện thoại di động của tài khoản định danh").fill("0987 654 321")
    page.get_by_role("button", name="Gửi mã cho tôi").click()
    page.wait_for_url("**/recover/code")
    assert text(page, "h1") == "Chọn mật khẩu mới"
    shoot(page, artifacts, f"identity-recover-code-{width}")
    sms = outbox.messages("+84987654321")[-1]
    code = re.findall(r"\b\d{6}\b", sms)[0]
    page.get_by_label("Mã 6 chữ số trong tin nhắn SMS").fill(code)
    page.get_by_label("Mật khẩu mới").fill(NEW_PASSWORD)
    page.get_by_label("Nhập lại mật khẩu").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Đặt mật khẩu mới").click()
    page.wait_for_url("**/login")
    assert "Mật khẩu đã được đổi" in page.content()
    shoot(page, artifacts, f"identity-recover-done-{width}")
    assert Account.objects.get(username=support.BINH_ID).check_password(NEW_PASSWORD)
    assert [path for path, status in watch.responses.items() if status >= 500] == []
    assert watch.outside_requests == []


@pytest.mark.parametrize(("viewport", "width"), [(PHONE, 390), (DESKTOP, 1280)])
def test_binh_logs_in_with_a_backup_code_and_makes_new_ones(
    browser: Browser, site: str, artifacts: Path, viewport: Any, width: int
) -> None:
    person = services.person_register(**support.binh_form())
    assert person.account is not None
    account = Account.objects.get(pk=person.account.pk)
    enrolment = services.totp_enrol(actor=account)
    services.totp_confirm(actor=account, code=pyotp.TOTP(enrolment.secret).now())
    codes = backup.backup_codes_make(actor=account)
    watch = Watch()
    page = open_page(browser, viewport, watch)
    log_in(page, site, support.BINH_ID)
    page.wait_for_url("**/login/second-factor")
    shoot(page, artifacts, f"identity-second-factor-backup-{width}")

    page.get_by_role("textbox", name="Mã dự phòng").fill(codes[3])
    page.get_by_role("button", name="Tiếp tục bằng mã dự phòng").click()
    page.wait_for_url("**/account/")
    page.goto(site + "/account/backup-codes")
    assert text(page, "h1") == "Mã dự phòng"
    assert "Còn 9 mã chưa dùng." in page.content()
    page.get_by_role("button", name="Tạo bộ mã dự phòng mới").click()
    page.wait_for_load_state()
    assert page.locator("ol code").count() == 10
    shoot(page, artifacts, f"identity-backup-codes-{width}")
    assert [path for path, status in watch.responses.items() if status >= 500] == []


@pytest.mark.parametrize(("viewport", "width"), [(DESKTOP, 1280), (PHONE, 390)])
def test_an_logs_in_on_a_computer_by_approving_on_his_phone(
    browser: Browser, site: str, artifacts: Path, viewport: Any, width: int
) -> None:
    """The screen that wants to log in (at ``width``) shows a QR code; An's phone (390
    px, already logged in) opens the code's link, checks the browser, approves; the
    waiting screen (htmx polling) lands on An's account."""
    services.person_register(**support.an_form())
    watch = Watch()
    phone = open_page(browser, PHONE, watch)
    log_in(phone, site, support.AN_ID)
    phone.wait_for_url("**/account/")

    screen = open_page(browser, viewport, watch)
    screen.goto(site + "/login")
    screen.get_by_role("button", name="Hiện mã QR").click()
    code = screen.get_by_role("img", name="Mã QR để đăng nhập bằng điện thoại")
    code.wait_for()
    assert code.evaluate("svg => svg.getBoundingClientRect().width") >= 150
    shoot(screen, artifacts, f"identity-login-qr-{width}")
    link = screen.locator("details a").get_attribute("href")
    assert link is not None
    assert link.startswith(site + "/login/qr/approve?c=")

    phone.goto(link)
    assert text(phone, "h1") == "Đăng nhập trên thiết bị khác?"
    assert "Địa chỉ mạng" in phone.content()
    shoot(phone, artifacts, f"identity-login-qr-approve-390-for-{width}")
    phone.get_by_role("button", name="Cho phép đăng nhập").click()
    phone.wait_for_load_state()
    assert text(phone, "h1") == "Đã cho phép đăng nhập"
    shoot(phone, artifacts, f"identity-login-qr-approved-390-for-{width}")

    screen.wait_for_url("**/account/", timeout=15_000)  # the poll, every 2 s
    assert text(screen, "h1") == "Nguyễn Văn An"
    assert [path for path, status in watch.responses.items() if status >= 500] == []
    assert watch.outside_requests == []


@pytest.mark.parametrize(("viewport", "width"), [(PHONE, 390), (DESKTOP, 1280)])
def test_the_demo_service_says_what_happened_after_do_not_share(
    browser: Browser, site: str, artifacts: Path, viewport: Any, width: int
) -> None:
    """The demo relying party: "Không chia sẻ" on the consent page comes back as a
    Vietnamese sentence with a retry, never as the protocol's English; a stale answer
    likewise; agreeing shows the claims."""
    from nentang.identity.oidc.demo import PORTAL_ID
    from nentang.identity.oidc.services import client_register

    client_register(
        actor=Actor.system("tests"),
        client_id=PORTAL_ID,
        name="Cổng dịch vụ công (demo)",
        redirect_uris=[f"{site}/demo/callback"],
        post_logout_redirect_uris=[f"{site}/demo/"],
        public=True,
        purpose="Đăng nhập để nộp hồ sơ dịch vụ công trực tuyến",
        scopes=["openid", "profile", "address", "vn_id"],
    )
    services.person_register(**support.an_form())
    watch = Watch()
    page = open_page(browser, viewport, watch)
    page.goto(site + "/demo/")
    page.get_by_role("button", name="Đăng nhập bằng định danh điện tử").click()
    page.wait_for_url("**/login?**")
    log_in(page, site, support.AN_ID, go=False)
    page.get_by_role("button", name="Không chia sẻ").click()
    page.wait_for_url("**/demo/callback?**")
    page.wait_for_selector("#demo-problem:not([hidden])")
    shown = text(page, "#demo-problem")
    assert "Bạn đã chọn không chia sẻ thông tin" in shown
    assert "access_denied" not in page.inner_text("main")
    assert not page.locator("#demo-received").is_visible()  # no empty headings
    shoot(page, artifacts, f"identity-demo-rp-refused-{width}")

    page.get_by_role("link", name="Thử lại").click()
    page.wait_for_url("**/demo/")
    page.get_by_role("button", name="Đăng nhập bằng định danh điện tử").click()
    page.get_by_role("button", name="Đồng ý và tiếp tục").click()
    page.wait_for_url("**/demo/callback?**")
    page.wait_for_selector("#demo-received:not([hidden])")
    assert "Nguyễn Văn An" in text(page, "#demo-userinfo")
    shoot(page, artifacts, f"identity-demo-rp-received-{width}")

    page.goto(site + "/demo/callback?code=cu&state=cu")  # an answer nobody asked for
    page.wait_for_selector("#demo-problem:not([hidden])")
    assert "không thuộc về lượt đăng nhập" in text(page, "#demo-problem")
    assert watch.outside_requests == []


@pytest.mark.parametrize(("viewport", "width"), [(PHONE, 390), (DESKTOP, 1280)])
def test_binh_changes_her_phone_from_her_account(
    browser: Browser,
    site: str,
    artifacts: Path,
    outbox: FileSmsSender,
    viewport: Any,
    width: int,
) -> None:
    services.person_register(**support.binh_form())
    watch = Watch()
    page = open_page(browser, viewport, watch)
    log_in(page, site, support.BINH_ID)
    page.wait_for_url("**/account/")
    shoot(page, artifacts, f"identity-account-contacts-{width}")
    page.get_by_role("link", name="Đổi số điện thoại di động").click()
    page.wait_for_url("**/account/phone")
    assert text(page, "h1") == "Đổi số điện thoại di động"
    shoot(page, artifacts, f"identity-phone-change-{width}")

    page.get_by_role("button", name="Gửi mã xác nhận").click()  # empty: both fields say so
    page.wait_for_load_state()
    assert page.locator(".error-summary li").count() == 2
    shoot(page, artifacts, f"identity-phone-change-errors-{width}")

    page.get_by_label("Số điện thoại di động mới").fill("0912 345 678")
    page.get_by_label("Mật khẩu hiện tại").fill(support.PASSWORD)
    page.get_by_role("button", name="Gửi mã xác nhận").click()
    page.wait_for_url("**/account/contact/confirm")
    assert text(page, "h1") == "Xác nhận thông tin liên lạc mới"
    code = re.findall(r"\b\d{6}\b", outbox.messages("+84912345678")[-1])[0]
    page.get_by_label("Mã 6 chữ số").fill(f"{(int(code) + 1) % 10**6:06d}")
    page.get_by_role("button", name="Xác nhận thay đổi").click()
    page.wait_for_load_state()
    assert page.locator(".error-summary li").count() == 1
    shoot(page, artifacts, f"identity-contact-confirm-wrong-{width}")
    page.get_by_label("Mã 6 chữ số").fill(code)
    page.get_by_role("button", name="Xác nhận thay đổi").click()
    page.wait_for_url("**/account/")
    assert "0912 345 678" in page.content()
    shoot(page, artifacts, f"identity-contact-changed-{width}")
    assert "+849******78" in outbox.messages("+84987654321")[-1]
    assert [path for path, status in watch.responses.items() if status >= 500] == []
    assert watch.outside_requests == []
