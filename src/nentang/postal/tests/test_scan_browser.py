"""The postman's journey in a real browser (Debian's chromium through Playwright) at
phone size: log in, scan a parcel by typing its number, open the delivery page, send
the SMS code, deliver with it; the recipient's public tracking page; axe-core on each.
Screenshots go to test-artifacts/ (postal-*.png)."""

from __future__ import annotations

import datetime
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.utils import timezone
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

from nentang.postal import services
from nentang.postal.tests import support
from nentang.postal.tests.support import OPERATOR, PASSWORD, parcel

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = NEEDS_CHROMIUM

# Authenticator secrets of the postal workers, set up with the cast.
SECRETS: dict[str, str] = {}


class _Messages(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def sms() -> Iterator[_Messages]:
    """The development SMS adapter's log: where the demo reads the code."""
    handler = _Messages()
    logger = logging.getLogger("nentang.postal.sms")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)


@pytest.fixture
def s10(transactional_db: None) -> str:
    """Built before the browser starts (Django refuses database calls from the thread
    where Playwright's event loop runs)."""
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    cast = support.cast()
    SECRETS["buuta.lan"] = second_factor_of(
        support.worker(cast.hanoi_office, username="buuta.lan").account
    )
    created = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
    base = timezone.now() - datetime.timedelta(hours=5)
    services.scans_record(
        actor=OPERATOR,
        items=[
            services.ScanInput(created.s10, "EMA", base, "bc-sai-gon"),
            services.ScanInput(
                created.s10, "EDD", base + datetime.timedelta(hours=1), "ktc-tan-son-nhat"
            ),
            services.ScanInput(
                created.s10, "EMG", base + datetime.timedelta(hours=3), "bc-kim-lien"
            ),
        ],
    )
    return created.s10


@pytest.fixture
def chromium(live_server: Any, s10: str) -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


def accessible(page: Page) -> None:
    assert axe_violations(page) == []


def log_in(page: Page, base: str, login: str, next_path: str, *, ahead: int = 0) -> None:
    page.goto(f"{base}{next_path}")
    page.get_by_label("Số định danh cá nhân hoặc tên đăng nhập").fill(login)
    page.get_by_label("Mật khẩu", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Đăng nhập", exact=True).click()
    page.wait_for_load_state()
    # Staff always give their second factor (a code is accepted once: ``ahead`` steps).
    pass_second_factor(page, SECRETS[login], ahead=ahead)


def test_a_postman_scans_and_delivers_on_a_phone(
    chromium: Browser, live_server: Any, s10: str, sms: _Messages, artifacts: Path
) -> None:
    base = live_server.url
    watch = Watch()
    page = open_page(chromium, PHONE, watch)
    log_in(page, base, "buuta.lan", "/post/scan")
    assert page.url == f"{base}/post/scan"
    assert text(page, "h1") == "Quét bưu gửi"
    accessible(page)
    screenshot(page, artifacts / "postal-scan-390.png")

    page.get_by_label("Số hiệu bưu gửi").fill(s10.lower())
    page.get_by_label("Sự kiện").select_option("EDG")
    page.get_by_role("button", name="Ghi nhận").click()
    page.wait_for_load_state()
    assert s10 in text(page, ".alert")
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / "postal-scan-recorded-390.png")

    page.get_by_role("link", name=f"Giao {s10}").click()
    page.wait_for_load_state()
    assert "150.000 ₫" in text(page, "main")
    accessible(page)
    page.get_by_label("Người nhận hàng").fill("Trần Thị Bình")
    page.get_by_role("button", name="Gửi mã qua SMS").click()
    page.wait_for_load_state()
    [message] = [line for line in sms.lines if s10 in line]
    code = re.search(r": (\d{6})\.", message).group(1)  # type: ignore[union-attr]
    page.get_by_label("Người nhận hàng").fill("Trần Thị Bình")
    page.get_by_label("Mã trong tin nhắn SMS").fill(code)
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / "postal-deliver-390.png")
    page.get_by_role("button", name="Ghi nhận đã giao").click()
    page.wait_for_load_state()
    assert page.url == f"{base}/post/scan"
    assert f"{s10}" in text(page, "main")

    for name, viewport in (("390", PHONE), ("1280", DESKTOP)):
        public = open_page(chromium, viewport, watch)
        public.goto(f"{base}/tracking/{s10}")
        assert "Đã giao" in text(public, "main")
        assert "Trần Thị Bình" not in text(public, "body")
        assert no_horizontal_scroll(public)
        accessible(public)
        screenshot(public, artifacts / f"postal-tracking-{name}.png")
    assert watch.console_errors == []
    assert watch.outside_requests == []


@pytest.fixture
def shop_staff(transactional_db: None) -> str:
    """A merchant with delivered, remitted and returned parcels, and its staff account."""
    from nentang.audit.services import security_defaults_install
    from nentang.identity import services as identity

    security_defaults_install()
    cast = support.cast()
    made = [
        services.shipment_create(
            actor=OPERATOR, merchant=cast.merchant, data=parcel(client_order_code=f"BMSG-{n:04d}")
        )
        for n in range(1, 6)
    ]
    support.scan(made[0], "EMI", minutes=60, facility="bc-kim-lien")
    support.scan(made[1], "EMI", minutes=90, facility="bc-kim-lien")
    support.scan(made[2], "RTS", minutes=60, facility="bc-kim-lien", reason="refused")
    support.scan(made[3], "EDD", minutes=30, facility="ktc-tan-son-nhat")
    services.cod_remittance_run(
        actor=OPERATOR, merchant=cast.merchant, now=timezone.now() + datetime.timedelta(days=2)
    )
    staff = identity.administrator_create(
        created_by=OPERATOR, username="nv.banhmi", password=PASSWORD
    )
    services.merchant_staff_add(actor=OPERATOR, merchant=cast.merchant, account=staff)
    SECRETS["nv.banhmi"] = second_factor_of(staff)
    return "nv.banhmi"


def test_a_merchants_staff_reads_its_parcels_and_cod_on_a_phone_and_a_desktop(
    live_server: Any, shop_staff: str, artifacts: Path
) -> None:
    base = live_server.url
    watch = Watch()
    with launch_chromium() as browser:
        for step, (name, viewport) in enumerate((("390", PHONE), ("1280", DESKTOP))):
            page = open_page(browser, viewport, watch)
            log_in(page, base, shop_staff, "/post/merchant", ahead=step)
            assert page.url == f"{base}/post/merchant"
            assert text(page, "h1") == "Bưu gửi của cửa hàng"
            main = text(page, "main")
            assert "Tiền thu hộ (COD)" in main
            assert "300.000 ₫ · 2 bưu gửi" in main  # remitted
            assert "150.000 ₫ · 1 bưu gửi" in main  # voided by the return
            assert "Báo cáo đối soát thu hộ" in main
            badge = page.locator("#remittance-heading ~ * .badge").first
            assert badge.inner_text() == "Đã chuyển tiền"
            assert "BMSG-0005" in main
            assert "Trần Thị Bình" not in main
            assert no_horizontal_scroll(page)
            accessible(page)
            screenshot(page, artifacts / f"postal-merchant-{name}.png")
    assert watch.console_errors == []
    assert watch.outside_requests == []
