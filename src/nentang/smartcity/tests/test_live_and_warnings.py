"""The city page's live part (fetched again by htmx and swapped in place, no reload) and
the public warnings page (flood and air-quality alerts in force, no login, phone
first). In a real browser: a reading stored while the page is open shows up without a
reload; both pages at 390 and 1280 px, without horizontal scroll or axe-core violations.
Screenshots: test-artifacts/smartcity-live-*.png, smartcity-warnings-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.test import Client
from playwright.sync_api import expect
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

from nentang.smartcity import demo, services
from nentang.smartcity.models import Device
from nentang.smartcity.views import pages

if TYPE_CHECKING:
    from playwright.sync_api import Browser


class _Progress:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


def _load_demo() -> None:
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    demo.load(_Progress())


def _rivers_fall(level: float) -> None:
    """Every river gauge of every city reports ``level`` metres now."""
    now = datetime.now(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
    for city in ("hue", "danang", "hcm"):
        gauges = list(Device.objects.filter(tenant__name=city, kind="flood"))
        services.readings_ingest(
            caller=demo.CALLER,
            tenant=city,
            readings=[services.Reading(gauge, now, {"h": level}) for gauge in gauges],
        )


@pytest.mark.django_db
def test_the_live_part_and_the_warnings_answer_without_login(client: Client) -> None:
    _load_demo()
    live = client.get("/do-thi/hue/truc-tiep")
    assert live.status_code == 200
    body = live.content.decode()
    assert body.startswith('<div id="sc-live"')
    assert "<html" not in body
    assert "Mực nước sông vượt báo động" in body
    assert "no-cache" in live["Cache-Control"]
    assert client.get("/do-thi/atlantis/truc-tiep").status_code == 404

    warnings = client.get("/do-thi/canh-bao/")
    assert warnings.status_code == 200
    page = warnings.content.decode()
    assert "Cảnh báo ngập lụt và chất lượng không khí" in page
    assert "Mực nước sông vượt báo động" in page  # Huế's river, at alarm level 3
    assert "Bụi mịn PM2.5 vượt ngưỡng" in page  # TP HCM's fine dust
    assert "Tốc độ" not in page  # traffic alerts are for the city's staff only
    assert warnings["Cache-Control"] == "public, max-age=60"

    # The rivers fall back below every level: the flood warnings go away at once.
    _rivers_fall(0.4)
    after = client.get("/do-thi/canh-bao/").content.decode()
    assert "Mực nước sông vượt báo động" not in after
    assert "Bụi mịn PM2.5 vượt ngưỡng" in after


@pytest.mark.django_db
def test_no_city_no_warning(client: Client) -> None:
    page = client.get("/do-thi/canh-bao/").content.decode()
    assert "Hiện không có cảnh báo ngập lụt hay chất lượng không khí nào." in page


@pytest.fixture
def chromium(live_server: Any, transactional_db: None) -> Iterator[Browser]:
    _load_demo()
    with launch_chromium() as browser:
        yield browser


def test_the_city_page_refreshes_itself_and_the_warnings_page(
    chromium: Browser, live_server: Any, artifacts: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "REFRESH_SECONDS", 1)
    # The test writes a reading while Playwright's loop runs in this thread (allowed
    # while the shared browser runs: tests/support/browser.py).
    watch = Watch()
    page = open_page(chromium, PHONE, watch)
    page.goto(live_server.url + "/do-thi/hue/")
    assert "Mực nước sông vượt báo động" in text(page, ".sc-alerts")
    page.evaluate("window.notReloaded = true")
    _rivers_fall(0.4)
    expect(page.locator("#sc-live")).not_to_contain_text("Mực nước sông vượt", timeout=15_000)
    assert page.evaluate("window.notReloaded") is True
    assert "0,4 m" in text(page, ".sc-table")
    assert no_horizontal_scroll(page)
    assert axe_violations(page) == []
    screenshot(page, artifacts / "smartcity-live-hue-390.png")

    for name, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page = open_page(chromium, viewport, watch)
        page.goto(live_server.url + "/do-thi/")
        page.get_by_role("link", name="Cảnh báo ngập lụt và chất lượng không khí").click()
        page.wait_for_load_state()
        assert text(page, "h1") == "Cảnh báo ngập lụt và chất lượng không khí"
        # One list a city with warnings: TP HCM's smog always, others by the hour's readings.
        assert "Bụi mịn PM2.5 vượt ngưỡng" in text(page, "main")
        assert no_horizontal_scroll(page)
        assert axe_violations(page) == []
        screenshot(page, artifacts / f"smartcity-warnings-{name}.png")
    assert watch.console_errors == []
    assert watch.outside_requests == []


for _mark in NEEDS_CHROMIUM:
    test_the_city_page_refreshes_itself_and_the_warnings_page = _mark(
        test_the_city_page_refreshes_itself_and_the_warnings_page
    )
