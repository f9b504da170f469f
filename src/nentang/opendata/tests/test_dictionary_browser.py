"""The data dictionary in a real browser (Debian's chromium through Playwright): the
publisher dulieu.tnmt describes the columns of a table on a phone (a too-long label is
refused, field by field, in Vietnamese), then a citizen reads the dictionary on a
desktop, next to the preview. axe-core on each page; screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
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
from nentang.opendata.tests.test_publish_browser import accessible

if TYPE_CHECKING:
    from playwright.sync_api import Browser

Account = apps.get_model("identity", "Account")

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]
SECRETS: dict[str, str] = {}


@pytest.fixture
def chromium(live_server: Any) -> Iterator[Browser]:
    security_defaults_install()
    cast = support.cast()
    air = support.air_quality(cast)
    services.datastore_create(
        account=cast.publisher, resource=air.resources.get(),
        fields=[{"id": "tram", "type": "text"}, {"id": "aqi", "type": "int"},
                {"id": "ngay_do", "type": "date"}],
        records=[{"tram": f"Trạm {n}", "aqi": 40 + n, "ngay_do": "2025-03-01"}
                 for n in range(1, 8)],
    )  # fmt: skip
    SECRETS["dulieu.tnmt"] = second_factor_of(Account.objects.get(username="dulieu.tnmt"))
    with launch_chromium() as browser:
        yield browser


def test_a_publisher_describes_columns_and_a_citizen_reads_them(
    chromium: Browser, live_server: Any, artifacts: Path
) -> None:
    base = live_server.url
    page = open_page(chromium, PHONE, Watch())
    page.goto(f"{base}/dataset/chat-luong-khong-khi-hcm-2025")
    assert "Đơn vị công bố chưa mô tả các cột." in text(page, "main")
    page.goto(f"{base}/opendata/tokens")  # a publisher page: the login comes first
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill("dulieu.tnmt")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()
    pass_second_factor(page, SECRETS["dulieu.tnmt"])
    page.goto(f"{base}/dataset/chat-luong-khong-khi-hcm-2025")
    page.get_by_role("link", name="Mô tả các cột").click()
    page.wait_for_load_state()
    assert text(page, "h1") == "Mô tả các cột"
    accessible(page)
    page.locator("#notes-1").fill("Chỉ số AQI giờ theo QCVN 05:2023/BTNMT.")
    # The browser stops at maxlength; a hand-made request does not: the server checks.
    page.evaluate("document.querySelector('#label-1').removeAttribute('maxlength')")
    page.locator("#label-1").fill("x" * 201)
    page.get_by_role("button", name="Lưu mô tả").click()
    page.wait_for_load_state()
    assert "Tên cột dài tối đa 200 ký tự." in text(page, "main")
    assert page.locator("#label-1").get_attribute("aria-invalid") == "true"
    assert page.locator("#notes-1").input_value() == "Chỉ số AQI giờ theo QCVN 05:2023/BTNMT."
    accessible(page)
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / "opendata-fields-error-390.png")
    page.locator("#label-0").fill("Trạm quan trắc")
    page.locator("#label-1").fill("Chỉ số AQI")
    page.locator("#notes-2").fill("Ngày đo, giờ Việt Nam.")
    page.get_by_role("button", name="Lưu mô tả").click()
    page.wait_for_url(f"{base}/dataset/chat-luong-khong-khi-hcm-2025*")
    assert "Đã lưu mô tả các cột." in text(page, "main")
    screenshot(page, artifacts / "opendata-fields-saved-390.png")

    desktop = open_page(chromium, DESKTOP, Watch())
    desktop.goto(f"{base}/dataset/chat-luong-khong-khi-hcm-2025")
    dictionary = text(desktop, ".od-dictionary")
    assert "Chỉ số AQI giờ theo QCVN 05:2023/BTNMT." in dictionary
    assert "Số nguyên" in dictionary
    preview_headings = text(desktop, "table.table:not(.od-dictionary) thead")
    assert "Trạm quan trắc" in preview_headings
    assert desktop.get_by_role("link", name="Mô tả các cột").count() == 0  # not a publisher
    accessible(desktop)
    screenshot(desktop, artifacts / "opendata-dictionary-1280.png")
