"""The holder changes the phone or e-mail of their e-ID online (issue 9, "Citizens"):
the current password, a code to the NEW contact, a notice to the OLD one; codes
expire and allow 5 tries; another person's contact gives the same pages; nothing
within the cooling-off day after an online recovery."""

from __future__ import annotations

import datetime
import re
import threading
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.utils import timezone
from tests.support.html import read

from nentang.identity import services
from nentang.identity.models import Account, ContactChange, LoginThrottle, Person
from nentang.identity.services import contacts
from nentang.identity.services.sms import FileSmsSender, sms_sender_install
from nentang.identity.services.throttling import login_key
from nentang.identity.tests import support
from nentang.identity.tests.support import administrative_units
from nentang.kernel.errors import Conflict, RateLimited, ValidationFailed

BINH_PHONE = "+84987654321"
AN_PHONE = "+84903123456"
NEW_PHONE = "+84912345678"


def code_in(text: str) -> str:
    found = re.search(r"\b(\d{6})\b", text)
    assert found, text
    return found.group(1)


def fields(problem: ValidationFailed) -> dict[str, str]:
    return {error.field: error.code for error in problem.errors}


def holder(person: Person) -> Account:
    assert person.account is not None
    return Account.objects.get(pk=person.account.pk)


def ask(person: Person, value: str = "0912 345 678", kind: str = "phone", **more: Any) -> Any:
    arguments: dict[str, Any] = {
        "actor": holder(person),
        "kind": kind,
        "value": value,
        "password": support.PASSWORD,
        "source_ip": support.HOME,
    }
    arguments.update(more)
    return contacts.contact_change_start(**arguments)


def logged_in(login: str = support.BINH_ID) -> Client:
    client = Client()
    response = client.post(
        "/login", {"login": login, "password": support.PASSWORD}, REMOTE_ADDR=support.HOME
    )
    assert response.status_code == 302, response.content[:400]
    return client


class TestInTheBrowser:
    def test_binh_moves_her_phone_and_the_old_one_is_told(
        self, binh: Person, outbox: FileSmsSender, django_capture_on_commit_callbacks: Any
    ) -> None:
        client = logged_in()
        overview = read(client.get("/account/").content)
        assert "/account/phone" in overview.hrefs()
        assert "/account/email" in overview.hrefs()

        asked = client.post(
            "/account/phone",
            {"phone": "0912 345 678", "password": support.PASSWORD},
            REMOTE_ADDR=support.HOME,
        )
        assert asked.status_code == 302
        assert asked["Location"] == "/account/contact/confirm"
        page = read(client.get("/account/contact/confirm").content)
        assert "+849******78" in " ".join(page.texts("p"))
        code = code_in(outbox.messages(NEW_PHONE)[-1])
        assert Person.objects.get(pk=binh.pk).phone == BINH_PHONE  # nothing yet

        with django_capture_on_commit_callbacks(execute=True):
            done = client.post("/account/contact/confirm", {"code": code}, REMOTE_ADDR=support.HOME)

        assert done.status_code == 302
        assert done["Location"] == "/account/"
        assert Person.objects.get(pk=binh.pk).phone == NEW_PHONE
        notice = outbox.messages(BINH_PHONE)[-1]
        assert "+849******78" in notice
        assert code not in notice
        assert outbox.messages(NEW_PHONE) == [outbox.messages(NEW_PHONE)[0]]  # only the code
        actions = list(
            support.AuditEntry.objects.filter(action__startswith="identity.contact.").values_list(
                "action", flat=True
            )
        )
        assert sorted(actions) == ["identity.contact.change", "identity.contact.change_start"]
        assert support.SecurityEvent.objects.filter(kind="account.contact_changed").count() == 1
        assert "0912 345 678" in client.get("/account/").content.decode()

    def test_an_changes_his_e_mail_after_his_second_factor(
        self, an: Person, outbox: FileSmsSender, django_capture_on_commit_callbacks: Any
    ) -> None:
        account = holder(an)
        enrolment = services.totp_enrol(actor=account)
        totp = pyotp.TOTP(enrolment.secret)
        services.totp_confirm(actor=account, code=totp.now())
        client = Client()
        client.force_login(account)  # a session that has not shown the second factor
        # The page asks for the second factor first.
        assert client.get("/account/email")["Location"].startswith("/login/second-factor")
        assert client.post("/account/email", {})["Location"].startswith("/login/second-factor")
        # The code that confirmed the app is spent; let this step's code count again.
        account.totp.last_step = 0
        account.totp.save(update_fields=["last_step"])
        stepped = client.post(
            "/login/second-factor", {"code": totp.now()}, REMOTE_ADDR=support.HOME
        )
        assert stepped.status_code == 302
        mail.outbox.clear()

        asked = client.post(
            "/account/email",
            {"email": "An.Nguyen@Mail.Example.VN", "password": support.PASSWORD},
            REMOTE_ADDR=support.HOME,
        )
        assert asked.status_code == 302
        sent = mail.outbox[-1]
        assert sent.to == ["An.Nguyen@mail.example.vn"]
        with django_capture_on_commit_callbacks(execute=True):
            done = client.post(
                "/account/contact/confirm",
                {"code": code_in(str(sent.body))},
                REMOTE_ADDR=support.HOME,
            )

        assert done.status_code == 302
        assert Person.objects.get(pk=an.pk).email == "An.Nguyen@mail.example.vn"
        notices = [message for message in mail.outbox if message.to == ["an.nguyen@example.vn"]]
        assert len(notices) == 1
        assert "A*******n@mail.example.vn" in str(notices[0].body)
        assert "A*******n@mail.example.vn" in outbox.messages(AN_PHONE)[-1]

    def test_mistakes_show_at_their_fields_and_change_nothing(
        self, binh: Person, outbox: FileSmsSender
    ) -> None:
        client = logged_in()
        before = support.snapshot()

        response = client.post(
            "/account/phone", {"phone": "12", "password": ""}, REMOTE_ADDR=support.HOME
        )

        assert response.status_code == 400
        html = response.content.decode()
        assert html.count('class="error-summary"') == 1
        assert 'href="#id_phone"' in html
        assert 'href="#id_password"' in html
        assert not ContactChange.objects.exists()
        assert support.snapshot() == before

    def test_a_wrong_password_is_a_field_error_and_a_failed_login(
        self, binh: Person, outbox: FileSmsSender
    ) -> None:
        client = logged_in()

        response = client.post(
            "/account/phone",
            {"phone": "0912 345 678", "password": "not-the-password-2026"},
            REMOTE_ADDR=support.HOME,
        )

        assert response.status_code == 422
        assert "mật khẩu" in " ".join(read(response.content).texts("li")).lower()
        assert not ContactChange.objects.exists()
        assert outbox.messages(NEW_PHONE) == []
        assert LoginThrottle.objects.get(login_key=login_key(support.BINH_ID)).failures == 1

    def test_a_staff_account_has_no_contact_pages(self, officer: Account) -> None:
        client = Client()
        client.force_login(officer)
        session = client.session
        session["identity.second_factor"] = "totp"
        session.save()
        assert client.get("/account/phone").status_code in (302, 404)

    def test_the_confirm_page_without_a_request_says_so(self, binh: Person) -> None:
        client = logged_in()
        page = client.get("/account/contact/confirm")
        assert page.status_code == 200
        assert 'name="code"' not in page.content.decode()
        refused = client.post("/account/contact/confirm", {"code": "123456"})
        assert refused.status_code == 409


class TestTheService:
    def test_a_wrong_code_then_the_right_one(self, binh: Person, outbox: FileSmsSender) -> None:
        change = ask(binh)
        right = code_in(outbox.messages(NEW_PHONE)[-1])
        wrong = f"{(int(right) + 1) % 10**6:06d}"

        with pytest.raises(ValidationFailed) as refused:
            contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=wrong)
        assert fields(refused.value) == {"code": "wrong_code"}
        assert "4" in str(refused.value.errors[0].message)
        contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=right)

        assert Person.objects.get(pk=binh.pk).phone == NEW_PHONE
        with pytest.raises(ValidationFailed) as again:
            contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=right)
        assert fields(again.value) == {"code": "expired"}

    def test_an_expired_code_changes_nothing(self, binh: Person, outbox: FileSmsSender) -> None:
        change = ask(binh)
        right = code_in(outbox.messages(NEW_PHONE)[-1])
        ContactChange.objects.filter(pk=change.pk).update(
            expires_at=timezone.now() - datetime.timedelta(seconds=1)
        )

        with pytest.raises(ValidationFailed) as refused:
            contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=right)

        assert fields(refused.value) == {"code": "expired"}
        assert Person.objects.get(pk=binh.pk).phone == BINH_PHONE

    def test_five_wrong_codes_end_the_request(self, binh: Person, outbox: FileSmsSender) -> None:
        change = ask(binh)
        right = code_in(outbox.messages(NEW_PHONE)[-1])
        wrong = f"{(int(right) + 1) % 10**6:06d}"
        for _try in range(4):
            with pytest.raises(ValidationFailed):
                contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=wrong)
        with pytest.raises(ValidationFailed) as fifth:
            contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=wrong)
        assert fields(fifth.value) == {"code": "locked"}

        with pytest.raises(ValidationFailed) as after:
            contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=right)

        assert fields(after.value) == {"code": "locked"}
        assert Person.objects.get(pk=binh.pk).phone == BINH_PHONE
        assert support.SecurityEvent.objects.filter(kind="contact_change.code_locked").count() == 1
        assert contacts.contact_change_pending(actor=holder(binh), change_id=change.id) is None

    def test_another_persons_request_id_is_expired_for_them(
        self, an: Person, binh: Person, outbox: FileSmsSender
    ) -> None:
        change = ask(binh)
        right = code_in(outbox.messages(NEW_PHONE)[-1])

        with pytest.raises(ValidationFailed) as refused:
            contacts.contact_change_confirm(actor=holder(an), change_id=change.id, code=right)

        assert fields(refused.value) == {"code": "expired"}
        assert Person.objects.get(pk=an.pk).phone == AN_PHONE
        assert ContactChange.objects.get(pk=change.pk).attempts == 0
        assert contacts.contact_change_pending(actor=holder(an), change_id=change.id) is None
        # … and through the page: An's session holding Bình's id changes nothing.
        client = logged_in(support.AN_ID)
        client.force_login(holder(an))
        session = client.session
        session["identity.contact_change"] = str(change.id)
        session["identity.second_factor"] = "totp"
        session.save()
        page = client.post("/account/contact/confirm", {"code": right})
        assert page.status_code == 422
        assert Person.objects.get(pk=binh.pk).phone == BINH_PHONE

    def test_a_number_of_another_e_id_gives_the_same_answers_and_no_code(
        self, an: Person, binh: Person, outbox: FileSmsSender
    ) -> None:
        change = ask(binh, value="0903 123 456")  # An's phone

        assert isinstance(change, ContactChange)
        message = outbox.messages(AN_PHONE)[-1]
        assert not re.search(r"\b\d{6}\b", message)
        for guess in ("000000", "123456"):
            with pytest.raises(ValidationFailed) as refused:
                contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=guess)
            assert fields(refused.value) == {"code": "wrong_code"}
        assert Person.objects.get(pk=binh.pk).phone == BINH_PHONE

    def test_the_same_pages_for_a_taken_number(
        self, an: Person, binh: Person, outbox: FileSmsSender
    ) -> None:
        pages = []
        for number in ("0903 123 456", "0912 345 678"):
            client = logged_in()
            asked = client.post(
                "/account/phone",
                {"phone": number, "password": support.PASSWORD},
                REMOTE_ADDR=support.HOME,
            )
            assert asked.status_code == 302
            page = read(client.get("/account/contact/confirm").content)
            pages.append([text for text in page.texts("p") if "*" not in text])
        assert pages[0] == pages[1]

    def test_the_old_number_and_the_same_number_are_field_errors(self, binh: Person) -> None:
        with pytest.raises(ValidationFailed) as same:
            ask(binh, value="0987 654 321")
        assert fields(same.value) == {"phone": "unchanged"}
        with pytest.raises(ValidationFailed) as bad:
            ask(binh, value="not-an-address", kind="email", password="")
        assert fields(bad.value) == {"email": "invalid_email", "password": "required"}
        assert not ContactChange.objects.exists()

    def test_a_new_request_ends_the_earlier_one(self, binh: Person, outbox: FileSmsSender) -> None:
        first = ask(binh)
        first_code = code_in(outbox.messages(NEW_PHONE)[-1])
        ask(binh, value="0912 345 679")

        with pytest.raises(ValidationFailed) as refused:
            contacts.contact_change_confirm(actor=holder(binh), change_id=first.id, code=first_code)

        assert fields(refused.value) == {"code": "expired"}

    def test_five_requests_a_day(self, binh: Person, outbox: FileSmsSender) -> None:
        for serial in range(5):
            ask(binh, value=f"0912 345 67{serial}")

        with pytest.raises(RateLimited):
            ask(binh, value="0912 345 679")

        assert ContactChange.objects.count() == 5
        assert outbox.messages("+84912345679") == []

    def test_no_change_in_the_cooling_off_day_after_a_recovery(
        self, binh: Person, outbox: FileSmsSender
    ) -> None:
        change = ask(binh)
        right = code_in(outbox.messages(NEW_PHONE)[-1])
        Account.objects.filter(pk=holder(binh).pk).update(recovered_at=timezone.now())

        with pytest.raises(Conflict) as waiting:
            ask(binh, value="0912 345 679")
        assert waiting.value.code == "recovery_cooling_off"
        with pytest.raises(Conflict):
            contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=right)

        assert Person.objects.get(pk=binh.pk).phone == BINH_PHONE
        Account.objects.filter(pk=holder(binh).pk).update(
            recovered_at=timezone.now() - datetime.timedelta(hours=25)
        )
        contacts.contact_change_confirm(actor=holder(binh), change_id=change.id, code=right)
        assert Person.objects.get(pk=binh.pk).phone == NEW_PHONE


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_confirms_stop_at_five_and_one_code_switches_once(tmp_path: Any) -> None:
    """Eight wrong codes at once: exactly five are judged, three find the request
    locked; then two right codes at once: one switches, the other finds it used."""
    from nentang.audit.services import security_defaults_install

    administrative_units()
    security_defaults_install()
    outbox = FileSmsSender(Path(str(tmp_path)))
    previous = sms_sender_install(outbox)
    try:
        binh = services.person_register(**support.binh_form())
        outcomes: list[Any] = []
        lock = threading.Lock()

        def guess(change_id: Any, code: str, barrier: threading.Barrier) -> None:
            try:
                barrier.wait()
                contacts.contact_change_confirm(actor=holder(binh), change_id=change_id, code=code)
                result: Any = "switched"
            except ValidationFailed as error:
                result = error.errors[0].code
            except Exception as error:
                result = repr(error)
            finally:
                connection.close()
            with lock:
                outcomes.append(result)

        def run(change_id: Any, codes: list[str]) -> None:
            barrier = threading.Barrier(len(codes))
            threads = [
                threading.Thread(target=guess, args=(change_id, code, barrier)) for code in codes
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)

        change = ask(binh)
        right = code_in(outbox.messages(NEW_PHONE)[-1])
        run(change.id, [f"{(int(right) + 1) % 10**6:06d}"] * 8)
        assert outcomes.count("wrong_code") == 4, outcomes
        assert outcomes.count("locked") == 4, outcomes  # the fifth wrong one and three after
        assert ContactChange.objects.get(pk=change.pk).attempts == 5

        outcomes.clear()
        change = ask(binh, value="0912 345 679")
        right = code_in(outbox.messages("+84912345679")[-1])
        run(change.id, [right, right])
        assert sorted(map(str, outcomes)) == ["expired", "switched"], outcomes
        assert Person.objects.get(pk=binh.pk).phone == "+84912345679"
        assert support.AuditEntry.objects.filter(action="identity.contact.change").count() == 1
    finally:
        sms_sender_install(previous)
