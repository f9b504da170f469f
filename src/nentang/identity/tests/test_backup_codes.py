"""Backup codes of the second factor and security notices (issue 9, "Citizens":
account security). Codes are made once a second factor is on, shown once, work once
each (also under parallel use), count as second-factor failures; the holder is told by
SMS of a new set, a used code, a login from a new network, a lock and an unlock."""

from __future__ import annotations

import re
import threading
from typing import Any

import pyotp
import pytest
from django.db import connection
from django.test import Client
from tests.support.html import read

from nentang.identity import services
from nentang.identity.models import Account, BackupCode, Person
from nentang.identity.services import backup
from nentang.identity.services.sms import FileSmsSender
from nentang.identity.tests import support
from nentang.identity.tests.support import administrative_units
from nentang.kernel.errors import Conflict, ProblemError, ValidationFailed

BINH_PHONE = "+84987654321"


def with_totp(account: Account) -> pyotp.TOTP:
    enrolment = services.totp_enrol(actor=account)
    totp = pyotp.TOTP(enrolment.secret)
    services.totp_confirm(actor=account, code=totp.now())
    return totp


def holder(person: Person) -> Account:
    assert person.account is not None
    return Account.objects.get(pk=person.account.pk)


def password_step(client: Client, address: str = support.HOME) -> Any:
    return client.post(
        "/login", {"login": support.BINH_ID, "password": support.PASSWORD}, REMOTE_ADDR=address
    )


class TestTheCodes:
    def test_no_codes_without_a_second_factor(self, binh: Person) -> None:
        with pytest.raises(Conflict):
            backup.backup_codes_make(actor=holder(binh))
        assert not BackupCode.objects.exists()

    def test_ten_distinct_codes_kept_only_as_hashes(self, binh: Person) -> None:
        account = holder(binh)
        with_totp(account)

        codes = backup.backup_codes_make(actor=account)

        assert len(set(codes)) == 10
        assert all(re.fullmatch(r"[2-9a-z]{5}-[2-9a-z]{5}", code) for code in codes)
        stored = " ".join(BackupCode.objects.values_list("code_hash", flat=True))
        assert not any(code.replace("-", "") in stored for code in codes)
        assert backup.backup_codes_left(account=account) == 10

    def test_a_code_works_once_and_a_new_set_ends_the_old(self, binh: Person) -> None:
        account = holder(binh)
        with_totp(account)
        first = backup.backup_codes_make(actor=account)

        assert backup.backup_code_use(account=account, code=first[0].upper()) == 9
        with pytest.raises(ValidationFailed) as again:
            backup.backup_code_use(account=account, code=first[0])
        assert [error.field for error in again.value.errors] == ["backup_code"]
        second = backup.backup_codes_make(actor=account)
        with pytest.raises(ValidationFailed):
            backup.backup_code_use(account=account, code=first[1])
        assert backup.backup_code_use(account=account, code=second[1]) == 9

    def test_five_wrong_codes_lock_the_login_out(self, binh: Person) -> None:
        account = holder(binh)
        with_totp(account)
        codes = backup.backup_codes_make(actor=account)
        for _attempt in range(5):
            with pytest.raises(ValidationFailed):
                backup.backup_code_use(account=account, code="zzzzz-zzzzz", source_ip=support.HOME)

        with pytest.raises(ProblemError) as locked:
            backup.backup_code_use(account=account, code=codes[0], source_ip=support.HOME)

        assert locked.value.status == 429
        assert backup.backup_codes_left(account=account) == 10


class TestInTheBrowser:
    def test_turning_the_app_on_shows_the_codes_once_and_one_logs_in(
        self, binh: Person, outbox: FileSmsSender
    ) -> None:
        client = Client()
        assert password_step(client).status_code == 302
        client.post("/account/totp", {"action": "enrol"})
        account = holder(binh)
        secret = account.totp.secret
        done = client.post("/account/totp", {"action": "confirm", "code": pyotp.TOTP(secret).now()})
        assert done["Location"] == "/account/backup-codes"
        shown = read(client.get("/account/backup-codes").content).texts("code")
        assert len(shown) == 10
        assert read(client.get("/account/backup-codes").content).texts("code") == []  # once

        other = Client()
        assert password_step(other)["Location"] == "/login/second-factor"
        page = other.get("/login/second-factor").content.decode()
        assert 'name="backup_code"' in page
        wrong = other.post(
            "/login/second-factor",
            {"action": "backup", "backup_code": "abcde-fghij"},
            REMOTE_ADDR=support.HOME,
        )
        assert wrong.status_code == 422
        right = other.post(
            "/login/second-factor",
            {"action": "backup", "backup_code": shown[0]},
            REMOTE_ADDR=support.HOME,
        )
        assert right.status_code == 302
        assert other.get("/account/").status_code == 200
        assert backup.backup_codes_left(account=account) == 9
        assert support.AuditEntry.objects.filter(action="identity.backup_code.use").count() == 1


class TestNotices:
    def test_a_login_from_a_new_network_is_told_but_not_the_first(
        self, binh: Person, outbox: FileSmsSender, django_capture_on_commit_callbacks: Any
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):
            assert password_step(Client()).status_code == 302
            assert password_step(Client()).status_code == 302  # the same network again
        assert outbox.messages(BINH_PHONE) == []

        with django_capture_on_commit_callbacks(execute=True):
            assert password_step(Client(), address="192.0.2.77").status_code == 302

        [notice] = outbox.messages(BINH_PHONE)
        assert notice.startswith("nentang e-ID, ")
        assert "thiết bị hoặc mạng chưa từng dùng" in notice

    def test_the_holder_is_told_of_a_lock(
        self, binh: Person, outbox: FileSmsSender, django_capture_on_commit_callbacks: Any
    ) -> None:
        account = holder(binh)

        with django_capture_on_commit_callbacks(execute=True):
            services.account_lock(actor=account, account_id=account.pk, reason="holder_request")

        [notice] = outbox.messages(BINH_PHONE)
        assert "tài khoản định danh điện tử đã bị khóa" in notice


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_one_code_used_in_parallel_logs_in_once() -> None:
    administrative_units()
    services.person_register(**support.binh_form())
    account = Account.objects.get(username=support.BINH_ID)
    with_totp(account)
    code = backup.backup_codes_make(actor=account)[0]
    start = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            start.wait()
            backup.backup_code_use(account=account, code=code)
            result = "ok"
        except ProblemError as error:
            result = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=run) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # Exactly one attempt uses the code. The others find it used (422) or, while five
    # second-factor attempts are in flight or failed, are refused by the lockout (429):
    # which of the two depends on how the threads interleave.
    assert len(outcomes) == 8
    assert outcomes.count("ok") == 1
    assert set(outcomes) - {"ok"} <= {"validation_failed", "login_locked_out"}
    assert backup.backup_codes_left(account=account) == 9
