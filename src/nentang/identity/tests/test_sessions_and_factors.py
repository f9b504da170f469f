"""Sessions (listed, ended, "sign out everywhere" through the real session store) and
TOTP with real codes from pyotp."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyotp
import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.utils import timezone

from nentang.identity import selectors, services
from nentang.identity.models import Account, Person
from nentang.identity.services import LoginThrottled, sessions
from nentang.identity.tests import support
from nentang.kernel.errors import Conflict, Forbidden, ValidationFailed
from nentang.kernel.models import OutboxEvent

pytestmark = pytest.mark.django_db

ME = "/api/v1/identity/me"


def signed_in(person: Person, address: str) -> Client:
    browser = Client(REMOTE_ADDR=address, HTTP_USER_AGENT=f"Trình duyệt {address}")
    assert browser.login(username=person.id_number, password=support.PASSWORD)
    return browser


def account_of(person: Person) -> Account:
    assert person.account is not None
    return person.account


def test_every_login_is_a_listed_session(binh: Person) -> None:
    phone = signed_in(binh, "198.51.100.1")
    signed_in(binh, "198.51.100.2")

    listed = list(selectors.session_list(account=account_of(binh)))

    assert len(listed) == 2
    assert phone.session.session_key in {s.session_key for s in listed}


def test_sign_out_everywhere_ends_the_other_sessions_in_the_session_store(
    binh: Person,
) -> None:
    here = signed_in(binh, "198.51.100.1")
    phone = signed_in(binh, "198.51.100.2")
    tablet = signed_in(binh, "198.51.100.3")
    assert all(browser.get(ME).status_code == 200 for browser in (here, phone, tablet))
    revoked: list[tuple[Account, str]] = []

    def remember(account: Account, reason: str) -> None:
        revoked.append((account, reason))

    sessions.revoker(remember)
    try:
        ended = services.sessions_end_all(
            actor=account_of(binh), keep_session_key=here.session.session_key
        )
    finally:
        sessions._REVOKERS.remove(remember)  # the provider's own revoker stays

    assert ended == 2
    assert here.get(ME).status_code == 200
    assert phone.get(ME).status_code == 401
    assert tablet.get(ME).status_code == 401
    assert not Session.objects.filter(session_key=phone.session.session_key).exists()
    assert [s.session_key for s in selectors.session_list(account=account_of(binh))] == [
        here.session.session_key
    ]
    assert revoked == [(account_of(binh), "signed_out_everywhere")]
    event = OutboxEvent.objects.get(topic="identity.account.signed_out_everywhere")
    assert event.payload == {
        "account_id": str(account_of(binh).pk),
        "reason": "signed_out_everywhere",
        "sessions_ended": 2,
    }
    assert support.AuditEntry.objects.filter(action="identity.session.end_all").count() == 1


def test_locking_an_account_signs_it_out(officer: Account, an: Person) -> None:
    browser = signed_in(an, "198.51.100.1")

    services.account_lock(actor=officer, account_id=account_of(an).pk, reason="officer_action")

    assert browser.get(ME).status_code == 401
    assert OutboxEvent.objects.filter(topic="identity.account.locked").count() == 1


def test_a_holder_ends_one_session(binh: Person) -> None:
    signed_in(binh, "198.51.100.1")
    lost = signed_in(binh, "198.51.100.2")
    [session] = [
        s
        for s in selectors.session_list(account=account_of(binh))
        if s.session_key == lost.session.session_key
    ]

    services.session_end(actor=account_of(binh), session_id=session.pk)

    assert lost.get(ME).status_code == 401
    assert len(selectors.session_list(account=account_of(binh))) == 1


def test_logging_out_ends_the_session(binh: Person) -> None:
    browser = signed_in(binh, "198.51.100.1")
    browser.logout()

    assert list(selectors.session_list(account=account_of(binh))) == []


# --- TOTP --------------------------------------------------------------------------


@pytest.fixture
def moment(monkeypatch: pytest.MonkeyPatch) -> list[datetime]:
    """A clock shared by pyotp's codes and the service: start mid-way in a time step."""
    start = datetime.fromtimestamp((int(datetime.now(UTC).timestamp()) // 30) * 30 + 10, UTC)
    now = [start]
    monkeypatch.setattr(timezone, "now", lambda: now[0])
    return now


def code_at(secret: str, at: datetime) -> str:
    return pyotp.TOTP(secret).at(at)


def enrolled(person: Person, moment: list[datetime]) -> str:
    enrolment = services.totp_enrol(actor=account_of(person))
    assert enrolment.provisioning_uri.startswith("otpauth://totp/nentang:")
    services.totp_confirm(actor=account_of(person), code=code_at(enrolment.secret, moment[0]))
    moment[0] += timedelta(seconds=30)
    return enrolment.secret


def test_a_real_code_confirms_and_verifies(binh: Person, moment: list[datetime]) -> None:
    secret = enrolled(binh, moment)

    assert services.requires_second_factor(account_of(binh))
    services.totp_verify(account=account_of(binh), code=code_at(secret, moment[0]))


def test_a_code_is_accepted_once(binh: Person, moment: list[datetime]) -> None:
    secret = enrolled(binh, moment)
    code = code_at(secret, moment[0])
    services.totp_verify(account=account_of(binh), code=code)

    with pytest.raises(ValidationFailed) as caught:
        services.totp_verify(account=account_of(binh), code=code)

    assert [(e.field, e.code) for e in caught.value.errors] == [("code", "code_reused")]
    # An older code (the step before) is refused too once a later one was used.
    with pytest.raises(ValidationFailed):
        services.totp_verify(
            account=account_of(binh), code=code_at(secret, moment[0] - timedelta(seconds=30))
        )


def test_a_wrong_code_counts_as_a_failed_login(binh: Person, moment: list[datetime]) -> None:
    enrolled(binh, moment)

    with pytest.raises(ValidationFailed) as caught:
        services.totp_verify(account=account_of(binh), code="000000", source_ip=support.HOME)

    assert [(e.field, e.code) for e in caught.value.errors] == [("code", "invalid_code")]
    assert support.throttle(support.BINH_ID).factor_failures == 1
    failure = support.SecurityEvent.objects.get(kind="auth.failure")
    assert failure.detail["reason"] == "wrong_code"


def test_a_right_password_does_not_reset_the_wrong_codes(
    binh: Person, moment: list[datetime]
) -> None:
    """Issue 8 item 3: password + 9 wrong codes, repeated, allowed unlimited code
    guesses (the right password reset the count). Now the codes have their own count:
    the fifth wrong one locks the login out, passwords or not in between."""
    enrolled(binh, moment)
    wrong = 0
    for _round in range(2):
        services.login_authenticate(
            login=support.BINH_ID, password=support.PASSWORD, source_ip=support.HOME
        )
        for _ in range(2):
            with pytest.raises(ValidationFailed):
                services.totp_verify(
                    account=account_of(binh), code="000000", source_ip=support.HOME
                )
            wrong += 1
    assert support.throttle(support.BINH_ID).factor_failures == wrong == 4

    services.login_authenticate(
        login=support.BINH_ID, password=support.PASSWORD, source_ip=support.HOME
    )
    with pytest.raises(ValidationFailed):
        services.totp_verify(account=account_of(binh), code="000000", source_ip=support.HOME)

    for attempt in (
        lambda: services.totp_verify(account=account_of(binh), code="000000"),
        lambda: services.login_authenticate(
            login=support.BINH_ID, password=support.PASSWORD, source_ip=support.HOME
        ),
    ):
        with pytest.raises(LoginThrottled) as caught:
            attempt()
        assert caught.value.code == "login_locked_out"
    [lockout] = support.SecurityEvent.objects.filter(kind="auth.lockout", outcome="locked")
    assert lockout.detail["scope"] == "login"


def test_a_right_code_ends_the_count(binh: Person, moment: list[datetime]) -> None:
    secret = enrolled(binh, moment)
    for _ in range(4):
        with pytest.raises(ValidationFailed):
            services.totp_verify(account=account_of(binh), code="000000")

    services.totp_verify(
        account=account_of(binh), code=code_at(secret, moment[0] + timedelta(seconds=30))
    )

    assert support.throttle(support.BINH_ID).factor_failures == 0


def test_a_code_from_two_steps_ago_is_refused(binh: Person, moment: list[datetime]) -> None:
    secret = enrolled(binh, moment)

    with pytest.raises(ValidationFailed):
        services.totp_verify(
            account=account_of(binh), code=code_at(secret, moment[0] - timedelta(seconds=60))
        )


def test_enrolling_twice_is_a_conflict_and_verifying_needs_an_app(
    binh: Person, an: Person, moment: list[datetime]
) -> None:
    enrolled(binh, moment)
    with pytest.raises(Conflict) as caught:
        services.totp_enrol(actor=account_of(binh))
    assert caught.value.code == "totp_already_enrolled"

    with pytest.raises(Conflict) as missing:
        services.totp_verify(account=account_of(an), code="123456")
    assert missing.value.code == "totp_not_enrolled"


def test_the_session_flag_gates_level_2_actions(binh: Person, moment: list[datetime]) -> None:
    session: dict[str, object] = {}
    services.second_factor_require(account_of(binh), session)  # no factor: nothing to ask

    enrolled(binh, moment)
    with pytest.raises(Forbidden) as caught:
        services.second_factor_require(account_of(binh), session)
    assert caught.value.code == "second_factor_required"

    services.second_factor_mark(session, method="totp")
    services.second_factor_require(account_of(binh), session)
    assert services.second_factor_satisfied(session)
