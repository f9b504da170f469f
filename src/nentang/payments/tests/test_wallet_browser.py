"""The citizen's wallet journey in a real browser (Debian's chromium through Playwright)
at phone size (390 px) and on a desktop (1280 px): the wallet with its balance and limit
bars, send money to a phone number (masked name, confirm; a double click pays once), pay
a merchant by pasting a VietQR code, then by a photo of it; axe-core on every page.
Screenshots go to test-artifacts/ (payments-*.png)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
from django.conf import settings
from django.test import Client
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

from nentang.payments import selectors, services
from nentang.payments.services import VietQR, vietqr_png
from nentang.payments.tests.support import OPERATOR, as_person, person

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = NEEDS_CHROMIUM

STATE: dict[str, Any] = {}


@pytest.fixture
def cast(transactional_db: None) -> dict[str, Any]:
    """Built before the browser starts (Django refuses database calls from the thread
    where Playwright's event loop runs): An with a funded wallet, Bình, a shop, and a
    session of An's for the browser."""
    an = person("Nguyễn Văn An", phone="+84903123456")
    account = apps.get_model("identity", "Account").objects.create_user(an.id_number, None)
    an.account = account
    an.save(update_fields=["account"])
    wallet = services.wallet_open(actor=as_person(an), person_id=an.id)
    agent = services.agent_open(actor=OPERATOR, code="co-ba", name="Cô Ba", float_amount=10**9)
    services.cash_in(actor=OPERATOR, agent=agent, wallet=wallet, amount=2_000_000,
                     idempotency_key="top-up")  # fmt: skip
    binh = person("Trần Thị Bình", phone="+84912000111")
    payee = services.wallet_open(actor=as_person(binh), person_id=binh.id)
    shop = services.merchant_account_open(actor=OPERATOR, code="banh-mi-co", name="Bánh mì Cô")
    services.merchant_pay(actor=as_person(an), payer=wallet, merchant=shop, amount=35_000,
                          idempotency_key="bm-1", reference="BM-1")  # fmt: skip
    qr = services.vietqr_payload(
        VietQR(
            bank_bin=selectors.platform_bin(),
            service="QRPUSH",
            amount=45_000,
            account=selectors.merchant_qr_account(account=shop),
            merchant_name="BANH MI CO",
            city="HA NOI",
            reference="HD42",
        )
    )
    client = Client()
    client.force_login(account)
    sessions = {}
    for name, level, phone in (("Lê Văn Cường", 2, "+84913000222"), ("Phạm Thị Dung", 1, "")):
        other = person(name, level=level, phone=phone)
        login = apps.get_model("identity", "Account").objects.create_user(other.id_number, None)
        other.account = login
        other.save(update_fields=["account"])
        visitor = Client()
        visitor.force_login(login)
        sessions[level] = visitor.cookies[settings.SESSION_COOKIE_NAME].value
    return {
        "level2_session": sessions[2],
        "level1_session": sessions[1],
        "session": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "wallet": wallet,
        "payee": payee,
        "shop": shop,
        "qr": qr,
    }


@pytest.fixture
def chromium(live_server: Any, cast: dict[str, Any]) -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


def signed_in(browser: Browser, base: str, session: str, viewport: Any, watch: Watch) -> Page:
    page = open_page(browser, viewport, watch)
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": base}]
    )
    return page


def check(page: Page, artifacts: Path, name: str) -> None:
    assert axe_violations(page) == []
    assert no_horizontal_scroll(page)
    screenshot(page, artifacts / f"payments-{name}.png")


def test_a_citizen_sends_money_and_pays_by_vietqr_on_a_phone(
    chromium: Browser, live_server: Any, cast: dict[str, Any], artifacts: Path
) -> None:
    base = live_server.url
    watch = Watch()
    page = signed_in(chromium, base, cast["session"], PHONE, watch)
    page.goto(f"{base}/wallet/")
    assert text(page, "h1") == "Ví của tôi"
    assert "1.965.000 ₫" in text(page, ".wallet-balance")
    assert page.locator("progress").count() >= 1
    assert "Bánh mì Cô" in text(page, "main")
    check(page, artifacts, "wallet-390")

    page.get_by_role("link", name="Chuyển tiền").first.click()
    page.wait_for_load_state()
    page.get_by_role("button", name="Tiếp tục").click()  # empty: errors on the fields
    page.wait_for_load_state()
    assert page.locator(".field--error").count() >= 2
    check(page, artifacts, "send-errors-390")
    page.get_by_label("Số điện thoại người nhận").fill("0912 000 111")
    page.get_by_label("Số tiền (₫)").fill("5000000")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    assert "Số dư trong ví không đủ" in text(page, "main")
    page.get_by_label("Số tiền (₫)").fill("120000")
    page.get_by_label("Lời nhắn (không bắt buộc)").fill("tiền ăn")
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    assert text(page, "h1") == "Kiểm tra và chuyển tiền"
    assert "Trần T. B." in text(page, "main")
    check(page, artifacts, "send-review-390")
    page.get_by_role("button", name="Xác nhận chuyển tiền").dblclick()
    # The second click's submission aborts the first's navigation (ERR_ABORTED), which
    # wait_for_url reports as a failure: poll the address instead.
    from playwright.sync_api import expect

    expect(page).to_have_url(f"{base}/wallet/")
    page.wait_for_load_state()
    expect(page.locator(".wallet-balance")).to_contain_text("1.845.000 ₫")
    check(page, artifacts, "wallet-after-send-390")

    page.get_by_role("link", name="Thanh toán bằng VietQR").first.click()
    page.wait_for_load_state()
    page.get_by_label("Hoặc dán nội dung của mã").fill(cast["qr"][:-1] + "X")  # damaged
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    assert page.locator(".field--error").count() == 1
    check(page, artifacts, "qr-error-390")
    # A photo of the code, as a phone's camera gives it to the file input.
    page.get_by_label("Hoặc dán nội dung của mã").fill("")
    page.get_by_label("Ảnh chụp hoặc hình ảnh của mã").set_input_files(
        files={"name": "qr.png", "mimeType": "image/png", "buffer": vietqr_png(cast["qr"])}
    )
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()
    assert text(page, "h1") == "Kiểm tra và thanh toán"
    assert "Bánh mì Cô" in text(page, "main")
    assert "45.000 ₫" in text(page, "main")
    check(page, artifacts, "qr-review-390")
    page.get_by_role("button", name="Xác nhận thanh toán").click()
    page.wait_for_url(f"{base}/wallet/")
    assert "1.800.000 ₫" in text(page, ".wallet-balance")
    # Form errors answer 400 (the browser logs that); nothing else may fail.
    assert [e for e in watch.console_errors if "status of 400" not in e] == []
    assert watch.outside_requests == []

    desktop = signed_in(chromium, base, cast["session"], DESKTOP, Watch())
    desktop.goto(f"{base}/wallet/")
    check(desktop, artifacts, "wallet-1280")
    STATE["done"] = True


def test_no_wallet_yet_explains_and_opens_one(
    chromium: Browser, live_server: Any, cast: dict[str, Any], artifacts: Path
) -> None:
    base = live_server.url
    page = signed_in(chromium, base, cast["level1_session"], PHONE, Watch())
    page.goto(f"{base}/wallet/")
    assert text(page, "h1") == "Bạn chưa có ví"
    assert "mức độ 1" in text(page, "main")
    assert page.get_by_role("button", name="Mở ví của tôi").count() == 0
    check(page, artifacts, "no-wallet-level1-390")

    page = signed_in(chromium, base, cast["level2_session"], PHONE, Watch())
    page.goto(f"{base}/wallet/")
    check(page, artifacts, "no-wallet-390")
    page.get_by_role("button", name="Mở ví của tôi").click()
    page.wait_for_url(f"{base}/wallet/")
    assert text(page, "h1") == "Ví của tôi"
    assert "Ví của bạn đã được mở." in text(page, "main")
    assert "0 ₫" in text(page, ".wallet-balance")
    check(page, artifacts, "wallet-new-390")


def test_balances_after_the_journey(cast: dict[str, Any]) -> None:
    """Not a browser step: the database agrees with what the pages showed (runs alone
    too, so it only checks what the cast set up when the journey did not run)."""
    from nentang.payments.models import Account

    wallet = Account.objects.get(pk=cast["wallet"].account_id)
    assert wallet.balance == 1_965_000
