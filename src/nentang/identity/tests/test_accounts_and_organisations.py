"""Locking and unlocking with their permissions and history; organisations with a valid
tax code and a level-2 legal representative; agencies and officers. Each refusal
writes nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from nentang.identity import selectors, services
from nentang.identity.models import Account, Person
from nentang.identity.tests import support
from nentang.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def account_of(person: Person) -> Account:
    assert person.account is not None
    return person.account


def refused(error: type[Exception], call: Any, **kwargs: Any) -> Any:
    before = support.snapshot()
    with pytest.raises(error) as caught:
        call(**kwargs)
    assert support.snapshot() == before
    return caught.value


# --- lock and unlock ---------------------------------------------------------------


def test_the_holder_locks_their_own_account(an: Person) -> None:
    account = account_of(an)

    event = services.account_lock(actor=account, account_id=account.pk, reason="holder_request")

    account.refresh_from_db()
    assert (account.is_locked, account.lock_reason) == (True, "holder_request")
    assert (event.by_holder, event.by_officer) == (True, None)
    assert [e.action for e in selectors.account_lock_history(account=account)] == ["lock"]
    entry = support.AuditEntry.objects.get(action="identity.account.lock")
    assert entry.summary["by"] == "holder"


def test_a_holder_cannot_give_an_officers_reason_or_unlock(an: Person) -> None:
    account = account_of(an)
    error = refused(
        ValidationFailed,
        services.account_lock,
        actor=account,
        account_id=account.pk,
        reason="deceased",
    )
    assert [(e.field, e.code) for e in error.errors] == [("reason", "invalid_choice")]

    services.account_lock(actor=account, account_id=account.pk, reason="holder_request")
    error = refused(Forbidden, services.account_unlock, actor=account, account_id=account.pk)
    assert error.code == "officer_role_required"


def test_a_citizen_cannot_lock_someone_else(an: Person, binh: Person) -> None:
    error = refused(
        Forbidden,
        services.account_lock,
        actor=account_of(binh),
        account_id=account_of(an).pk,
        reason="holder_request",
    )
    assert error.code == "officer_role_required"


def test_an_identity_admin_locks_and_unlocks_within_the_ward(officer: Account, an: Person) -> None:
    account = account_of(an)

    services.account_lock(actor=officer, account_id=account.pk, reason="id_revoked", note="Thu hồi")
    services.account_unlock(actor=officer, account_id=account.pk, note="Cấp lại CCCD")

    account.refresh_from_db()
    assert (account.is_locked, account.lock_reason) == (False, "")
    history = list(selectors.account_lock_history(account=account))
    assert [(e.action, e.reason, e.note) for e in history] == [
        ("lock", "id_revoked", "Thu hồi"),
        ("unlock", "id_revoked", "Cấp lại CCCD"),
    ]
    assert all(e.by_officer is not None and e.by_officer.account == officer for e in history)


def test_an_identity_admin_of_another_ward_is_refused(admin: Account, an: Person) -> None:
    support.agency(admin, code="ubnd-phuong-ben-thanh", commune="26743")
    other = support.officer(admin, username="canbo.benthanh", agency_code="ubnd-phuong-ben-thanh")

    error = refused(
        Forbidden,
        services.account_lock,
        actor=other,
        account_id=account_of(an).pk,
        reason="officer_action",
    )

    assert error.code == "outside_agency_area"


def test_locking_twice_and_unlocking_an_open_account_are_conflicts(
    officer: Account, an: Person
) -> None:
    account = account_of(an)
    error = refused(Conflict, services.account_unlock, actor=officer, account_id=account.pk)
    assert error.code == "account_not_locked"

    services.account_lock(actor=officer, account_id=account.pk, reason="officer_action")
    error = refused(
        Conflict, services.account_lock, actor=officer, account_id=account.pk, reason="deceased"
    )
    assert error.code == "account_already_locked"


def test_an_unknown_account_is_not_found(officer: Account) -> None:
    import uuid

    error = refused(
        NotFound,
        services.account_lock,
        actor=officer,
        account_id=uuid.uuid4(),
        reason="officer_action",
    )
    assert error.code == "account_not_found"


# --- organisations -----------------------------------------------------------------


def organisation_form(**changes: Any) -> dict[str, Any]:
    form: dict[str, Any] = {
        "tax_code": "0300588569",
        "name": "Công ty TNHH Bánh mì Sài Gòn",
        "short_name": "Bánh mì SG",
        "established_on": datetime.date(2015, 3, 2),
        "province_code": "79",
        "commune_code": "26740",
        "street": "45 Lê Thánh Tôn",
        "password": support.PASSWORD,
    }
    form.update(changes)
    return form


def test_a_level_2_representative_registers_the_organisation(an: Person) -> None:
    organisation = services.organisation_register(actor=account_of(an), **organisation_form())

    assert organisation.legal_representative == an
    assert organisation.account is not None
    assert organisation.account.username == "0300588569"
    assert organisation.account.kind == Account.Kind.ORGANISATION
    assert (
        services.login_authenticate(
            login="0300588569", password=support.PASSWORD, source_ip=support.HOME
        )
        == organisation.account
    )


def test_a_branch_keeps_its_suffix(an: Person) -> None:
    organisation = services.organisation_register(
        actor=account_of(an), **organisation_form(tax_code="0100109106-001")
    )
    assert organisation.tax_code == "0100109106-001"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"tax_code": "0300588568"}, "tax_code", "invalid_check_digit"),
        ({"tax_code": "030058856"}, "tax_code", "invalid_format"),
        ({"tax_code": "0100109106-01"}, "tax_code", "invalid_format"),
        ({"name": " "}, "name", "required"),
        ({"established_on": datetime.date(2999, 1, 1)}, "established_on", "in_future"),
        ({"commune_code": "00070"}, "commune_code", "commune_not_in_province"),
    ],
)
def test_bad_organisation_fields_are_refused(
    an: Person, changes: dict[str, Any], field: str, code: str
) -> None:
    error = refused(
        ValidationFailed,
        services.organisation_register,
        actor=account_of(an),
        **organisation_form(**changes),
    )
    assert [(e.field, e.code) for e in error.errors] == [(field, code)]


def test_a_level_1_person_cannot_represent_an_organisation(binh: Person) -> None:
    error = refused(
        Forbidden, services.organisation_register, actor=account_of(binh), **organisation_form()
    )
    assert error.code == "level2_required"


def test_one_account_per_tax_code(an: Person) -> None:
    services.organisation_register(actor=account_of(an), **organisation_form())
    error = refused(
        Conflict, services.organisation_register, actor=account_of(an), **organisation_form()
    )
    assert error.code == "tax_code_taken"


# --- agencies and officers ---------------------------------------------------------


def test_only_administrators_create_agencies(officer: Account) -> None:
    error = refused(
        Forbidden,
        services.agency_create,
        actor=officer,
        code="so-tu-phap-hcm",
        name="Sở Tư pháp TP Hồ Chí Minh",
        kind="department",
        province_code="79",
    )
    assert error.code == "administrator_required"


def test_a_provincial_agency_covers_its_province(admin: Account, binh: Person) -> None:
    agency = services.agency_create(
        actor=admin,
        code="so-tu-phap-ha-noi",
        name="Sở Tư pháp Hà Nội",
        kind="department",
        province_code="01",
    )
    assert agency.commune_code == ""
    head = support.officer(
        admin, username="canbo.sotuphap", roles=("identity_admin",), agency_code=agency.code
    )

    services.account_lock(actor=head, account_id=account_of(binh).pk, reason="officer_action")


def test_agency_codes_and_places_are_checked(admin: Account) -> None:
    error = refused(
        ValidationFailed,
        services.agency_create,
        actor=admin,
        code="UBND Sài Gòn",
        name="UBND phường Sài Gòn",
        kind="peoples_committee",
        province_code="79",
        commune_code="00070",
    )
    assert {(e.field, e.code) for e in error.errors} == {
        ("code", "invalid_format"),
        ("commune_code", "commune_not_in_province"),
    }


def test_an_identity_admin_adds_officers_to_their_own_agency_only(
    admin: Account, officer: Account
) -> None:
    added = services.officer_create(
        actor=officer,
        agency_code="ubnd-phuong-sai-gon",
        username="motcua.saigon",
        password=support.OFFICER_PASSWORD,
        full_name="Phạm Minh Đức",
        roles=["reception"],
    )
    assert added.agency.code == "ubnd-phuong-sai-gon"

    support.agency(admin, code="ubnd-phuong-ben-thanh", commune="26743")
    error = refused(
        Forbidden,
        services.officer_create,
        actor=officer,
        agency_code="ubnd-phuong-ben-thanh",
        username="motcua.benthanh",
        password=support.OFFICER_PASSWORD,
        full_name="Phạm Minh Đức",
        roles=["reception"],
    )
    assert error.code == "administrator_required"


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"username": "079090001234"}, "username", "invalid_format"),
        ({"roles": ["mayor"]}, "roles", "invalid_choice"),
        ({"roles": []}, "roles", "required"),
        ({"password": "qwertyuiop12"}, "password", "password_too_common"),
    ],
)
def test_bad_officer_fields_are_refused(
    admin: Account, officer: Account, changes: dict[str, Any], field: str, code: str
) -> None:
    form: dict[str, Any] = {
        "agency_code": "ubnd-phuong-sai-gon",
        "username": "motcua.saigon",
        "password": support.OFFICER_PASSWORD,
        "full_name": "Phạm Minh Đức",
        "roles": ["reception"],
    }
    form.update(changes)
    error = refused(ValidationFailed, services.officer_create, actor=admin, **form)
    assert (field, code) in {(e.field, e.code) for e in error.errors}


def test_a_staff_login_is_taken_once(admin: Account, officer: Account) -> None:
    error = refused(
        Conflict,
        services.officer_create,
        actor=admin,
        agency_code="ubnd-phuong-sai-gon",
        username="canbo.saigon",
        password=support.OFFICER_PASSWORD,
        full_name="Lê Thị Hoa",
        roles=["reception"],
    )
    assert error.code == "login_taken"
