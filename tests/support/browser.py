"""Browser tests' shared set-up: Debian's chromium driven by Playwright.

Never downloads a browser: tests use /usr/bin/chromium (``apt-get install chromium``) and
are skipped, with that reason, when it is absent (``NEEDS_CHROMIUM``). Every page opens
in a context that records console errors, failed requests and any request for another
host than loopback: Chromium sends those to a proxy on loopback's discard port, where
nothing listens, so they fail before anything leaves (loopback itself is never proxied).
Screenshots go to ``test-artifacts/`` at the repository root (the ``artifacts`` fixture
of the root conftest), except in the gate (``screenshot``).
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page, Request, ViewportSize

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Nothing leaves the machine: every request but loopback's goes to this proxy, which
    # does not exist (port 9 is "discard"), and fails; the Watch records it. Cheaper than
    # intercepting every request in Python (~0.15 s of a core per page).
    "--proxy-server=http://127.0.0.1:9",
]
PHONE: ViewportSize = {"width": 390, "height": 844}
SMALL_PHONE: ViewportSize = {"width": 360, "height": 740}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}

# Marks for a module of browser tests: ``pytestmark = NEEDS_CHROMIUM``.
NEEDS_CHROMIUM = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
    ),
]


# One Chromium per test process (see launch_chromium).
_SHARED: dict[str, Any] = {}
ASYNC_UNSAFE = "DJANGO_ALLOW_ASYNC_UNSAFE"


@contextmanager
def launch_chromium() -> Iterator[Browser]:
    """Debian's chromium under Playwright, headless.

    One per test process, shared by the browser tests that run one after another there:
    a launch costs ~1.5 s of a core, and the root conftest hands the browser files out
    first, so a process starts Chromium about once. Each test opens its own contexts
    (cookies, storage, cache), and the ones it leaves open are closed when it ends, so
    nothing passes from one test to the next. The root conftest closes the browser
    before the first test that is not a browser test (``close_shared_chromium``).

    While Playwright runs, its event loop runs in this thread, and Django refuses
    database calls from such a thread unless ``DJANGO_ALLOW_ASYNC_UNSAFE`` is set: it is
    set from the launch to the close, so the tests' own set-up and the flush between
    them keep working (they are plain synchronous calls)."""
    browser = _SHARED.get("browser")
    if browser is None or not browser.is_connected():
        close_shared_chromium()
        sync_api = pytest.importorskip("playwright.sync_api")
        _SHARED["async_unsafe"] = os.environ.get(ASYNC_UNSAFE)
        os.environ[ASYNC_UNSAFE] = "true"
        playwright = sync_api.sync_playwright().start()
        _SHARED["playwright"] = playwright
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        _SHARED["browser"] = browser
    try:
        yield browser
    finally:
        for context in browser.contexts:
            context.close()


def close_shared_chromium() -> None:
    """Close the process's Chromium and Playwright, if they run (root conftest)."""
    browser = _SHARED.pop("browser", None)
    playwright = _SHARED.pop("playwright", None)
    if browser is None and playwright is None:
        return
    try:
        if browser is not None and browser.is_connected():
            browser.close()
    finally:
        if playwright is not None:
            playwright.stop()
        previous = _SHARED.pop("async_unsafe", None)
        if previous is None:
            os.environ.pop(ASYNC_UNSAFE, None)
        else:
            os.environ[ASYNC_UNSAFE] = previous
        # Connections opened while Playwright's loop ran: closed, so the next test (or
        # the test database's removal at the end, on PostgreSQL) starts from fresh ones.
        from django.db import connections

        connections.close_all()


def screenshot(target: Page | Locator, path: Path, *, full_page: bool = True) -> None:
    """Save what a person should look at after UI work (the whole page, or one element).

    Not under NENTANG_TEST_SCREENSHOTS=0, which the gate sets: no one looks at a CI
    machine's files, and a full-page screenshot costs Chromium ~1.5 s of a core (the
    suite takes about a hundred). Everything else the test does — the page, its
    assertions, axe-core — runs the same."""
    if os.environ.get("NENTANG_TEST_SCREENSHOTS") == "0":
        return
    if full_page:
        target.screenshot(path=path, full_page=True)  # type: ignore[call-arg]  # a Page's option
    else:
        target.screenshot(path=path)


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
        page.on("requestfailed", self._failed)
        page.on("response", lambda r: self.responses.__setitem__(urlsplit(r.url).path, r.status))

    def _failed(self, request: Request) -> None:
        # A request for another host failed at the absent proxy (CHROMIUM_ARGS).
        if urlsplit(request.url).scheme in {"http", "https", "ws", "wss"} and not is_loopback(
            request.url
        ):
            self.outside_requests.append(request.url)
        else:
            self.failed.append(f"{request.url} {request.failure}")


def open_page(browser: Browser, viewport: ViewportSize, watch: Watch) -> Page:
    # A phone set to English, as many in Vietnam are: pages must still open in Vietnamese.
    context = browser.new_context(viewport=viewport, locale="en-US")
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
