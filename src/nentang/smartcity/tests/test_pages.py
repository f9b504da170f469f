"""The city operations centre pages and the demo: the demo loads three cities
idempotently (through the services); the IOC page shows every sensor, its latest
reading and the alerts of the threshold rules, in Vietnamese; in a real browser at
390 px and 1280 px it has no horizontal scroll and no serious axe-core violation.
Screenshots: test-artifacts/smartcity-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
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

from nentang.smartcity import demo
from nentang.smartcity.models import Device, Entity, Observation

if TYPE_CHECKING:
    from playwright.sync_api import Browser


class _Progress:
    def start(self, description: str, total: int) -> None:
        self.total = total

    def advance(self, steps: int = 1) -> None:
        pass


def _load_demo() -> None:
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    demo.load(_Progress())


@pytest.mark.django_db
def test_the_demo_loads_three_cities_once(client: Any) -> None:
    _load_demo()
    counts = (Device.objects.count(), Entity.objects.count(), Observation.objects.count())
    assert counts[0] == 3 * demo.DEVICES_PER_CITY
    assert counts[1] == counts[0]
    _load_demo()
    assert (Device.objects.count(), Entity.objects.count(), Observation.objects.count()) == counts

    listing = client.get("/do-thi/")
    page = listing.content.decode()
    assert "Trung tâm điều hành" in page
    for title in ("Thành phố Huế", "Thành phố Đà Nẵng", "Thành phố Hồ Chí Minh"):
        assert title in page

    hue = client.get("/do-thi/hue/").content.decode()
    assert "Mực nước sông vượt báo động" in hue  # the Hương river above alarm level 3
    assert "Báo động" in hue
    assert hue.count('class="sc-dot') == demo.DEVICES_PER_CITY
    hcm = client.get("/do-thi/hcm/").content.decode()
    assert "Bụi mịn PM2.5 vượt ngưỡng" in hcm
    assert client.get("/do-thi/atlantis/").status_code == 404


@pytest.fixture
def demo_city(transactional_db: None) -> None:
    _load_demo()


@pytest.fixture
def chromium(live_server: Any, demo_city: None) -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


def test_the_operations_centre_in_a_browser(
    chromium: Browser, live_server: Any, artifacts: Path
) -> None:
    watch = Watch()
    for name, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page = open_page(chromium, viewport, watch)
        page.goto(live_server.url + "/do-thi/")
        page.get_by_role("link", name="Thành phố Huế").click()
        page.wait_for_load_state()
        assert text(page, "h1") == "Thành phố Huế"
        assert "Mực nước sông vượt báo động" in text(page, ".sc-alerts")
        assert page.locator("svg.sc-map circle").count() == demo.DEVICES_PER_CITY
        assert no_horizontal_scroll(page)
        assert axe_violations(page) == []
        screenshot(page, artifacts / f"smartcity-ioc-hue-{name}.png")
        # A sensor's chart: the river at its alarm level, drawn and tabled.
        page.locator(".sc-alerts a").first.click()
        page.wait_for_load_state()
        assert page.locator("svg.sc-chart path.sc-chart__line").count() == 1
        assert page.locator("svg.sc-chart circle").count() == demo.STEPS
        page.get_by_text("Bảng số liệu").click()
        assert page.locator(".sc-readings tbody tr").count() == demo.STEPS
        assert no_horizontal_scroll(page)
        assert axe_violations(page) == []
        screenshot(page, artifacts / f"smartcity-sensor-hue-{name}.png")
    assert watch.console_errors == []
    assert watch.outside_requests == []


for _mark in NEEDS_CHROMIUM:
    test_the_operations_centre_in_a_browser = _mark(test_the_operations_centre_in_a_browser)
