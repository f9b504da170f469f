"""Cross-device login (issue 9): a browser shows a QR code, the person's phone (logged
in) approves, the browser's session starts — short-lived, single use, bound to the
browser that showed the code, audited; staff cannot use it."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from tests.support.html import assert_well_formed, read
from tests.support.staff import staff_login

from nentang.identity import services
from nentang.identity.models import Account, CrossDeviceLogin, Person
from nentang.identity.services import crossdevice
from nentang.identity.tests import support

pytestmark = pytest.mark.django_db
DESKTOP_UA = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/131.0 Safari"
_LINK = re.compile(r'href="(https?://[^"]+/login/qr/approve\?c=[^"]+)"')


def show_code(desktop: Client, next_url: str = "") -> str:
    """The desktop asks for a QR code; the code it holds (read from the page's link)."""
    page = desktop.post("/login/qr", {"next": next_url}, headers={"User-Agent": DESKTOP_UA})
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    link = _LINK.search(html)
    assert link is not None
    return parse_qs(urlsplit(link.group(1).replace("&amp;", "&")).query)["c"][0]


@pytest.fixture
def phone(an: Person) -> Client:
    client = Client()
    assert an.account is not None
    client.force_login(an.account)
    return client


def audited(action: str) -> int:
    return int(support.AuditEntry.objects.filter(action=action).count())


def test_the_phone_approves_and_the_desktop_session_starts_once(phone: Client, an: Person) -> None:
    desktop = Client(REMOTE_ADDR=support.HOME)
    code = show_code(desktop)

    asked = phone.get("/login/qr/approve", {"c": code})
    page = read(asked.content)
    assert asked.status_code == 200
    assert page.texts("h1") == ["Đăng nhập trên thiết bị khác?"]
    facts = dict(zip(page.texts("dt"), page.texts("dd"), strict=True))
    assert facts["Trình duyệt"] == "Chrome trên Windows"
    assert facts["Địa chỉ mạng"] == support.HOME
    assert_well_formed(page)
    assert desktop.post("/login/qr/wait").status_code == 200  # still waiting
    assert "_auth_user_id" not in desktop.session

    approved = phone.post("/login/qr/approve", {"c": code, "action": "approve"})
    assert read(approved.content).texts("h1") == ["Đã cho phép đăng nhập"]

    done = desktop.post("/login/qr/wait")
    assert done.status_code == 302
    assert done["Location"] == "/account/"
    assert desktop.session["_auth_user_id"] == str(an.account_id)
    assert audited("identity.login.cross_device.approve") == 1
    assert audited("identity.login.cross_device") == 1
    # Single use: the code cannot be approved again, nor the login taken again.
    again = phone.post("/login/qr/approve", {"c": code, "action": "approve"})
    assert again.status_code == 409
    assert CrossDeviceLogin.objects.get().state == "claimed"


def test_only_the_browser_that_showed_the_code_can_take_the_login(phone: Client) -> None:
    desktop, thief = Client(), Client()
    code = show_code(desktop)
    started = CrossDeviceLogin.objects.get()
    # The thief knows the code and the login's id, not the desktop's secret.
    thief_session = thief.session
    thief_session["identity.cross_device"] = {"id": str(started.pk), "secret": "guess"}
    thief_session.save()
    phone.post("/login/qr/approve", {"c": code, "action": "approve"})

    assert thief.post("/login/qr/wait").status_code == 200
    assert "_auth_user_id" not in thief.session
    assert desktop.post("/login/qr/wait").status_code == 302


def test_a_refusal_and_an_expired_code_start_nothing(phone: Client) -> None:
    desktop = Client()
    code = show_code(desktop)
    phone.post("/login/qr/approve", {"c": code, "action": "refuse"})

    answer = desktop.post("/login/qr/wait")
    assert "Đăng nhập đã bị từ chối trên điện thoại." in answer.content.decode()
    assert "_auth_user_id" not in desktop.session
    assert audited("identity.login.cross_device.refuse") == 1

    late = show_code(desktop)
    CrossDeviceLogin.objects.filter(state="waiting").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert phone.get("/login/qr/approve", {"c": late}).status_code == 409
    assert phone.post("/login/qr/approve", {"c": late, "action": "approve"}).status_code == 409
    assert "_auth_user_id" not in desktop.session


def test_with_htmx_the_poll_swaps_its_form_and_an_ending_swaps_the_panel(
    phone: Client,
) -> None:
    desktop = Client()
    code = show_code(desktop)
    htmx = {"HX-Request": "true"}

    waiting = desktop.post("/login/qr/wait", headers=htmx)
    assert waiting.content.decode().startswith('<form id="qr-wait"')  # the QR code stays
    assert "HX-Retarget" not in waiting

    phone.post("/login/qr/approve", {"c": code, "action": "refuse"})
    ended = desktop.post("/login/qr/wait", headers=htmx)
    assert (ended["HX-Retarget"], ended["HX-Reswap"]) == ("#qr-panel", "outerHTML")
    assert ended.content.decode().startswith('<div id="qr-panel"')
    assert 'class="qr"' not in ended.content.decode()


@pytest.mark.parametrize("code", ["", "x", "a" * 500, "khong-co-ma-nay"])
def test_an_unknown_or_odd_code_is_a_clear_404(phone: Client, code: str) -> None:
    answer = phone.get("/login/qr/approve", {"c": code})

    assert answer.status_code == 404
    assert read(answer.content).texts("h1") == ["Không thể cho phép lượt đăng nhập này"]


def test_the_phone_logs_in_first_and_comes_back(an: Person) -> None:
    code = show_code(Client())

    answer = Client().get("/login/qr/approve", {"c": code})

    assert answer.status_code == 302
    assert answer["Location"].startswith("/login?next=%2Flogin%2Fqr%2Fapprove%3Fc%3D")


def test_staff_cannot_approve_from_a_phone(officer: Account) -> None:
    code = show_code(Client())
    phone = Client()
    staff_login(phone, officer)

    answer = phone.post("/login/qr/approve", {"c": code, "action": "approve"})

    assert answer.status_code == 403
    assert CrossDeviceLogin.objects.get().state == "waiting"


def test_codes_are_throttled_per_address(settings: Any) -> None:
    desktop = Client(REMOTE_ADDR=support.ATTACKER)
    for _ in range(crossdevice.PER_ADDRESS):
        assert desktop.post("/login/qr").status_code == 200

    refused = desktop.post("/login/qr")

    assert refused.status_code == 429
    assert CrossDeviceLogin.objects.count() == crossdevice.PER_ADDRESS
    assert Client(REMOTE_ADDR=support.HOME).post("/login/qr").status_code == 200


def test_secrets_are_stored_as_digests_only(phone: Client) -> None:
    desktop = Client()
    code = show_code(desktop)
    row = CrossDeviceLogin.objects.get()
    held = desktop.session["identity.cross_device"]

    assert code not in (row.code_digest, row.browser_digest)
    assert held["secret"] not in (row.code_digest, row.browser_digest)
    assert len(row.code_digest) == len(row.browser_digest) == 64


def test_a_locked_account_approved_earlier_does_not_log_in(
    phone: Client, an: Person, officer: Account
) -> None:
    desktop = Client()
    code = show_code(desktop)
    phone.post("/login/qr/approve", {"c": code, "action": "approve"})
    assert an.account is not None
    services.account_lock(actor=officer, account_id=an.account.pk, reason="officer_action")

    desktop.post("/login/qr/wait")

    assert "_auth_user_id" not in desktop.session
