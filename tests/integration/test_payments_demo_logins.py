"""The demo's merchant and agent logins, as ``nentang demo`` prints them: each logs in
with its password and the demo authenticator's code over real HTTP, and reaches its
page — Lê Thị Mai the café's QR and sales at ``/merchant/``, Võ Thị Ba the cash-in desk
of Tạp hoá Cô Ba at ``/agent/`` — and only the account they operate."""

from __future__ import annotations

from typing import Any

import pyotp
import pytest

from nentang.audit.services import security_defaults_install
from nentang.identity import demo as identity_demo
from nentang.identity.models import Person
from nentang.identity.tests import support
from nentang.identity.tests.oidc_support import Browser
from nentang.kernel import demodata
from nentang.payments import demo as payments_demo
from nentang.payments.models import Account

pytestmark = pytest.mark.django_db(transaction=True)


class Quiet:
    def start(self, description: str, total: int) -> None:
        return None

    def advance(self, steps: int = 1) -> None:
        return None


@pytest.fixture
def base(live_server: Any, settings: Any) -> str:
    support.administrative_units()
    security_defaults_install()
    settings.NENTANG_DEMO_PERCENT = 10
    for name in ("identity", "payments", "identity_second_factors"):
        [loader] = demodata.registered([name])[:1]
        loader.load(Quiet())
    url = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = url
    return url


def log_in(base: str, login: str, password: str, page: str) -> Any:
    """Password, then the demo authenticator's current code, then ``page``."""
    browser = Browser(base)
    answer = browser.follow(browser.log_in(login, password, next_url=page))
    assert "/login/second-factor" in answer.url, (answer.status_code, answer.url)
    code = pyotp.TOTP(identity_demo.DEMO_STAFF_TOTP_SECRET).now()
    done = browser.follow(browser.post_form(answer.url, answer.text, {"code": code}))
    assert done.status_code == 200, (done.status_code, done.url)
    return done


def test_the_demo_prints_both_logins_with_their_pages() -> None:
    [loader] = [item for item in demodata.registered([]) if item.context == "payments"]
    printed = {(a.login, a.password, a.note, a.second_factor) for a in loader.accounts}
    assert printed == {
        (payments_demo.MERCHANT_ID, "demo-merchant-2026", "/merchant/", True),
        (payments_demo.AGENT_ID, "demo-agent-2026", "/agent/", True),
    }


def test_the_merchant_reaches_the_cafes_page(base: str) -> None:
    page = log_in(base, payments_demo.MERCHANT_ID, payments_demo.MERCHANT_PASSWORD, "/merchant/")

    assert page.url.endswith("/merchant/")
    assert "Cà phê Nhà Làm" in page.text
    assert "<svg" in page.text  # the café's static VietQR
    assert "Tạp hoá Cô Ba" not in page.text
    assert "Bánh mì Sài Gòn" not in page.text  # the company's own account, not hers


def test_the_agent_reaches_the_cash_desk(base: str) -> None:
    page = log_in(base, payments_demo.AGENT_ID, payments_demo.AGENT_PASSWORD, "/agent/")

    assert page.url.endswith("/agent/")
    assert "Tạp hoá Cô Ba" in page.text
    assert "Cà phê Nhà Làm" not in page.text
    ba = Person.objects.get(id_number=payments_demo.AGENT_ID)
    assert Account.objects.get(code="agent:tap-hoa-co-ba").owner == f"person:{ba.id}"


def test_loading_again_changes_no_owner_and_no_login(base: str) -> None:
    owners = dict(Account.objects.values_list("code", "owner"))

    payments_demo.load(Quiet())

    assert dict(Account.objects.values_list("code", "owner")) == owners
