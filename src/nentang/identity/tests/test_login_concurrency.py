"""Login, registration and QR-code throttles hold under parallel attempts, on
PostgreSQL (issue 8, item 4).

Before: the count was read, the password hash checked (Argon2: tens of milliseconds),
and only then the failure written, so 40 parallel wrong passwords for one account were
all evaluated (limit 10), and 40 parallel attempts from one address on different logins
too (limit 20). Now each attempt is reserved before the hash: a conditional UPDATE per
login, a committed row then a count per address. The production hasher (Argon2id) is
used here so that the window the old code left open is as wide as in production.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import connection

from nentang.audit.services import security_defaults_install
from nentang.identity import services
from nentang.identity.models import Account, CrossDeviceLogin
from nentang.identity.services import crossdevice
from nentang.identity.services.throttling import registration_attempt_reserve
from nentang.identity.tests import support
from nentang.identity.tests.support import administrative_units
from nentang.kernel.errors import ProblemError

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.django_db(transaction=True),
    pytest.mark.argon2,
]

PARALLEL = 40


@pytest.fixture(autouse=True)
def _a_connection_per_attempt() -> Iterator[None]:
    """40 attempts at once hold 40 connections (a server's pool is 20 by default, and
    waiting 10 s for one is an error): widen this process's pool for the test."""
    pool = connection.settings_dict["OPTIONS"].get("pool")
    if not isinstance(pool, dict):
        yield
        return
    before = dict(pool)
    connection.close_pool()  # type: ignore[attr-defined]  # PostgreSQL's wrapper
    pool.update(max_size=PARALLEL + 5, timeout=120)
    try:
        yield
    finally:
        connection.close_pool()  # type: ignore[attr-defined]
        pool.clear()
        pool.update(before)


def in_parallel(attempt: Callable[[int], Any]) -> list[str]:
    """Run ``attempt(i)`` for i < 40 in 40 threads released together; the outcomes."""
    start = threading.Barrier(PARALLEL)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            start.wait()
            attempt(number)
            result = "logged_in"
        except ProblemError as error:
            result = error.code
        except Exception as error:  # anything else is a bug the assertions will show
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(PARALLEL)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(outcomes) == PARALLEL
    return outcomes


def evaluated(reason: str) -> int:
    """Attempts whose password was actually checked (one failure event each)."""
    events = support.SecurityEvent.objects.filter(kind="auth.failure", detail__reason=reason)
    return int(events.count())


@pytest.fixture
def binh() -> Account:
    administrative_units()
    security_defaults_install()
    person = services.person_register(**support.binh_form())
    assert person.account is not None
    account = Account.objects.get(pk=person.account.pk)
    account.set_password(support.PASSWORD)  # hashed with Argon2id (marked test)
    account.save(update_fields=["password"])
    return account


def test_forty_parallel_wrong_passwords_for_one_login_check_at_most_ten(binh: Account) -> None:
    outcomes = in_parallel(
        lambda n: services.login_authenticate(
            login=support.BINH_ID, password=f"đoán-sai-{n}", source_ip=f"198.51.100.{n + 1}"
        )
    )

    checked = evaluated("wrong_password")
    assert checked == services.LoginPolicy().account_failures, outcomes
    assert outcomes.count("invalid_credentials") == checked
    assert outcomes.count("login_locked_out") == PARALLEL - checked
    # Locked out now: even the right password waits.
    with pytest.raises(ProblemError) as caught:
        services.login_authenticate(
            login=support.BINH_ID, password=support.PASSWORD, source_ip=support.HOME
        )
    assert caught.value.code == "login_locked_out"


def test_forty_parallel_attempts_from_one_address_check_at_most_twenty(binh: Account) -> None:
    outcomes = in_parallel(
        lambda n: services.login_authenticate(
            login=f"0790900{n:05d}", password="123456789012", source_ip=support.ATTACKER
        )
    )

    checked = evaluated("unknown_login")
    assert checked == services.LoginPolicy().address_failures, outcomes
    assert outcomes.count("invalid_credentials") == checked
    assert outcomes.count("login_rate_limited") == PARALLEL - checked
    with pytest.raises(ProblemError) as caught:
        services.login_authenticate(
            login=support.BINH_ID, password=support.PASSWORD, source_ip=support.ATTACKER
        )
    assert caught.value.code == "login_rate_limited"


def test_forty_parallel_registrations_of_one_number_pass_three() -> None:
    """Registration is counted in the kernel's throttle (per number and per address in
    one step): of 40 parallel attempts for one ID number from 40 addresses, 3 pass."""
    outcomes = in_parallel(
        lambda n: registration_attempt_reserve(
            id_number=support.BINH_ID, source_ip=f"198.51.100.{n + 1}"
        )
    )

    assert outcomes.count("rate_limited") == PARALLEL - 3, outcomes
    # Refused attempts were counted nowhere: each address still has its whole hour.
    registration_attempt_reserve(id_number=support.AN_ID, source_ip="198.51.100.40")


def test_forty_parallel_qr_codes_from_one_address_pass_twenty() -> None:
    """Before: the codes of the window were counted, then one created — 40 parallel
    requests from one address all got a code (limit 20)."""
    outcomes = in_parallel(
        lambda n: crossdevice.cross_device_start(source_ip=support.ATTACKER, user_agent="test")
    )

    assert outcomes.count("rate_limited") == PARALLEL - crossdevice.PER_ADDRESS, outcomes
    assert CrossDeviceLogin.objects.count() == crossdevice.PER_ADDRESS
