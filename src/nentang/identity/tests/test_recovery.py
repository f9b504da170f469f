"""Online recovery of a forgotten password (issue 9, "Citizens"): the three answers,
a code by SMS to the phone on record, a new password; throttled, audited, the holder
told; a cooling-off day before security changes; a locked e-ID goes in person."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from tests.support.html import read

from nentang.identity import services
from nentang.identity.models import Account, AccountRecovery, AccountSession, Person
from nentang.identity.services import passkeys, recovery
from nentang.identity.services.sms import FileSmsSender
from nentang.identity.tests import support
from nentang.kernel.errors import Conflict, RateLimited, ValidationFailed

BINH_PHONE = "+84987654321"
AN_PHONE = "+84903123456"
NEW_PASSWORD = "hoa-sữa-mùa-thu-Hà-Nội-2027"


def code_in(outbox: FileSmsSender, phone: str) -> str:
    found = re.search(r"\b(\d{6})\b", outbox.messages(phone)[-1])
    assert found, outbox.messages(phone)
    return found.group(1)


def start(person: Person, **changes: object) -> AccountRecovery:
    answers: dict[str, object] = {
        "id_number": person.id_number,
        "date_of_birth": person.date_of_birth,
        "phone": person.phone,
        "source_ip": support.HOME,
    }
    answers.update(changes)
    return recovery.recovery_start(**answers)  # type: ignore[arg-type]


def fields(problem: ValidationFailed) -> dict[str, str]:
    return {error.field: error.code for error in problem.errors}


class TestInTheBrowser:
    def test_binh_sets_a_new_password_and_every_session_ends(
        self, binh: Person, outbox: FileSmsSender, django_capture_on_commit_callbacks: Any
    ) -> None:
        elsewhere = Client()
        assert (
            elsewhere.post(
                "/login",
                {"login": support.BINH_ID, "password": support.PASSWORD},
                REMOTE_ADDR=support.HOME,
            ).status_code
            == 302
        )
        assert elsewhere.get("/account/").status_code == 200
        client = Client()
        assert "/recover" in client.get("/login").content.decode()

        asked = client.post(
            "/recover",
            {"id_number": support.BINH_ID, "date_of_birth": "20/08/1995", "phone": "0987 654 321"},
            REMOTE_ADDR=support.HOME,
        )

        assert asked.status_code == 302
        assert asked["Location"] == "/recover/code"
        page = read(client.get("/recover/code").content)
        assert "+849******21" in " ".join(page.texts("p"))
        code = code_in(outbox, BINH_PHONE)
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(
                "/recover/code",
                {"code": code, "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
                REMOTE_ADDR=support.HOME,
            )
        assert done.status_code == 302
        assert done["Location"] == "/login"
        account = Account.objects.get(username=support.BINH_ID)
        assert account.check_password(NEW_PASSWORD)
        assert not account.check_password(support.PASSWORD)
        assert account.recovered_at is not None
        # The browser that was logged in is logged out; the holder was told.
        assert elsewhere.get("/account/").status_code == 302
        assert not AccountSession.objects.filter(account=account, ended_at__isnull=True).exists()
        notice = outbox.messages(BINH_PHONE)[-1]
        assert code not in notice
        assert "mật khẩu" in notice.lower() or "password" in notice.lower()
        assert support.AuditEntry.objects.filter(action="identity.account.recover").count() == 1

    def test_answers_that_match_nothing_get_the_same_next_page_and_no_sms(
        self, binh: Person, outbox: FileSmsSender
    ) -> None:
        client = Client()

        asked = client.post(
            "/recover",
            {"id_number": support.BINH_ID, "date_of_birth": "20/08/1995", "phone": "0912 345 678"},
            REMOTE_ADDR=support.HOME,
        )

        assert asked.status_code == 302
        assert asked["Location"] == "/recover/code"
        assert outbox.messages("+84912345678") == []
        assert outbox.messages(BINH_PHONE) == []
        row = AccountRecovery.objects.get()
        assert row.account_id is None
        refused = client.post(
            "/recover/code",
            {"code": "000000", "password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
        )
        assert refused.status_code == 422

    def test_field_mistakes_show_at_their_fields_and_write_nothing(self, binh: Person) -> None:
        response = Client().post(
            "/recover",
            {"id_number": "12ab\x00", "date_of_birth": "31/02/1995", "phone": "12"},
            REMOTE_ADDR=support.HOME,
        )

        assert response.status_code in (400, 422)
        html = response.content.decode()
        assert html.count('class="error-summary"') == 1
        assert not AccountRecovery.objects.exists()


class TestTheService:
    def test_wrong_formats_are_field_errors(self, binh: Person) -> None:
        with pytest.raises(ValidationFailed) as refused:
            recovery.recovery_start(
                id_number="0011950043", date_of_birth=None, phone="12345", source_ip=None
            )
        assert fields(refused.value) == {
            "id_number": "invalid_length",
            "date_of_birth": "required",
            "phone": "invalid_phone",
        }
        assert not AccountRecovery.objects.exists()

    def test_five_wrong_codes_end_the_request(self, binh: Person, outbox: FileSmsSender) -> None:
        asked = start(binh)
        right = code_in(outbox, BINH_PHONE)
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        for left in (4, 3, 2, 1):
            with pytest.raises(ValidationFailed) as refused:
                recovery.recovery_complete(recovery_id=asked.id, code=wrong, password=NEW_PASSWORD)
            assert str(left) in str(refused.value.errors[0].message)
        with pytest.raises(ValidationFailed) as refused:
            recovery.recovery_complete(recovery_id=asked.id, code=wrong, password=NEW_PASSWORD)
        assert fields(refused.value) == {"code": "locked"}
        with pytest.raises(ValidationFailed):
            recovery.recovery_complete(recovery_id=asked.id, code=right, password=NEW_PASSWORD)
        assert Account.objects.get(username=support.BINH_ID).check_password(support.PASSWORD)
        assert support.SecurityEvent.objects.filter(kind="recovery.code_locked").count() == 1

    def test_a_weak_password_spends_no_try_and_a_code_works_once(
        self, binh: Person, outbox: FileSmsSender
    ) -> None:
        asked = start(binh)
        code = code_in(outbox, BINH_PHONE)

        with pytest.raises(ValidationFailed) as refused:
            recovery.recovery_complete(recovery_id=asked.id, code=code, password="123")
        assert set(fields(refused.value)) == {"password"}
        assert AccountRecovery.objects.get(id=asked.id).attempts == 0
        recovery.recovery_complete(recovery_id=asked.id, code=code, password=NEW_PASSWORD)
        with pytest.raises(ValidationFailed) as again:
            recovery.recovery_complete(recovery_id=asked.id, code=code, password=NEW_PASSWORD + "x")
        assert fields(again.value) == {"code": "expired"}

    def test_three_requests_per_id_number_a_day(self, binh: Person, outbox: FileSmsSender) -> None:
        for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
            start(binh, source_ip=address)

        with pytest.raises(RateLimited) as throttled:
            start(binh, source_ip="192.0.2.4")

        assert int(throttled.value.headers["Retry-After"]) > 3600
        assert len(outbox.messages(BINH_PHONE)) == 3
        assert support.SecurityEvent.objects.filter(kind="ratelimit.hit").count() == 1

    def test_five_requests_per_address_an_hour_whatever_they_name(self, binh: Person) -> None:
        for serial in range(5):
            number = support.id_number_for(datetime.date(1990, 1, 1), sex="male", serial=serial)
            start(binh, id_number=number, source_ip=support.ATTACKER)

        with pytest.raises(RateLimited):
            start(binh, source_ip=support.ATTACKER)
        assert AccountRecovery.objects.count() == 5

    def test_a_locked_e_id_is_told_to_go_in_person(
        self, binh: Person, outbox: FileSmsSender
    ) -> None:
        assert binh.account is not None
        services.account_lock(
            actor=binh.account, account_id=binh.account.pk, reason="holder_request"
        )

        asked = start(binh)

        assert asked.account_id is None
        message = outbox.messages(BINH_PHONE)[-1]
        assert not re.search(r"\b\d{6}\b", message)
        with pytest.raises(ValidationFailed):
            recovery.recovery_complete(recovery_id=asked.id, code="000000", password=NEW_PASSWORD)

    def test_the_holder_is_told_by_e_mail_too(
        self, an: Person, outbox: FileSmsSender, django_capture_on_commit_callbacks: Any
    ) -> None:
        asked = start(an)
        mail.outbox.clear()

        with django_capture_on_commit_callbacks(execute=True):
            recovery.recovery_complete(
                recovery_id=asked.id, code=code_in(outbox, AN_PHONE), password=NEW_PASSWORD
            )

        assert [message.to for message in mail.outbox] == [["an.nguyen@example.vn"]]
        assert len(outbox.messages(AN_PHONE)) == 2  # the code, then the notice


class TestCoolingOff:
    def test_security_changes_wait_a_day_after_a_recovery(
        self, binh: Person, outbox: FileSmsSender
    ) -> None:
        asked = start(binh)
        account = recovery.recovery_complete(
            recovery_id=asked.id, code=code_in(outbox, BINH_PHONE), password=NEW_PASSWORD
        )

        with pytest.raises(Conflict) as refused:
            services.totp_enrol(actor=account)
        assert refused.value.code == "recovery_cooling_off"
        with pytest.raises(Conflict):
            passkeys.passkey_registration_options(actor=account, session={})

        Account.objects.filter(pk=account.pk).update(
            recovered_at=timezone.now() - datetime.timedelta(hours=25)
        )
        account.refresh_from_db()
        assert services.totp_enrol(actor=account).secret
