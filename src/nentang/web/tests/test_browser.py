"""The web shell in a real browser: Debian's chromium driven by Playwright.

Never downloads a browser: the test uses /usr/bin/chromium (``apt-get install chromium``)
and is skipped, with that reason, when it is absent. Screenshots go to
``test-artifacts/`` at the repository root (ignored by git).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, Route, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

pytestmark = [
    pytest.mark.browser,
    # The live server's thread reads the installation's identity for every page.
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@dataclass
class Watch:
    """What a page did that it should not: console errors, outside requests, failures."""

    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    responses: dict[str, int] = field(default_factory=dict)

    def attach(self, page: Page) -> None:
        page.on(
            "console",
            lambda m: self.console_errors.append(m.text) if m.type == "error" else None,
        )
        page.on("pageerror", lambda error: self.console_errors.append(str(error)))
        page.on("requestfailed", lambda r: self.failed.append(f"{r.url} {r.failure}"))
        page.on("response", lambda r: self.responses.__setitem__(urlsplit(r.url).path, r.status))

    def route(self, route: Route) -> None:
        # Anything not on loopback is recorded and refused, so it cannot even leak.
        if is_loopback(route.request.url):
            route.continue_()
        else:
            self.outside_requests.append(route.request.url)
            route.abort()


@pytest.fixture
def browser(live_server: Any) -> Iterator[Browser]:
    # Function-scoped, and set up after live_server: Playwright's event loop is closed
    # before pytest-django flushes the database, which Django refuses to do from a
    # thread with a running loop.
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    directory = request.config.rootpath / "test-artifacts"
    directory.mkdir(exist_ok=True)
    return directory


def open_page(browser: Browser, viewport: ViewportSize, watch: Watch) -> Page:
    # A phone set to English, as many in Vietnam are: pages must still open in Vietnamese.
    context = browser.new_context(viewport=viewport, locale="en-US")
    context.route("**/*", watch.route)
    page = context.new_page()
    watch.attach(page)
    return page


def text(page: Page, selector: str) -> str:
    return " ".join(page.locator(selector).inner_text().split())


def no_horizontal_scroll(page: Page) -> bool:
    result: Any = page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )
    return bool(result)


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
    page.screenshot(path=artifacts / "home-vi-390.png", full_page=True)

    # The first Tab reaches the skip link.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"

    page.get_by_role("button", name="English").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert text(page, "h1") == "Public services, payments and post, online with your e-ID"
    assert page.get_by_role("button", name="Tiếng Việt").is_visible()
    assert no_horizontal_scroll(page)
    page.screenshot(path=artifacts / "home-en-390.png", full_page=True)

    page.get_by_role("button", name="Tiếng Việt").click()
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "vi"
    assert watch.console_errors == []
    assert watch.outside_requests == []
    assert watch.failed == []


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
        page.screenshot(path=artifacts / f"home-vi-{name}.png", full_page=True)
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
    page.locator("#example-form").screenshot(path=artifacts / "design-system-errors-390.png")

    assert watch.console_errors == []
    assert watch.outside_requests == []
