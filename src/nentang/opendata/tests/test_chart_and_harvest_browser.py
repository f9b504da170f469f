"""The preview's bar chart and the harvest pages in a real browser (Debian's chromium
through Playwright), at 1280 and 390 px: a citizen charts two numeric columns of a
table; the publisher dulieu.tnmt reads the last harvest of a source that failed, with
its error. axe-core finds nothing on any of them; screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
from tests.support.axe import EVERY_IMPACT, axe_violations
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

from nentang.audit.services import security_defaults_install
from nentang.opendata import services
from nentang.opendata.tests import support
from nentang.opendata.tests.support import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

Account = apps.get_model("identity", "Account")

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]
SECRETS: dict[str, str] = {}
DATASET = "/dataset/chat-luong-khong-khi-hcm-2025"
STATIONS = ("Quận 1 — Thống Nhất", "Thủ Đức — Linh Trung", "Bình Chánh", "Cần Giờ", "Củ Chi")


@pytest.fixture
def chromium(live_server: Any, settings: Any) -> Iterator[Browser]:
    import ipaddress

    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    security_defaults_install()
    cast = support.cast()
    air = support.air_quality(cast)
    services.datastore_create(
        account=cast.publisher, resource=air.resources.get(),
        fields=[{"id": "tram", "type": "text"}, {"id": "aqi", "type": "int"},
                {"id": "nhiet_do", "type": "numeric"}],
        records=[{"tram": name, "aqi": 40 + 23 * n, "nhiet_do": f"{n * 1.5 - 2:.1f}"}
                 for n, name in enumerate(STATIONS)],
    )  # fmt: skip
    # A source on a closed loopback port: its harvest fails, with the reason.
    source = services.harvest_source_create(
        account=cast.publisher, name="cong-du-lieu-xa", title="Cổng dữ liệu cấp xã",
        url="http://127.0.0.1:8159/api/3/action", kind="ckan",
        organisation_name="so-tnmt-hcm", frequency="daily",
    )  # fmt: skip
    services.harvest_run(source_id=str(source.public_id))
    SECRETS["dulieu.tnmt"] = second_factor_of(Account.objects.get(username="dulieu.tnmt"))
    with launch_chromium() as browser:
        yield browser


def axe_clean(page: Page) -> None:
    assert axe_violations(page, EVERY_IMPACT) == []


def _log_in(page: Page, base: str) -> None:
    page.goto(f"{base}/opendata/harvest")  # a publisher page: the login comes first
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill("dulieu.tnmt")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()
    pass_second_factor(page, SECRETS["dulieu.tnmt"])
    page.goto(f"{base}/opendata/harvest")


@pytest.mark.parametrize(("viewport", "width"), [(DESKTOP, 1280), (PHONE, 390)])
def test_a_citizen_charts_the_numeric_columns_of_a_preview(
    chromium: Browser, live_server: Any, artifacts: Path, viewport: Any, width: int
) -> None:
    page = open_page(chromium, viewport, Watch())
    page.goto(f"{live_server.url}{DATASET}")
    chart = page.get_by_role("img", name="Biểu đồ thanh của aqi")
    assert chart.count() == 1
    assert page.locator(".od-chart__bar").count() == 5
    labels = page.locator(".od-chart__label").all_text_contents()
    assert labels == list(STATIONS)
    assert page.locator(".od-chart__value").all_text_contents()[:2] == ["40", "63"]
    axe_clean(page)
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / f"opendata-chart-{width}.png")

    page.get_by_role("link", name="nhiet_do").last.click()
    page.wait_for_load_state()
    assert page.get_by_role("img", name="Biểu đồ thanh của nhiet_do").count() == 1
    # -2,0 is left of the zero line, 4,0 right of it (Vietnamese decimal comma).
    assert page.locator(".od-chart__value").all_text_contents() == [
        "-2,0", "-0,5", "1,0", "2,5", "4,0"
    ]  # fmt: skip
    axe_clean(page)


@pytest.mark.parametrize(("viewport", "width"), [(DESKTOP, 1280), (PHONE, 390)])
def test_a_publisher_reads_the_last_harvest_and_its_error(
    chromium: Browser, live_server: Any, artifacts: Path, viewport: Any, width: int
) -> None:
    page = open_page(chromium, viewport, Watch())
    _log_in(page, live_server.url)
    assert text(page, "h1") == "Nguồn thu thập"
    listing = text(page, "main")
    assert "Cổng dữ liệu cấp xã" in listing
    assert "Thất bại" in listing
    assert "1 lỗi trong lần thu thập gần nhất:" in listing
    axe_clean(page)
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / f"opendata-harvest-sources-{width}.png")
    page.get_by_role("link", name="Cổng dữ liệu cấp xã").click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Thu thập ngay").click()
    page.wait_for_load_state()
    assert "Đã xếp hàng thu thập" in text(page, "main")
    axe_clean(page)
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / f"opendata-harvest-source-{width}.png")
