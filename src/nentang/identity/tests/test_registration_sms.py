"""Online registration confirms the phone by a one-time SMS code before the account
exists, and answers a taken ID number through the same steps (issue 8 item 6)."""

from __future__ import annotations

import datetime
import re

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from nentang.identity.models import Account, PendingRegistration, Person
from nentang.identity.services import registration
from nentang.identity.services.sms import FileSmsSender
from nentang.identity.tests import support
from nentang.kernel.errors import RateLimited, ValidationFailed

PHONE = "+84987654321"


def start(**changes: object) -> PendingRegistration:
    form = support.binh_form(**changes)
    form.pop("source_ip", None)
    return registration.registration_start(**form)


def code_in(outbox: FileSmsSender, phone: str = PHONE) -> str:
    found = re.search(r"\b(\d{6})\b", outbox.messages(phone)[-1])
    assert found, outbox.messages(phone)
    return found.group(1)


def wrong_code(right: str) -> str:
    return f"{(int(right) + 1) % 10**6:06d}"


def test_the_right_code_creates_the_account(outbox: FileSmsSender) -> None:
    pending = start()

    assert not Person.objects.filter(id_number=support.BINH_ID).exists()
    stored = PendingRegistration.objects.get(id=pending.id)
    assert support.PASSWORD not in stored.password_hash
    assert check_password(support.PASSWORD, stored.password_hash)  # a hash of it
    code = code_in(outbox)
    assert code not in stored.code_hash
    person = registration.registration_confirm(pending_id=pending.id, code=code)

    assert person.id_number == support.BINH_ID
    assert person.phone == PHONE
    assert person.account is not None
    assert person.account.check_password(support.PASSWORD)
    assert person.portrait.read() == support.PNG
    assert not PendingRegistration.objects.exists()


def test_five_wrong_codes_lock_the_registration(outbox: FileSmsSender) -> None:
    pending = start()
    right = code_in(outbox)
    for left in (4, 3, 2, 1, 0):
        with pytest.raises(ValidationFailed) as caught:
            registration.registration_confirm(pending_id=pending.id, code=wrong_code(right))
        assert caught.value.errors[0].field == "code"
        if left:
            assert str(left) in str(caught.value.errors[0].message)

    with pytest.raises(ValidationFailed) as caught:
        registration.registration_confirm(pending_id=pending.id, code=right)

    assert caught.value.errors[0].code == "locked"
    assert not Person.objects.filter(id_number=support.BINH_ID).exists()
    assert support.AuditEntry.objects.filter(action="identity.registration.wrong_code").count() == 5
    assert support.SecurityEvent.objects.filter(
        kind="registration.code_locked", subject=str(pending.id)
    ).exists()


def test_an_expired_code_creates_nothing(outbox: FileSmsSender) -> None:
    pending = start()
    PendingRegistration.objects.filter(id=pending.id).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    with pytest.raises(ValidationFailed) as caught:
        registration.registration_confirm(pending_id=pending.id, code=code_in(outbox))

    assert caught.value.errors[0].code == "expired"
    assert not Account.objects.filter(username=support.BINH_ID).exists()


def test_a_resend_replaces_the_code_and_is_throttled(outbox: FileSmsSender) -> None:
    pending = start()
    first = code_in(outbox)
    with pytest.raises(RateLimited):
        registration.registration_resend(pending_id=pending.id)
    PendingRegistration.objects.filter(id=pending.id).update(
        sent_at=timezone.now() - registration.RESEND_AFTER
    )

    registration.registration_resend(pending_id=pending.id)

    second = code_in(outbox)
    assert len(outbox.messages(PHONE)) == 2
    if second != first:
        with pytest.raises(ValidationFailed):
            registration.registration_confirm(pending_id=pending.id, code=first)
    assert registration.registration_confirm(pending_id=pending.id, code=second).level == 1


def test_a_taken_number_gets_the_same_steps_and_an_sms_about_recovery(
    outbox: FileSmsSender,
) -> None:
    existing = support.binh_form()
    from nentang.identity import services

    services.person_register(**existing)
    before = Person.objects.count()

    pending = start(phone="0912 000 111")

    text = outbox.messages("+84912000111")[-1]
    assert "đã có" in text or "already exists" in text
    assert not re.search(r"\b\d{6}\b", text)
    stored = PendingRegistration.objects.get(id=pending.id)
    assert stored.taken
    assert stored.portrait == b""
    assert stored.fields == {}
    for _ in range(5):
        with pytest.raises(ValidationFailed) as caught:
            registration.registration_confirm(pending_id=pending.id, code="123456")
        assert caught.value.errors[0].code == "wrong_code"
    assert Person.objects.count() == before
