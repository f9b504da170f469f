"""axe-core finds no serious or critical violation on the pages, at phone and desktop
sizes, in a real browser (Debian's chromium driven by Playwright). Each context adds its
pages to ``PAGES`` (anonymous) as they ship; signed-in pages are checked by the
contexts' own browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.axe import axe_violations
from tests.support.browser import DESKTOP, NEEDS_CHROMIUM, PHONE, launch_chromium

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ViewportSize

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]

PAGES = [
    "/",
    "/for-operators",
    "/about",
    "/terms",
    "/privacy",
    "/accessibility",
    "/api/v1/docs",
    "/problems/",
    "/problems/validation_failed",
    "/design-system/",
    "/login",
    "/register",
    "/developers/",
    "/services/",
    "/services/dang-ky-khai-sinh",
    "/dossiers/status",
    "/dataset",
    "/do-thi/",
    "/do-thi/phan-anh/",
    "/do-thi/canh-bao/",
]
# The API reference renders every operation of the API on one page: axe-core takes ~9 s
# of a core over it (~0.4 s over another page). Its markup is the same at both widths,
# so it is checked once, at phone width, where layout problems show.
ONCE_AT_PHONE_WIDTH = {"/api/v1/docs"}


@pytest.fixture
def browser(live_server: Any) -> Iterator[Browser]:
    with launch_chromium() as chromium:
        yield chromium


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390", "1280"])
def test_no_serious_or_critical_violation(
    browser: Browser, live_server: Any, viewport: ViewportSize
) -> None:
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    found = {}
    for path in PAGES:
        if path in ONCE_AT_PHONE_WIDTH and viewport != PHONE:
            continue
        page.goto(live_server.url + path)
        if violations := axe_violations(page):
            found[path] = violations
    context.close()

    assert found == {}
