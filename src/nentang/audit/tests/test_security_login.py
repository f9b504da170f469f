"""The issue's done-when test: a brute-force attack replayed against the real login.

The e-ID login (/login, the one login of the platform: /admin/login/ sends there)
is attacked from one address through Django's test client: the seventh failure opens
nothing, the eighth opens the brute-force alert, a success from the same address then
opens the "failures followed by a success" alert, and the SOC page shows both.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from tests.support.staff import second_factor_of, staff_login, totp_code

from nentang.audit.models import Alert, SecurityEvent
from nentang.audit.services import pseudonym
from nentang.audit.tests.security_support import (
    ADMIN_PASSWORD,
    ATTACKER,
    COLLEAGUE,
    OPERATOR_PASSWORD,
    make_user,
    seed,
    soc_operator,
)

User = get_user_model()

pytestmark = pytest.mark.django_db

LOGIN = "/login"


@pytest.fixture(autouse=True)
def _seeded() -> None:
    seed()


@pytest.fixture
def administrator() -> Any:
    """Lê Văn Cường, administrator of the platform: the account under attack."""
    return make_user("quantri.cuong", superuser=True, password=ADMIN_PASSWORD)


def attempt(client: Client, password: str) -> int:
    response = client.post(LOGIN, {"login": "quantri.cuong", "password": password})
    return response.status_code


def open_alerts(rule: str) -> list[Alert]:
    return list(Alert.objects.filter(rule__code=rule, state="open"))


def test_a_brute_force_on_the_real_login_opens_the_alerts_and_the_soc_shows_them(
    administrator: Any,
) -> None:
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for number in range(7):
        assert attempt(attacker, f"đoán-sai-{number}") == 401  # the form again, with its error

    failures = SecurityEvent.objects.filter(kind="auth.failure", source_ip=ATTACKER)
    assert failures.count() == 7
    assert {event.subject for event in failures} == {pseudonym("quantri.cuong")}
    assert open_alerts("auth-brute-force") == []

    attempt(attacker, "đoán-sai-7")

    [brute_force] = open_alerts("auth-brute-force")
    assert brute_force.key == ATTACKER
    assert brute_force.event_count == 8
    assert open_alerts("auth-failures-then-success") == []

    assert attempt(attacker, ADMIN_PASSWORD) == 302  # the guess worked

    success = SecurityEvent.objects.get(kind="auth.success", source_ip=ATTACKER)
    assert success.actor == pseudonym("quantri.cuong")
    [compromise] = open_alerts("auth-failures-then-success")
    assert compromise.severity == "critical"
    assert compromise.event_count == 9

    soc = Client()
    staff_login(soc, soc_operator())
    page = soc.get("/soc/").content.decode()
    assert (
        "Dò mật khẩu: đăng nhập sai nhiều lần từ một địa chỉ" in page
    )  # the brute-force rule, in Vietnamese
    assert "Đăng nhập sai nhiều lần rồi thành công từ cùng địa chỉ" in page
    assert ATTACKER in page
    detail = soc.get(f"/soc/alerts/{compromise.pk}/").content.decode()
    assert "Đăng nhập thành công" in detail  # the success is on the timeline
    assert detail.count("Đăng nhập thất bại") == 8


def test_failures_from_many_addresses_open_no_brute_force_alert(
    administrator: Any,
) -> None:
    for number in range(10):
        attempt(Client(REMOTE_ADDR=f"198.51.100.{number + 1}"), "sai")

    assert open_alerts("auth-brute-force") == []


def test_a_colleagues_success_is_not_the_attackers(administrator: Any) -> None:
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(8):
        attempt(attacker, "sai")

    attempt(Client(REMOTE_ADDR=COLLEAGUE), ADMIN_PASSWORD)

    assert len(open_alerts("auth-brute-force")) == 1
    assert open_alerts("auth-failures-then-success") == []


def test_an_admin_change_is_an_admin_action_event(administrator: Any) -> None:
    admin = Client(REMOTE_ADDR=COLLEAGUE)
    staff_login(admin, administrator)

    response = admin.post("/admin/auth/group/add/", {"name": "Cán bộ một cửa", "permissions": []})

    assert response.status_code == 302
    event = SecurityEvent.objects.get(kind="admin.action")
    assert event.actor == pseudonym("quantri.cuong")
    assert event.actor_type == "officer"
    assert event.detail == {"action": "addition", "model": "auth.group"}
    assert event.subject.startswith("auth.group:")
    from nentang.audit.models import AuditEntry

    entry = AuditEntry.objects.get(action="admin.auth.group.addition")
    assert entry.actor == pseudonym("quantri.cuong")
    assert entry.subject_type == "auth.group"
    assert event.subject == f"auth.group:{entry.subject}"


def test_the_soc_operator_logs_in_through_the_e_id_login_with_a_second_factor() -> None:
    secret = second_factor_of(soc_operator())
    browser = Client(REMOTE_ADDR=COLLEAGUE)

    first = browser.get("/soc/")
    assert first.status_code == 302
    assert first["Location"] == "/login?next=/soc/"
    response = browser.post(
        "/login?next=/soc/",
        {"login": "soc.binh", "password": OPERATOR_PASSWORD, "next": "/soc/"},
    )

    assert response.status_code == 302
    assert response["Location"] == "/login/second-factor"
    assert browser.get("/soc/").status_code == 302  # the password alone opens nothing
    done = browser.post("/login/second-factor", {"code": totp_code(secret)})
    assert done["Location"] == "/soc/"
    assert browser.get("/soc/").status_code == 200
    login = SecurityEvent.objects.get(kind="auth.success")
    assert (login.source_ip, login.actor_type) == (COLLEAGUE, "officer")
