"""The SOC in a real browser (Debian's chromium through Playwright), on a live server.

An attacker's browser guesses the administrator's password at the e-ID login eight
times and then gets it right — and meets the second factor; the security operator logs
in through the same page (password and authenticator code), finds both alerts on
/soc/ and acknowledges one, on a phone (390 px) and a desktop (1280 px).
Screenshots go to test-artifacts/ (soc-*.png).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
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

from nentang.audit.tests.security_support import (
    ADMIN_PASSWORD,
    OPERATOR_PASSWORD,
    make_user,
    seed,
    soc_operator,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = NEEDS_CHROMIUM

BRUTE_FORCE = "Dò mật khẩu: đăng nhập sai nhiều lần từ một địa chỉ"
COMPROMISE = "Đăng nhập sai nhiều lần rồi thành công từ cùng địa chỉ"


@pytest.fixture
def cast(transactional_db: None) -> str:
    """Set up before the browser starts: Django refuses database calls from a thread
    where Playwright's event loop runs, so the test itself only looks through pages.
    Returns the operator's authenticator secret."""
    seed()
    second_factor_of(make_user("quantri.cuong", superuser=True, password=ADMIN_PASSWORD))
    return second_factor_of(soc_operator())


@pytest.fixture
def chromium(live_server: Any, cast: str) -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


def log_in(page: Page, base: str, username: str, password: str, next_path: str = "") -> None:
    page.goto(f"{base}/login" + (f"?next={next_path}" if next_path else ""))
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu", exact=True).fill(password)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()


def test_the_soc_shows_a_replayed_attack_and_the_operator_handles_it(
    chromium: Browser, live_server: Any, artifacts: Path, cast: str
) -> None:
    base = live_server.url
    watch = Watch()

    attacker = open_page(chromium, DESKTOP, watch)
    for number in range(8):
        log_in(attacker, base, "quantri.cuong", f"đoán-sai-{number}")
    log_in(attacker, base, "quantri.cuong", ADMIN_PASSWORD)
    # The guess worked, but the password alone opens nothing: the second factor waits.
    assert attacker.url == f"{base}/login/second-factor"
    attacker.goto(f"{base}/admin/")
    assert attacker.url.startswith(f"{base}/login?next=")
    attacker.context.close()

    # The operator logs in once (password, then the code: each code counts once) and
    # the session serves both screen sizes.
    session: list[Any] = []
    for name, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page = open_page(chromium, viewport, watch)
        if not session:
            page.goto(f"{base}/soc/")
            assert "/login?next=" in page.url  # not logged in yet: sent to the login
            log_in(page, base, "soc.binh", OPERATOR_PASSWORD, next_path="/soc/")
            assert page.url == f"{base}/login/second-factor"
            pass_second_factor(page, cast)
            session = page.context.cookies()
        else:
            page.context.add_cookies(session)
            page.goto(f"{base}/soc/")

        assert page.url == f"{base}/soc/"
        assert text(page, "h1") == "Cảnh báo an ninh"
        assert page.get_by_role("link", name=BRUTE_FORCE).is_visible()
        assert page.get_by_role("link", name=COMPROMISE).is_visible()
        assert no_horizontal_scroll(page)
        screenshot(page, artifacts / f"soc-alerts-{name}.png")

        for path, shot in (
            ("/soc/events/", "events"),
            ("/soc/audit-log/", "audit-log"),
            ("/soc/systems/", "systems"),
            ("/soc/systems/new", "system-new"),
        ):
            page.goto(base + path)
            assert no_horizontal_scroll(page), (path, name)
            screenshot(page, artifacts / f"soc-{shot}-{name}.png")
        page.context.close()

    page = open_page(chromium, PHONE, watch)
    page.context.add_cookies(session)
    page.goto(f"{base}/soc/")
    page.get_by_role("link", name=COMPROMISE).click()
    page.wait_for_load_state()
    assert text(page, "h1") == COMPROMISE
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / "soc-alert-390.png")

    # htmx: an empty reason shows the error summary in place, without a page load.
    page.evaluate("window.__notReloaded = true")
    page.get_by_role("button", name="Tiếp nhận cảnh báo").click()
    summary = page.locator("#alert-actions .error-summary")
    summary.wait_for()
    assert page.evaluate("window.__notReloaded") is True
    assert "Hãy nhập lý do của bước này." in summary.inner_text()
    screenshot(
        page.locator("#alert-actions"), artifacts / "soc-alert-errors-390.png", full_page=False
    )

    page.fill("#id_acknowledge-reason", "Đang xác minh với quản trị viên; tạm khóa tài khoản.")
    page.get_by_role("button", name="Tiếp nhận cảnh báo").click()
    page.locator(".timeline").get_by_text("Đang xác minh với quản trị viên").wait_for()
    assert page.evaluate("window.__notReloaded") is None  # HX-Redirect loaded the page again
    assert "Đã tiếp nhận" in text(page, "main")
    assert "Đang xác minh với quản trị viên" in text(page, ".timeline")
    assert "Đã tiếp nhận cảnh báo." in text(page, "main")  # the message after the redirect
    page.evaluate("document.fonts.ready.then(() => true)")
    screenshot(page, artifacts / "soc-alert-acknowledged-390.png")
    detail_url = page.url

    desktop = open_page(chromium, DESKTOP, watch)
    desktop.context.add_cookies(session)
    desktop.goto(detail_url)
    assert text(desktop, "h1") == COMPROMISE
    assert no_horizontal_scroll(desktop)
    screenshot(desktop, artifacts / "soc-alert-1280.png")

    # Chromium notes each refused login (401) in the console: that is the page's answer.
    assert [m for m in watch.console_errors if "status of 401" not in m] == []
    assert watch.outside_requests == []
