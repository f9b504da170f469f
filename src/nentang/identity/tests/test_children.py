"""The evidence an adult gives to attach a child under 14 (issue 8 item 19): the birth
certificate naming the mother or father, or the guardianship record; an adult only; a
limit on how many children one adult attaches online."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from nentang.identity import services
from nentang.identity.models import Account, Person
from nentang.identity.services.children import CHILDREN_PER_WINDOW
from nentang.identity.services.people import document_reference
from nentang.identity.tests import support
from nentang.kernel.errors import Forbidden, RateLimited, ValidationFailed

pytestmark = pytest.mark.django_db


def register(guardian: Person, serial: int = 790, **changes: Any) -> Person:
    born = support.years_ago(5)
    fields: dict[str, Any] = {
        "id_number": support.id_number_for(born, sex="female", serial=serial),
        "full_name": "Nguyễn Ngọc Hân",
        "date_of_birth": born,
        "sex": "female",
        **support.child_evidence(born),
    }
    fields.update(changes)
    assert guardian.account is not None
    return services.child_register(actor=guardian.account, **fields)


def refused_fields(guardian: Person, **changes: Any) -> list[tuple[str, str]]:
    before = support.snapshot()
    with pytest.raises(ValidationFailed) as caught:
        register(guardian, **changes)
    assert support.snapshot() == before
    return [(e.field, e.code) for e in caught.value.errors]


def test_the_tie_and_a_keyed_hash_of_its_document_are_kept(an: Person) -> None:
    child = register(an, evidence_number=" 123/2021 ")

    stored = Person.objects.get(pk=child.pk)
    assert (stored.guardian_id, stored.guardian_relationship) == (an.pk, "father")
    assert stored.guardian_evidence_type == "birth_certificate"
    assert stored.guardian_evidence_reference == document_reference("birth_certificate", "123/2021")
    assert "123/2021" not in stored.guardian_evidence_reference
    assert stored.guardian_evidence_date == child.date_of_birth + datetime.timedelta(days=7)


def test_a_guardian_gives_the_guardianship_record(an: Person) -> None:
    child = register(an, relationship="guardian", evidence_number="07/2024/TLGH")

    assert child.guardian_evidence_type == "guardianship_record"


def test_without_evidence_every_missing_piece_is_named_and_nothing_is_written(an: Person) -> None:
    assert refused_fields(an, relationship="", evidence_number="", evidence_date=None) == [
        ("relationship", "required"),
        ("evidence_number", "required"),
        ("evidence_date", "required"),
    ]


def test_a_father_cannot_register_as_the_mother(an: Person) -> None:
    assert refused_fields(an, relationship="mother") == [("relationship", "relationship_mismatch")]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"relationship": "uncle"}, [("relationship", "invalid")]),
        ({"evidence_number": "12\x003"}, [("evidence_number", "invalid")]),
        ({"evidence_number": "x" * 31}, [("evidence_number", "invalid")]),
        ({"evidence_number": "<script>"}, [("evidence_number", "invalid")]),
        (
            {"evidence_date": timezone.localdate() + datetime.timedelta(days=1)},
            [("evidence_date", "future")],
        ),
        (
            {"evidence_date": support.years_ago(5) - datetime.timedelta(days=1)},
            [("evidence_date", "before_birth")],
        ),
    ],
)
def test_malformed_evidence_is_refused_field_by_field(
    an: Person, changes: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert refused_fields(an, **changes) == expected


def test_a_level_2_minor_cannot_register_a_child(officer: Account) -> None:
    born = support.years_ago(16)
    teen = services.person_register(
        **support.an_form(
            id_number=support.id_number_for(born, sex="male", serial=791),
            full_name="Nguyễn Minh Khoa",
            date_of_birth=born,
            phone="0903 123 457",
            email="",
        )
    )
    support.verify(teen, officer)
    teen.refresh_from_db()
    before = support.snapshot()

    with pytest.raises(Forbidden) as caught:
        register(teen)

    assert caught.value.code == "guardian_not_adult"
    assert support.snapshot() == before


def test_one_adult_attaches_a_limited_number_of_children_online(an: Person) -> None:
    for n in range(CHILDREN_PER_WINDOW):
        register(an, serial=800 + n)

    with pytest.raises(RateLimited) as caught:
        register(an, serial=899)

    assert caught.value.headers["Retry-After"]
    assert Person.objects.filter(guardian=an).count() == CHILDREN_PER_WINDOW
