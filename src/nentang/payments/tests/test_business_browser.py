"""The merchant, agent and operator pages in a real browser (Debian's chromium through
Playwright) at 390 px and 1280 px, with axe-core: sessions that presented the second
factor (tests/support/staff.py). Screenshots: test-artifacts/payments-business-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Permission
from django.test import Client
from tests.support.browser import DESKTOP, NEEDS_CHROMIUM, PHONE, Watch, launch_chromium, text
from tests.support.staff import staff_login

from nentang.payments import services
from nentang.payments.tests.support import OPERATOR, as_person, person
from nentang.payments.tests.test_wallet_browser import check, signed_in

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = NEEDS_CHROMIUM


def session_of(account: Any) -> str:
    client = Client()
    staff_login(client, account)
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


@pytest.fixture
def cast(transactional_db: None) -> dict[str, Any]:
    logins = apps.get_model("identity", "Account").objects
    an = person("Nguyễn Văn An", phone="+84903123456")
    wallet = services.wallet_open(actor=as_person(an), person_id=an.id)
    mai = person("Lê Thị Mai", phone="+84988000111")
    mai.account = logins.create_user(mai.id_number, None)
    mai.save(update_fields=["account"])
    owner = f"person:{mai.id}"
    point = services.agent_open(actor=OPERATOR, code="mai", name="Đại lý Mai",
                                float_amount=10_000_000, owner=owner)  # fmt: skip
    shop = services.merchant_account_open(actor=OPERATOR, code="bun-cha-mai",
                                          name="Bún chả Mai", owner=owner)  # fmt: skip
    services.cash_in(actor=OPERATOR, agent=point, wallet=wallet, amount=500_000,
                     idempotency_key="t")  # fmt: skip
    for n in range(3):
        services.merchant_pay(actor=OPERATOR, payer=wallet, merchant=shop, amount=45_000 + n,
                              idempotency_key=f"p{n}", reference=f"BAN-{n}")  # fmt: skip
    frozen = services.merchant_account_open(actor=OPERATOR, code="quan-dong", name="Quán Đông")
    services.account_set_status(actor=OPERATOR, account=frozen, status="frozen",
                                reason="Lệnh phong toả 7/2026")  # fmt: skip
    officer = logins.create_user("van-hanh-vi", None, is_staff=True)
    officer.user_permissions.add(
        Permission.objects.get(codename="change_account", content_type__app_label="payments")
    )
    return {"mai": session_of(mai.account), "officer": session_of(officer)}


@pytest.fixture
def chromium(live_server: Any, cast: dict[str, Any]) -> Iterator[Browser]:
    with launch_chromium() as browser:
        yield browser


def test_merchant_agent_and_operator_pages(
    chromium: Browser, live_server: Any, cast: dict[str, Any], artifacts: Path
) -> None:
    base = live_server.url
    for size, viewport in (("390", PHONE), ("1280", DESKTOP)):
        page = signed_in(chromium, base, cast["mai"], viewport, Watch())
        page.goto(f"{base}/merchant/")
        assert text(page, "h1") == "Bún chả Mai"
        assert page.locator(".merchant-qr svg").count() == 1
        assert "BAN-2" in text(page, ".payment-list")
        check(page, artifacts, f"business-merchant-{size}")
        page.goto(f"{base}/agent/")
        assert text(page, "h1") == "Đại lý Mai"
        check(page, artifacts, f"business-agent-{size}")
        staff = signed_in(chromium, base, cast["officer"], viewport, Watch())
        staff.goto(f"{base}/operator/payments/")
        assert "merchant:quan-dong" in text(staff, "main")
        check(staff, artifacts, f"business-operator-{size}")

    # A refund from the phone: the first payment's form, part of it.
    page = signed_in(chromium, base, cast["mai"], PHONE, Watch())
    page.goto(f"{base}/merchant/")
    form = page.locator("form.form--inline").first
    form.get_by_label("Số tiền (₫)").fill("99999999")
    form.get_by_role("button", name="Hoàn tiền").click()
    page.wait_for_load_state()
    assert "có thể hoàn" in text(page, "main")
    check(page, artifacts, "business-merchant-refund-error-390")
