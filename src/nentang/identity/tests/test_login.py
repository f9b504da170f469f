"""Password login: throttling per login and per address, lockout that grows, the e-ID
lock, no user enumeration, and the security events the SOC sees."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.support.hashers import CountingHasher

from nentang.audit.services import pseudonym
from nentang.identity import services
from nentang.identity.models import Account, Person
from nentang.identity.services import LoginThrottled
from nentang.identity.services.login import login_lockout_until
from nentang.identity.tests import support
from nentang.kernel.errors import Forbidden, Unauthorized

pytestmark = pytest.mark.django_db


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(timezone, "now", clock)
    return clock


def login(login: str, password: str, ip: str = support.HOME) -> Account:
    return services.login_authenticate(login=login, password=password, source_ip=ip)


def fail(login_name: str, times: int, ip: str = support.HOME) -> None:
    for _ in range(times):
        with pytest.raises(Unauthorized) as caught:
            login(login_name, "đoán-sai-mật-khẩu", ip)
        assert caught.value.code == "invalid_credentials"


def events(kind: str) -> list[Any]:
    return list(support.SecurityEvent.objects.filter(kind=kind).order_by("id"))


def test_the_right_password_logs_in_and_a_wrong_one_is_refused(binh: Person) -> None:
    assert login(support.BINH_ID, support.PASSWORD) == binh.account

    with pytest.raises(Unauthorized) as caught:
        login(support.BINH_ID, "sai")

    assert caught.value.code == "invalid_credentials"
    assert caught.value.detail == "Tên đăng nhập hoặc mật khẩu không đúng."  # Vietnamese first
    [failure] = events("auth.failure")
    assert failure.subject == pseudonym(support.BINH_ID)
    assert failure.detail == {"channel": "web", "reason": "wrong_password"}
    assert support.BINH_ID not in str(failure.detail)


def test_ten_wrong_passwords_lock_the_login_out_for_15_minutes(binh: Person, clock: Clock) -> None:
    fail(support.BINH_ID, 9)
    account = Account.objects.get(username=support.BINH_ID)
    assert login_lockout_until(account) is None

    fail(support.BINH_ID, 1)

    assert login_lockout_until(account) == clock.now + timedelta(minutes=15)
    with pytest.raises(LoginThrottled) as caught:
        login(support.BINH_ID, support.PASSWORD)  # even the right password
    assert caught.value.code == "login_locked_out"
    assert caught.value.status == 429
    assert caught.value.headers == {"Retry-After": "900"}
    [lockout] = events("auth.lockout")
    assert lockout.detail["scope"] == "login"
    entry = support.AuditEntry.objects.get(action="identity.account.lockout")
    assert entry.summary == {"lockouts": 1, "minutes": 15}

    clock.advance(minutes=15, seconds=1)
    assert login(support.BINH_ID, support.PASSWORD) == account


def test_each_further_lockout_lasts_twice_as_long(binh: Person, clock: Clock) -> None:
    fail(support.BINH_ID, 10)
    clock.advance(minutes=16)
    fail(support.BINH_ID, 10)

    with pytest.raises(LoginThrottled) as caught:
        login(support.BINH_ID, support.PASSWORD)
    assert caught.value.headers == {"Retry-After": str(30 * 60)}


def test_a_success_resets_the_count(binh: Person) -> None:
    fail(support.BINH_ID, 9)
    login(support.BINH_ID, support.PASSWORD)
    fail(support.BINH_ID, 9)

    assert login(support.BINH_ID, support.PASSWORD) == binh.account


def test_an_unknown_login_gets_the_same_answers_as_a_wrong_password(binh: Person) -> None:
    unknown = "079090009999"
    with pytest.raises(Unauthorized) as wrong:
        login(support.BINH_ID, "sai")
    with pytest.raises(Unauthorized) as missing:
        login(unknown, "sai")
    assert (missing.value.code, missing.value.detail) == (wrong.value.code, wrong.value.detail)

    fail(support.BINH_ID, 9)
    fail(unknown, 9, ip="198.51.100.8")  # another address: this is about the login
    locked = [pytest.raises(LoginThrottled), pytest.raises(LoginThrottled)]
    with locked[0] as for_account:
        login(support.BINH_ID, "sai")
    with locked[1] as for_unknown:
        login(unknown, "sai", "198.51.100.8")
    assert for_unknown.value.code == for_account.value.code == "login_locked_out"
    assert for_unknown.value.detail == for_account.value.detail


def test_a_lockout_counts_down_and_grows_the_same_for_an_unknown_login(
    binh: Person, clock: Clock
) -> None:
    """Issue 8 item 6: the countdown fell for a real account and stayed at 15 minutes
    for an unknown login (each refused try restarted it), which told them apart."""
    unknown = "079090009999"

    def waits() -> tuple[str, str]:
        found = []
        for name in (support.BINH_ID, unknown):
            with pytest.raises(LoginThrottled) as caught:
                login(name, "sai", "198.51.100.8" if name == unknown else support.HOME)
            found.append(caught.value.headers["Retry-After"])
        return found[0], found[1]

    fail(support.BINH_ID, 10)
    fail(unknown, 10, ip="198.51.100.8")
    assert waits() == ("900", "900")
    clock.advance(minutes=5)
    assert waits() == ("600", "600")  # counts down for both, refused tries or not
    clock.advance(minutes=10, seconds=1)
    fail(support.BINH_ID, 10)
    fail(unknown, 10, ip="198.51.100.8")
    assert waits() == ("1800", "1800")  # the second lockout lasts twice as long for both


def test_an_unknown_login_costs_a_password_hash(binh: Person) -> None:
    def hashes(name: str) -> int:
        before = CountingHasher.computed
        with pytest.raises(Unauthorized):
            login(name, "sai")
        return CountingHasher.computed - before

    # The same work for a login that does not exist as for a wrong password: the
    # answer's timing tells nothing (the hasher, not a clock, is what is compared).
    assert hashes("079090009999") == hashes(support.BINH_ID) == 1


def test_twenty_failures_from_one_address_refuse_it_for_a_while(binh: Person, clock: Clock) -> None:
    for number in range(20):  # password spraying: a different login each time
        with pytest.raises(Unauthorized):
            login(f"0790900{number:05d}", "123456789012", support.ATTACKER)

    with pytest.raises(LoginThrottled) as caught:
        login(support.BINH_ID, support.PASSWORD, support.ATTACKER)
    assert caught.value.code == "login_rate_limited"
    assert caught.value.headers == {"Retry-After": "600"}
    [lockout] = events("auth.lockout")
    assert (lockout.source_ip, lockout.detail["scope"]) == (support.ATTACKER, "address")
    assert events("ratelimit.hit")[0].source_ip == support.ATTACKER
    # A flood of refused attempts writes one event for the period, not one each.
    for _ in range(10):
        with pytest.raises(LoginThrottled):
            login(support.BINH_ID, support.PASSWORD, support.ATTACKER)
    [hit] = events("ratelimit.hit")
    assert hit.detail["refused"] == 1

    assert login(support.BINH_ID, support.PASSWORD, support.HOME) == binh.account
    clock.advance(minutes=10, seconds=1)
    assert login(support.BINH_ID, support.PASSWORD, support.ATTACKER) == binh.account


def test_a_locked_account_is_refused_with_its_own_message_after_the_right_password(
    an: Person, officer: Account
) -> None:
    assert an.account is not None
    services.account_lock(
        actor=officer, account_id=an.account.pk, reason="id_revoked", note="CCCD bị thu hồi"
    )

    with pytest.raises(Unauthorized):
        login(support.AN_ID, "sai")  # a wrong password says nothing about the lock
    with pytest.raises(Forbidden) as caught:
        login(support.AN_ID, support.PASSWORD)

    assert caught.value.code == "account_locked"
    assert "đã bị UBND phường Sài Gòn khóa" in str(caught.value.detail)  # where to go
    assert support.SAI_GON_DESK in str(caught.value.detail)
    denied = support.SecurityEvent.objects.get(kind="auth.failure", outcome="denied")
    assert denied.detail["reason"] == "locked"


def test_a_disabled_account_is_refused(binh: Person) -> None:
    Account.objects.filter(username=support.BINH_ID).update(is_active=False)

    with pytest.raises(Forbidden) as caught:
        login(support.BINH_ID, support.PASSWORD)

    assert caught.value.code == "account_inactive"


def test_a_success_after_failures_or_from_a_new_address_is_reported(admin: Account) -> None:
    def admin_login(password: str) -> int:
        browser = Client(REMOTE_ADDR=support.HOME)
        page = browser.post("/login", {"login": "quantri", "password": password})
        return page.status_code

    assert admin_login(support.OFFICER_PASSWORD) == 302
    [first] = events("auth.success")
    assert first.detail == {
        "channel": "web",
        "after_failures": 0,
        "address_failures": False,
        "new_address": True,
    }
    assert first.actor == pseudonym("quantri")

    assert admin_login(support.OFFICER_PASSWORD) == 302
    assert len(events("auth.success")) == 1  # a known address, no failures: not news

    for _ in range(3):
        assert admin_login("sai") == 401
    assert admin_login(support.OFFICER_PASSWORD) == 302
    last = events("auth.success")[-1]
    assert (last.detail["after_failures"], last.severity) == (3, "low")


def test_the_login_shows_the_lockout_in_vietnamese(admin: Account) -> None:
    browser = Client(REMOTE_ADDR=support.HOME)
    for _ in range(10):
        page = browser.post("/login", {"login": "quantri", "password": "sai"})
        assert page.status_code == 401

    page = browser.post("/login", {"login": "quantri", "password": support.OFFICER_PASSWORD})

    assert page.status_code == 429
    assert "Sai mật khẩu quá nhiều lần" in page.content.decode()
