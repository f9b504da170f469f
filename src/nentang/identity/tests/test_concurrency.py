"""Two simultaneous registrations of one ID number on PostgreSQL: exactly one account,
the other a 409 (the unique index decides; the loser's transaction rolls back whole)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection

from nentang.audit.services import security_defaults_install
from nentang.identity import services
from nentang.identity.models import Account, Person
from nentang.identity.tests import support
from nentang.identity.tests.support import administrative_units
from nentang.kernel.errors import Conflict

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def test_two_registrations_of_one_id_number_make_one_account() -> None:
    administrative_units()  # an earlier transactional test's flush may have emptied them
    security_defaults_install()
    start = threading.Barrier(2)
    outcomes: list[Any] = []
    lock = threading.Lock()

    def register(phone: str) -> None:
        try:
            start.wait()
            person = services.person_register(**support.an_form(phone=phone))
            result: Any = person.id
        except Conflict as error:
            result = error.code
        except Exception as error:
            result = repr(error)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [
        threading.Thread(target=register, args=(phone,)) for phone in ("0903123456", "0912345678")
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes, key=str).count("id_number_taken") == 1, outcomes
    assert Person.objects.filter(id_number=support.AN_ID).count() == 1
    assert Account.objects.filter(username=support.AN_ID).count() == 1
    assert support.AuditEntry.objects.filter(action="identity.person.register").count() == 1


def test_parallel_guesses_of_a_registration_code_stop_at_five(tmp_path: Any) -> None:
    """Eight wrong codes at once: the row lock counts them one by one, so exactly five
    are judged and the rest find the registration locked; then two right codes at once
    make one account (issue 8 item 6)."""
    from pathlib import Path

    from nentang.identity.models import PendingRegistration
    from nentang.identity.services import registration
    from nentang.identity.services.sms import FileSmsSender, sms_sender_install
    from nentang.kernel.errors import ValidationFailed

    administrative_units()
    security_defaults_install()
    outbox = FileSmsSender(Path(str(tmp_path)))
    previous = sms_sender_install(outbox)
    try:
        form = support.binh_form()
        pending = registration.registration_start(**form)
        sms = outbox.messages("+84987654321")[-1]
        right = next(w.strip(",.") for w in sms.split() if w.strip(",.").isdigit())
        outcomes: list[Any] = []
        lock = threading.Lock()

        def guess(code: str, barrier: threading.Barrier) -> None:
            try:
                barrier.wait()
                registration.registration_confirm(pending_id=pending.id, code=code)
                result: Any = "created"
            except ValidationFailed as error:
                result = error.errors[0].code
            except Exception as error:
                result = repr(error)
            finally:
                connection.close()
            with lock:
                outcomes.append(result)

        def run(codes: list[str]) -> None:
            barrier = threading.Barrier(len(codes))
            threads = [threading.Thread(target=guess, args=(c, barrier)) for c in codes]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)

        wrong = f"{(int(right) + 1) % 10**6:06d}"
        run([wrong] * 8)
        assert outcomes.count("wrong_code") == 5, outcomes
        assert outcomes.count("locked") == 3, outcomes
        assert PendingRegistration.objects.get(id=pending.id).attempts == 5

        # A fresh registration: two right codes at once make one account.
        PendingRegistration.objects.all().delete()
        pending = registration.registration_start(**support.binh_form())
        sms = outbox.messages("+84987654321")[-1]
        right = next(w.strip(",.") for w in sms.split() if w.strip(",.").isdigit())
        outcomes.clear()
        run([right, right])
        assert sorted(map(str, outcomes)) == ["created", "expired"], outcomes
        assert Person.objects.filter(id_number=support.BINH_ID).count() == 1
    finally:
        sms_sender_install(previous)
