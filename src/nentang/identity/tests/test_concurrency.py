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
