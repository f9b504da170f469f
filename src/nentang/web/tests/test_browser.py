"""The web shell in a real browser: Debian's chromium driven by Playwright.

Set-up shared with every browser test: tests/support/browser.py. Screenshots go to
``test-artifacts/`` at the repository root (ignored by git).
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
    SMALL_PHONE,
    Watch,
    launch_chromium,
    no_horizontal_scroll,
    open_page,
    screenshot,
    text,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser

# The live server's thread reads the installation's identity for every page.
pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def browser(live_server: Any) -> Iterator[Browser]:
    # Function-scoped, and set up after live_server: Playwright's event loop is closed
    # before pytest-django flushes the database, which Django refuses to do from a
    # thread with a running loop.
    with launch_chromium() as chromium:
        yield chromium


def test_home_on_a_phone_switches_language(
    browser: Browser, live_server: Any, artifacts: Path
) -> None:
    watch = Watch()
    page = open_page(browser, PHONE, watch)

    page.goto(live_server.url + "/")

    assert page.locator("html").get_attribute("lang") == "vi"
    assert text(page, "h1") == (
        "Dịch vụ công, thanh toán và bưu chính trực tuyến với tài khoản định danh điện tử"
    )
    # The stylesheet and the font really load: the header is our blue, the text our font.
    assert watch.responses["/static/web/css/nentang.css"] == 200
    header_colour = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
    )
    assert header_colour == "rgb(10, 75, 140)"
    page.evaluate("document.fonts.ready.then(() => true)")
    loaded_fonts = page.evaluate(
        "[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)"
    )
    assert any("Be Vietnam Pro" in family for family in loaded_fonts)
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / "home-vi-390.png")

    # The first Tab reaches the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert text(page, "h1") == "Public services, payments and post, online with your e-ID"
    assert page.get_by_role("button", name="Tiếng Việt").is_visible()
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / "home-en-390.png")

    page.get_by_role("button", name="Tiếng Việt").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "vi"
    assert watch.console_errors == []
    assert watch.outside_requests == []
    assert watch.failed == []

    # The guard every browser test relies on: a request for another host (here from a
    # page without our Content-Security-Policy) fails on loopback and is recorded.
    page.goto("about:blank")
    with page.expect_event("requestfailed") as failed:
        page.set_content('<img src="http://203.0.113.7/pixel.png" alt="">')
    assert failed.value.failure == "net::ERR_PROXY_CONNECTION_FAILED"  # never sent out
    assert watch.outside_requests == ["http://203.0.113.7/pixel.png"]


def test_pages_fit_a_small_phone_and_a_desktop(
    browser: Browser, live_server: Any, artifacts: Path
) -> None:
    watch = Watch()
    for name, viewport in (("360", SMALL_PHONE), ("1280", DESKTOP)):
        page = open_page(browser, viewport, watch)
        for path in ("/", "/problems/", "/design-system/", "/for-operators", "/privacy"):
            page.goto(live_server.url + path)

            assert no_horizontal_scroll(page), (path, name)
        page.goto(live_server.url + "/")
        screenshot(page, artifacts / f"home-vi-{name}.png")
        page.context.close()

    assert watch.console_errors == []
    assert watch.outside_requests == []


def test_htmx_form_shows_errors_in_place(
    browser: Browser, live_server: Any, artifacts: Path
) -> None:
    watch = Watch()
    page = open_page(browser, PHONE, watch)
    page.goto(live_server.url + "/design-system/")
    page.evaluate("window.__notReloaded = true")

    page.get_by_role("button", name="Tra cứu hồ sơ").click()
    summary = page.locator(".error-summary")
    summary.wait_for()

    # htmx swapped the form in place (no navigation) and moved focus to the summary.
    assert page.evaluate("window.__notReloaded") is True
    page.wait_for_function("document.activeElement.classList.contains('error-summary')")
    assert summary.get_by_role("link").count() == 4
    summary.get_by_role("link", name="Hãy nhập số điện thoại di động của bạn.").click()
    assert page.evaluate("document.activeElement.id") == "id_phone"
    screenshot(
        page.locator("#example-form"), artifacts / "design-system-errors-390.png", full_page=False
    )

    assert watch.console_errors == []
    assert watch.outside_requests == []
