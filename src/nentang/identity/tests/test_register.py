"""Online self-registration at level 1: every bad input is a clear field error and
writes nothing; a duplicate ID number is a 409."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.contrib.auth.hashers import check_password

from nentang.identity import services
from nentang.identity.models import Person
from nentang.identity.tests import support
from nentang.kernel.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db


def refused(**changes: Any) -> dict[str, str]:
    """Register with ``changes``; return {field: code} of the 422 and check nothing moved."""
    before = support.snapshot()
    with pytest.raises(ValidationFailed) as caught:
        services.person_register(**support.an_form(**changes))
    assert support.snapshot() == before
    return {error.field: error.code for error in caught.value.errors}


@pytest.mark.argon2  # the production hasher: Argon2id
def test_an_registers_online_at_level_1() -> None:
    person = services.person_register(**support.an_form(full_name="  Nguye\u0302\u0303n   Văn An "))

    assert person.full_name == "Nguyễn Văn An"  # NFC, single spaces
    assert person.full_name_folded == "nguyen van an"
    assert person.level == 1
    assert person.phone == "+84903123456"
    assert (person.province_code, person.commune_code, person.street) == (
        "79",
        "26740",
        "12 Lê Lợi",
    )
    assert person.portrait.name.startswith("portraits/")
    assert person.portrait.name.endswith(".jpg")
    assert person.account is not None
    assert person.account.username == support.AN_ID
    assert person.account.password.startswith("argon2")
    assert check_password(support.PASSWORD, person.account.password)
    entry = support.AuditEntry.objects.get(action="identity.person.register")
    assert entry.subject == str(person.id)
    assert entry.summary == {"level": 1, "channel": "online", "foreigner": False}
    assert support.AN_ID not in str(entry.summary)
    assert entry.actor != str(person.id)  # a keyed pseudonym


@pytest.mark.parametrize(
    ("id_number", "code"),
    [
        ("07909000123", "invalid_length"),
        ("0790900012345", "invalid_length"),
        ("07909000123a", "invalid_length"),
        ("003090001234", "unknown_place_code"),  # 003 was never a province code
        ("079990001234", "birth_year_in_future"),  # G=9: 2300s
    ],
)
def test_malformed_id_numbers_are_refused(id_number: str, code: str) -> None:
    assert refused(id_number=id_number) == {"id_number": code}


def test_a_century_digit_that_disagrees_with_the_birth_date_is_a_field_error() -> None:
    # Century digit 0 = a man born in the 1900s: 1905, not 2005.
    errors = refused(id_number="079005001234", date_of_birth=datetime.date(2005, 5, 15))

    assert errors == {"date_of_birth": "id_number_mismatch"}


def test_a_sex_that_disagrees_with_the_id_number_is_a_field_error() -> None:
    assert refused(sex="female") == {"sex": "id_number_mismatch"}


def test_the_mismatch_message_names_both_years() -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.person_register(**support.an_form(date_of_birth=datetime.date(1991, 5, 15)))
    [error] = caught.value.errors
    assert "1990" in error.message
    assert "1991" in error.message


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"phone": "0281234567"}, {"phone": "invalid_phone"}),  # a landline in HCMC
        ({"phone": "+33 6 12 34 56 78"}, {"phone": "invalid_phone"}),  # a French mobile
        ({"phone": ""}, {"phone": "required"}),
        ({"email": "an@"}, {"email": "invalid_email"}),
        ({"full_name": "  "}, {"full_name": "required"}),
        ({"full_name": "Nguyễn Văn An 2"}, {"full_name": "invalid_characters"}),
        ({"portrait": None}, {"portrait": "required"}),
        ({"portrait": b"GIF89a" + b"\x00" * 20}, {"portrait": "invalid_type"}),
        ({"portrait": b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024)}, {"portrait": "too_large"}),
        ({"sex": "x"}, {"sex": "invalid_choice"}),
        ({"date_of_birth": None}, {"date_of_birth": "required"}),
        (
            {"residence": services.Residence("99", "26740", "12 Lê Lợi")},
            {"province_code": "unknown_province"},
        ),
        (
            {"residence": services.Residence("79", "99999", "12 Lê Lợi")},
            {"commune_code": "unknown_commune"},
        ),
        (
            {"residence": services.Residence("01", "26740", "12 Lê Lợi")},
            {"commune_code": "commune_not_in_province"},
        ),
        ({"residence": services.Residence("79", "26740", " ")}, {"street": "required"}),
        ({"password": "ngắn-quá"}, {"password": "password_too_short"}),
        ({"password": "password1234"}, {"password": "password_too_common"}),
    ],
)
def test_bad_fields_are_refused_with_their_field(
    changes: dict[str, Any], expected: dict[str, str]
) -> None:
    assert refused(**changes) == expected


def test_every_mistake_is_reported_at_once() -> None:
    errors = refused(id_number="003090001234", phone="123", email="x", password="abc")

    assert set(errors) == {"id_number", "phone", "email", "password"}


def test_one_account_per_id_number() -> None:
    services.person_register(**support.an_form())
    before = support.snapshot()

    with pytest.raises(Conflict) as caught:
        services.person_register(**support.an_form(full_name="Nguyễn Văn Ân", phone="0912345678"))

    assert caught.value.code == "id_number_taken"
    assert caught.value.status == 409
    assert support.snapshot() == before


def test_a_citizen_under_14_has_no_own_account() -> None:
    born = support.years_ago(14, days=-1)  # 14 tomorrow
    number = support.id_number_for(born, sex="male")

    errors = refused(id_number=number, date_of_birth=born)

    assert errors == {"date_of_birth": "too_young"}


def test_a_citizen_registers_on_their_14th_birthday() -> None:
    born = support.years_ago(14)
    number = support.id_number_for(born, sex="female", place="001")

    person = services.person_register(
        **support.an_form(id_number=number, date_of_birth=born, sex="female")
    )

    assert person.level == 1


def test_a_foreigner_needs_a_residence_card() -> None:
    born = support.years_ago(30)

    errors = refused(id_number="123456789012", date_of_birth=born, nationality="KR")

    assert errors == {"residence_card_number": "required"}


def test_a_foreigner_registers_from_6_with_a_residence_card() -> None:
    born = support.years_ago(6)

    person = services.person_register(
        **support.an_form(
            id_number="123456789012",
            full_name="Kim Min-jun",
            date_of_birth=born,
            nationality="kr",
            residence_card_number="tt 0123456",
        )
    )

    assert (person.nationality, person.residence_card_number) == ("KR", "TT0123456")


def test_a_foreigner_under_6_is_refused() -> None:
    born = support.years_ago(6, days=-1)

    errors = refused(
        id_number="123456789012",
        date_of_birth=born,
        nationality="KR",
        residence_card_number="TT0123456",
    )

    assert errors == {"date_of_birth": "too_young"}


def test_a_foreigner_number_must_be_12_digits() -> None:
    errors = refused(
        id_number="AB1234567",
        date_of_birth=support.years_ago(30),
        nationality="KR",
        residence_card_number="TT0123456",
    )

    assert errors == {"id_number": "invalid_length"}


def test_a_refused_registration_leaves_no_portrait_file(tmp_path: Any, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path
    services.person_register(**support.an_form())
    files_before = sorted(p.name for p in tmp_path.rglob("*") if p.is_file())

    with pytest.raises(Conflict):
        services.person_register(**support.an_form())

    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == files_before
    assert Person.objects.count() == 1
