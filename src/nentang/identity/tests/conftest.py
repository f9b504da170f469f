"""Fixtures of the identity tests: the cast of ``support``, built through the services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nentang.audit.services import security_defaults_install
from nentang.identity import services
from nentang.identity.models import Account, Person
from nentang.identity.services.sms import FileSmsSender, sms_sender_install
from nentang.identity.tests import support


@pytest.fixture(autouse=True)
def _audit_defaults(db: None) -> None:
    """The platform's system row and detection rules (a flush by an earlier
    transactional test empties them)."""
    security_defaults_install()


@pytest.fixture
def admin() -> Account:
    return support.administrator()


@pytest.fixture
def officer(admin: Account) -> Account:
    """Lê Thị Hoa, "canbo.saigon", of UBND phường Sài Gòn: enrolment, identity
    administration and reception."""
    support.agency(admin)
    return support.officer(admin)


@pytest.fixture
def hanoi_officer(admin: Account) -> Account:
    """ "canbo.hoankiem" of UBND phường Hoàn Kiếm (Hà Nội): enrolment for Hà Nội."""
    return support.hanoi_officer(admin)


@pytest.fixture
def an(officer: Account) -> Person:
    """Nguyễn Văn An, registered online and verified to level 2 by canbo.saigon."""
    person = services.person_register(**support.an_form())
    support.verify(person, officer)
    person.refresh_from_db()
    return person


@pytest.fixture
def binh() -> Person:
    """Trần Thị Bình, level 1."""
    return services.person_register(**support.binh_form())


@pytest.fixture
def outbox(tmp_path: object) -> Iterator[FileSmsSender]:
    """The SMS port writing into this test's own folder (read back by the test)."""
    from pathlib import Path

    sender = FileSmsSender(Path(str(tmp_path)) / "sms")
    previous = sms_sender_install(sender)
    yield sender
    sms_sender_install(previous)
