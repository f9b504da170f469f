"""axe-core finds no serious or critical violation on the pages, at phone and desktop
sizes, in a real browser (Debian's chromium driven by Playwright). Each context adds its
pages to ``PAGES`` (anonymous) as they ship; signed-in pages are checked by the
contexts' own browser tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.support.axe import axe_violations

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not CHROMIUM.exists(), reason="needs Debian's chromium (apt-get install chromium)"
    ),
]

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
]


@pytest.fixture
def browser(live_server: Any) -> Iterator[Browser]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 900)])
def test_no_serious_or_critical_violation(
    browser: Browser, live_server: Any, width: int, height: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    found = {}
    for path in PAGES:
        page.goto(live_server.url + path)
        if violations := axe_violations(page):
            found[path] = violations
    context.close()

    assert found == {}
