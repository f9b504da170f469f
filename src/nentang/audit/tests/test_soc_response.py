"""Responding to an alert from the SOC (issue 9): block the source address (every login
from it is refused until the block ends or is lifted), lock the account the alert is
about (and lift that lock) — with a reason and a confirmation, audited, through
identity's services; refused to anyone who is not a security operator."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.test import Client
from tests.support.staff import staff_login

from nentang.audit.models import Alert, AuditEntry
from nentang.audit.services.security import security_event_record
from nentang.audit.tests.security_support import ATTACKER, COLLEAGUE, make_user, seed, soc_operator
from nentang.identity.services import LoginThrottled, address_block, login_authenticate
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Forbidden

User = get_user_model()
# identity is entered through its services; its tables are read here by name.
AddressBlock = apps.get_model("identity", "AddressBlock")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


@pytest.fixture
def binh() -> Any:
    return soc_operator()


@pytest.fixture
def soc(binh: Any) -> Client:
    client = Client(REMOTE_ADDR=COLLEAGUE)
    staff_login(client, binh)
    return client


@pytest.fixture
def brute_force() -> Alert:
    for _ in range(8):
        security_event_record(kind="auth.failure", outcome="failure", source_ip=ATTACKER)
    return Alert.objects.get(rule__code="auth-brute-force")


@pytest.fixture
def duc() -> Any:
    """Phạm Minh Đức, staff without audit rights, probing other people's records."""
    return make_user("duc.pham", permissions=[])


@pytest.fixture
def probing(duc: Any) -> Alert:
    for _ in range(14):
        security_event_record(
            kind="authz.denied", outcome="denied", actor=Actor.officer("duc.pham")
        )
    return Alert.objects.get(rule__code="authz-object-probing")


def refused_login(source_ip: str = ATTACKER) -> str:
    try:
        login_authenticate(login="079090001234", password="sai-mat-khau", source_ip=source_ip)
    except LoginThrottled as refused:
        return refused.code
    except Exception as other:  # a wrong password: evaluated, so not blocked
        return type(other).__name__
    return "logged in"


def audited(action: str) -> int:
    return AuditEntry.objects.filter(action=action).count()


def test_an_operator_blocks_the_alerts_address_and_logins_from_it_are_refused(
    soc: Client, brute_force: Alert
) -> None:
    page = soc.get(f"/soc/alerts/{brute_force.pk}/")
    assert f"/soc/alerts/{brute_force.pk}/block" in page.content.decode()
    assert refused_login() != "login_rate_limited"

    answer = soc.post(
        f"/soc/alerts/{brute_force.pk}/block",
        {"block-hours": "24", "block-reason": "Dò mật khẩu từ 203.0.113.7", "block-confirm": "on"},
    )

    assert answer.status_code == 302
    block = AddressBlock.objects.get()
    assert (block.address, block.blocked_by, block.alert) == (
        ATTACKER,
        "soc.binh",
        str(brute_force.pk),
    )
    assert audited("identity.address.block") == 1
    assert refused_login() == "login_rate_limited"

    lifted = soc.post(
        f"/soc/alerts/{brute_force.pk}/blocks/{block.pk}/lift",
        {"lift-reason": "Đã xác minh: địa chỉ của văn phòng"},
    )

    assert lifted.status_code == 302
    assert AddressBlock.objects.get().lifted_by == "soc.binh"
    assert audited("identity.address.unblock") == 1
    assert refused_login() != "login_rate_limited"


@pytest.mark.parametrize(
    ("blocked", "arriving"),
    [
        (ATTACKER, f"::ffff:{ATTACKER}"),  # a dual-stack socket reports IPv4 clients mapped
        (f"::ffff:{ATTACKER}", ATTACKER),  # the operator pasted the mapped form
        ("2001:db8:0:0::7", "2001:db8::7"),  # two spellings of one IPv6 address
    ],
)
def test_a_block_catches_every_spelling_of_the_address(
    binh: Any, blocked: str, arriving: str
) -> None:
    assert refused_login(arriving) != "login_rate_limited"

    address_block(by=binh, address=blocked, hours=1, reason="Dò mật khẩu")

    assert refused_login(arriving) == "login_rate_limited"
    assert refused_login("203.0.113.8") != "login_rate_limited"  # its neighbour is not


def test_a_block_catches_a_mapped_address_over_http(binh: Any) -> None:
    address_block(by=binh, address=ATTACKER, hours=1, reason="Dò mật khẩu")
    client = Client(REMOTE_ADDR=f"::ffff:{ATTACKER}")

    answer = client.post("/login", {"login": "079090001234", "password": "sai-mat-khau"})

    assert answer.status_code == 429


@pytest.mark.parametrize(
    ("form", "field"),
    [
        ({"block-hours": "24", "block-reason": "Dò mật khẩu"}, "confirm"),
        ({"block-hours": "24", "block-reason": "  ", "block-confirm": "on"}, "reason"),
        ({"block-hours": "5", "block-reason": "x", "block-confirm": "on"}, "hours"),
        ({"block-hours": "24", "block-reason": "a\x00b", "block-confirm": "on"}, "reason"),
    ],
)
def test_a_block_needs_a_reason_a_duration_and_a_confirmation(
    soc: Client, brute_force: Alert, form: dict[str, str], field: str
) -> None:
    answer = soc.post(f"/soc/alerts/{brute_force.pk}/block", form)

    assert answer.status_code == 400
    assert f'id="id_block-{field}_error"' in answer.content.decode() or field in str(
        answer.context["block_form"].errors
    )
    assert AddressBlock.objects.count() == 0
    assert audited("identity.address.block") == 0


def test_an_operator_locks_the_account_an_alert_is_about_and_lifts_it(
    soc: Client, probing: Alert, duc: Any
) -> None:
    locked = soc.post(
        f"/soc/alerts/{probing.pk}/lock",
        {"lock-reason": "Dò mã hồ sơ của người khác", "lock-confirm": "on"},
    )

    assert locked.status_code == 302
    duc.refresh_from_db()
    assert (duc.is_locked, duc.lock_reason) == (True, "security_incident")
    assert duc.lock_events.get().by_operator == "soc.binh"
    assert audited("identity.account.lock") == 1

    unlocked = soc.post(f"/soc/alerts/{probing.pk}/unlock", {"lift-reason": "Đã xác minh"})

    assert unlocked.status_code == 302
    duc.refresh_from_db()
    assert duc.is_locked is False
    assert audited("identity.account.unlock") == 1


def test_a_lock_needs_a_confirmation(soc: Client, probing: Alert, duc: Any) -> None:
    answer = soc.post(f"/soc/alerts/{probing.pk}/lock", {"lock-reason": "Dò mã hồ sơ"})

    assert answer.status_code == 400
    duc.refresh_from_db()
    assert duc.is_locked is False


def test_staff_without_the_response_permission_cannot_respond(brute_force: Alert) -> None:
    """A SOC viewer who may change alerts but not respond, and staff with no SOC rights."""
    viewer = make_user("soc.xem", permissions=["audit.view_alert", "audit.change_alert"])
    client = Client(REMOTE_ADDR=COLLEAGUE)
    staff_login(client, viewer)

    page = client.get(f"/soc/alerts/{brute_force.pk}/")
    answer = client.post(
        f"/soc/alerts/{brute_force.pk}/block",
        {"block-hours": "24", "block-reason": "thử", "block-confirm": "on"},
    )

    assert "/block" not in page.content.decode()
    assert answer.status_code == 403
    assert AddressBlock.objects.count() == 0
    with pytest.raises(Forbidden):
        address_block(by=viewer, address=ATTACKER, hours=1, reason="thử")
    outsider = make_user("duc.pham", permissions=[])
    client = Client(REMOTE_ADDR=COLLEAGUE)
    staff_login(client, outsider)
    assert client.post(f"/soc/alerts/{brute_force.pk}/block", {}).status_code == 403
    assert AddressBlock.objects.count() == 0


def test_the_response_pages_need_the_second_factor(binh: Any, brute_force: Alert) -> None:
    client = Client(REMOTE_ADDR=COLLEAGUE)
    client.force_login(binh)  # a session that never presented the second factor

    answer = client.post(
        f"/soc/alerts/{brute_force.pk}/block",
        {"block-hours": "24", "block-reason": "Dò mật khẩu", "block-confirm": "on"},
    )

    assert answer.status_code in (302, 403)
    assert AddressBlock.objects.count() == 0
