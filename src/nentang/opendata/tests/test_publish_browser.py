"""The publisher's journey in a real browser (Debian's chromium through Playwright):
dulieu.tnmt logs in on a phone, creates a dataset, uploads a CSV written in TCVN3 and
sees it previewed in Unicode, sorted by a column; a citizen finds it on a desktop by
typing without diacritics. axe-core on each page; screenshots in test-artifacts/."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
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
from tests.support.staff import pass_second_factor, second_factor_of

from nentang.audit.services import security_defaults_install
from nentang.opendata import encodings
from nentang.opendata.tests import support
from nentang.opendata.tests.support import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

Account = apps.get_model("identity", "Account")

pytestmark = [*NEEDS_CHROMIUM, pytest.mark.django_db(transaction=True)]
ROWS = "Trạm quan trắc;Chỉ số AQI;Ngày đo\n" + "".join(
    f"Trạm số {n} — Thủ Đức;{40 + n * 3};{n % 28 + 1:02d}/03/2025\n".replace("—", "-")
    for n in range(1, 46)
)


@pytest.fixture
def chromium(live_server: Any) -> Iterator[Browser]:
    security_defaults_install()
    support.cast()
    # Before the browser starts (Playwright's loop makes the ORM refuse to run after).
    SECRETS["dulieu.tnmt"] = second_factor_of(Account.objects.get(username="dulieu.tnmt"))
    with launch_chromium() as browser:
        yield browser


SECRETS: dict[str, str] = {}


def accessible(page: Page) -> None:
    assert axe_violations(page) == []


def test_a_publisher_uploads_tcvn3_and_a_citizen_finds_it(
    chromium: Browser, live_server: Any, artifacts: Path, tmp_path: Path
) -> None:
    base = live_server.url
    page = open_page(chromium, PHONE, Watch())
    page.goto(f"{base}/dataset/new")
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill("dulieu.tnmt")
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()
    pass_second_factor(page, SECRETS["dulieu.tnmt"])  # staff give their second factor (issue 8)
    assert text(page, "h1") == "Bộ dữ liệu mới"
    assert "Địa chỉ web (tên)" in text(page, "form.form")
    accessible(page)
    page.locator("#id_title").fill("Chỉ số chất lượng không khí tháng 3/2025")
    page.locator("#id_name").fill("aqi-thang-3-2025")
    page.locator("#id_notes").fill("Chỉ số AQI trung bình ngày tại các trạm quan trắc.")
    page.locator("#id_tags").fill("không khí, AQI")
    page.locator("#id_frequency").select_option("monthly")
    page.locator("#id_spatial").fill("79")
    screenshot(page, artifacts / "opendata-new-390.png")
    page.get_by_role("button", name="Công bố").click()
    page.wait_for_load_state()
    assert text(page, "h1") == "Thêm tệp"
    legacy = tmp_path / "aqi-tcvn3.csv"
    legacy.write_bytes(encodings.encode_tcvn3(ROWS))
    page.locator("#id_name").fill("AQI theo ngày (tệp TCVN3)")
    page.locator("#id_upload").set_input_files(str(legacy))
    accessible(page)
    page.get_by_role("button", name="Tải lên và nạp").click()
    page.wait_for_url(f"{base}/dataset/aqi-thang-3-2025*")
    page.wait_for_load_state()
    preview = text(page, "table")
    assert "Trạm số 1 - Thủ Đức" in preview
    assert "Chỉ số AQI" in preview
    assert "Đã nạp" in text(page, "main")
    assert no_horizontal_scroll(page)
    accessible(page)
    screenshot(page, artifacts / "opendata-preview-390.png")
    page.get_by_role("link", name="Chỉ số AQI").click()
    page.wait_for_load_state()
    page.get_by_role("link", name="Chỉ số AQI").click()  # descending
    page.wait_for_load_state()
    assert page.locator("tbody tr td").nth(1).inner_text() == "175"
    page.get_by_role("link", name="Các hàng tiếp").click()
    page.wait_for_load_state()
    assert "Hàng 21–40 trên tổng số 45" in text(page, "main")

    desktop = open_page(chromium, DESKTOP, Watch())
    desktop.goto(f"{base}/dataset?q=chat+luong+khong+khi")
    assert "Chỉ số chất lượng không khí tháng 3/2025" in text(desktop, "main")
    accessible(desktop)
    screenshot(desktop, artifacts / "opendata-search-1280.png")
    desktop.get_by_role("link", name="Chỉ số chất lượng không khí tháng 3/2025").click()
    desktop.wait_for_load_state()
    accessible(desktop)
    screenshot(desktop, artifacts / "opendata-dataset-1280.png")
