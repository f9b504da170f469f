"""The demo data of security monitoring: a SOC operator and a replayed attack, idempotent."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from tests.support.staff import totp_code

from nentang.audit import demo
from nentang.audit.models import Alert, AuditEntry, SecurityEvent
from nentang.kernel import demodata

User = get_user_model()

pytestmark = pytest.mark.django_db


def snapshot() -> tuple[int, int, int, int]:
    return (
        SecurityEvent.objects.count(),
        Alert.objects.count(),
        AuditEntry.objects.count(),
        User.objects.count(),
    )


def test_loading_twice_changes_nothing() -> None:
    demo.load(demodata.SilentProgress())
    first = snapshot()

    demo.load(demodata.SilentProgress())

    assert snapshot() == first
    assert {alert.rule.code for alert in Alert.objects.all()} == {
        "auth-brute-force",
        "auth-failures-then-success",
    }
    assert {alert.key for alert in Alert.objects.all()} == {demo.DEMO_ATTACKER}


def test_the_demo_operator_logs_in_and_sees_the_attack() -> None:
    """With the password and the code of the demo's printed authenticator secret."""
    demo.load(demodata.SilentProgress())
    demodata.discover()
    [factors] = [i for i in demodata.registered([]) if i.context == "identity_second_factors"]
    factors.load(demodata.SilentProgress())
    assert factors.summary is not None
    [secret] = re.findall(r"secret: ([A-Z2-7]+)\.", " ".join(factors.summary()))
    client = Client()

    logged_in = client.post(
        "/login", {"login": "soc", "password": "demo-soc-2026", "next": "/soc/"}
    )
    assert logged_in["Location"] == "/login/second-factor"
    client.post("/login/second-factor", {"code": totp_code(secret)})
    page = client.get("/soc/")

    assert page.status_code == 200
    assert demo.DEMO_ATTACKER in page.content.decode()


def test_the_account_is_documented() -> None:
    [account] = demo.ACCOUNTS

    assert (account.login, account.password) == ("soc", "demo-soc-2026")
