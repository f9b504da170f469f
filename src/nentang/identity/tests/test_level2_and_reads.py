"""Level 2 in person by an enrolment officer; officers' reads are logged for the person;
children attached to a level-2 guardian. Each refusal writes nothing."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from nentang.identity import selectors, services
from nentang.identity.models import Account, DataUsage, LevelVerification, Person
from nentang.identity.tests import support
from nentang.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed

pytestmark = pytest.mark.django_db


def test_an_enrolment_officer_verifies_a_person_to_level_2(
    hanoi_officer: Account, binh: Person
) -> None:
    verification = support.verify(binh, hanoi_officer)

    binh.refresh_from_db()
    assert binh.level == 2
    assert verification.agency.code == "ubnd-phuong-hoan-kiem"
    assert verification.fingerprint_attested is True
    assert verification.document_reference != support.BINH_ID  # a keyed hash, not the number
    assert len(verification.document_reference) == 64
    entry = support.AuditEntry.objects.get(action="identity.person.verify_level2")
    assert entry.summary == {"agency": "ubnd-phuong-hoan-kiem", "document_type": "citizen_id_card"}


def test_an_enrolment_officer_raises_only_residents_of_the_agencys_province(
    officer: Account, binh: Person
) -> None:
    """Issue 8 item 19: canbo.saigon (TP Hồ Chí Minh) raised Hà Nội residents too."""
    error = verify_refused(Forbidden, officer, binh)

    assert error.code == "outside_agency_area"
    binh.refresh_from_db()
    assert binh.level == 1
    denial = support.SecurityEvent.objects.get(kind="authz.denied")
    assert denial.detail == {"reason": "outside_agency_area"}


def verify_refused(error: type[Exception], by: Account, person: Person, **changes: Any) -> Any:
    form: dict[str, Any] = {
        "place": "Bộ phận một cửa",
        "document_type": "citizen_id_card",
        "document_number": person.id_number,
        "fingerprint_attested": True,
    }
    form.update(changes)
    before = support.snapshot()
    with pytest.raises(error) as caught:
        services.person_verify_level2(actor=by, person_id=person.id, **form)
    assert support.snapshot() == before
    return caught.value


def test_level_2_needs_the_fingerprint_attestation(hanoi_officer: Account, binh: Person) -> None:
    error = verify_refused(ValidationFailed, hanoi_officer, binh, fingerprint_attested=False)

    assert [(e.field, e.code) for e in error.errors] == [("fingerprint_attested", "required")]
    binh.refresh_from_db()
    assert binh.level == 1


def test_a_citizen_card_must_be_the_persons_own(hanoi_officer: Account, binh: Person) -> None:
    error = verify_refused(ValidationFailed, hanoi_officer, binh, document_number=support.AN_ID)

    assert [(e.field, e.code) for e in error.errors] == [("document_number", "document_mismatch")]


def test_only_enrolment_officers_verify(admin: Account, binh: Person) -> None:
    support.agency(admin)
    reception = support.officer(admin, username="motcua.saigon", roles=("reception",))

    error = verify_refused(Forbidden, reception, binh)

    assert error.code == "officer_role_required"
    denial = support.SecurityEvent.objects.get(kind="authz.denied")
    assert denial.subject == "identity.person.verify_level2"


def test_a_citizen_cannot_verify_anyone(an: Person, binh: Person) -> None:
    assert an.account is not None
    assert verify_refused(Forbidden, an.account, binh).code == "officer_role_required"


def test_level_2_happens_once(officer: Account, an: Person) -> None:
    assert verify_refused(Conflict, officer, an).code == "person_already_level2"


def test_an_officers_read_is_logged_for_the_person(officer: Account, an: Person) -> None:
    found = services.person_find_by_id_number(
        actor=officer,
        id_number=support.AN_ID,
        purpose="Tiếp nhận hồ sơ đăng ký khai sinh",
        fields=["full_name", "date_of_birth", "address"],
    )

    assert found == an
    [usage] = selectors.data_usage_for(person=an)
    assert usage.kind == DataUsage.Kind.OFFICER_READ
    assert usage.fields == ["full_name", "date_of_birth", "address"]
    assert usage.purpose == "Tiếp nhận hồ sơ đăng ký khai sinh"
    assert usage.agency is not None
    assert usage.agency.code == "ubnd-phuong-sai-gon"
    assert usage.officer is not None
    assert usage.officer.full_name == "Lê Thị Hoa"
    entry = support.AuditEntry.objects.get(action="identity.person.read")
    assert entry.subject == str(an.id)
    assert entry.summary == {
        "agency": "ubnd-phuong-sai-gon",
        "fields": ["full_name", "date_of_birth", "address"],
        "by": "id_number",
    }


@pytest.mark.parametrize(
    ("changes", "field", "code"),
    [
        ({"purpose": ""}, "purpose", "required"),
        ({"id_number": "0790900012"}, "id_number", "invalid_length"),
        ({"fields": ["blood_type"]}, "fields", "invalid_choice"),
    ],
)
def test_a_read_needs_a_purpose_and_known_fields(
    officer: Account, an: Person, changes: dict[str, Any], field: str, code: str
) -> None:
    form: dict[str, Any] = {"id_number": support.AN_ID, "purpose": "Tra cứu"}
    form.update(changes)
    before = support.snapshot()

    with pytest.raises(ValidationFailed) as caught:
        services.person_find_by_id_number(actor=officer, **form)

    assert [(e.field, e.code) for e in caught.value.errors] == [(field, code)]
    assert support.snapshot() == before


def test_an_unknown_id_number_is_not_found_and_logs_nothing(officer: Account) -> None:
    before = support.snapshot()

    with pytest.raises(NotFound) as caught:
        services.person_find_by_id_number(
            actor=officer, id_number="079090009999", purpose="Tra cứu"
        )

    assert caught.value.code == "person_not_found"
    assert support.snapshot() == before


def test_processing_officers_and_citizens_cannot_look_people_up(
    admin: Account, an: Person, binh: Person
) -> None:
    processing = support.officer(admin, username="xuly.saigon", roles=("processing",))
    assert binh.account is not None
    for actor in (processing, binh.account):
        before = support.snapshot()
        with pytest.raises(Forbidden) as caught:
            services.person_find_by_id_number(actor=actor, id_number=support.AN_ID, purpose="Tò mò")
        assert caught.value.code == "officer_role_required"
        assert support.snapshot() == before


def test_a_release_to_a_service_is_logged(an: Person) -> None:
    services.data_usage_record(
        person_id=an.id,
        client_id="demo-portal",
        client_name="Cổng dịch vụ công (demo)",
        fields=["full_name", "id_number"],
        purpose="Đăng nhập bằng định danh điện tử",
    )

    [usage] = selectors.data_usage_for(person=an)
    assert (usage.kind, usage.client_id) == (DataUsage.Kind.CLIENT_RELEASE, "demo-portal")
    entry = support.AuditEntry.objects.get(action="identity.person.release")
    assert (entry.actor_type, entry.actor) == ("client", "demo-portal")


def test_a_level_2_guardian_registers_a_child(an: Person) -> None:
    assert an.account is not None
    born = support.years_ago(5)

    child = services.child_register(
        actor=an.account,
        id_number=support.id_number_for(born, sex="female", serial=777),
        full_name="Nguyễn Ngọc Hân",
        date_of_birth=born,
        sex="female",
        **support.child_evidence(born),
    )

    assert child.guardian == an
    assert child.account is None
    assert (child.province_code, child.commune_code) == (an.province_code, an.commune_code)
    assert list(selectors.person_wards(guardian=an)) == [child]


def test_a_level_1_guardian_cannot_register_a_child(binh: Person) -> None:
    assert binh.account is not None
    born = support.years_ago(5)
    before = support.snapshot()

    with pytest.raises(Forbidden) as caught:
        services.child_register(
            actor=binh.account,
            id_number=support.id_number_for(born, sex="male", serial=778),
            full_name="Trần Minh Khôi",
            date_of_birth=born,
            sex="male",
            **support.child_evidence(born),
        )

    assert caught.value.code == "level2_required"
    assert support.snapshot() == before


def test_a_child_of_14_registers_alone(an: Person) -> None:
    assert an.account is not None
    born = support.years_ago(14)
    before = support.snapshot()

    with pytest.raises(ValidationFailed) as caught:
        services.child_register(
            actor=an.account,
            id_number=support.id_number_for(born, sex="male", serial=779),
            full_name="Nguyễn Minh Khôi",
            date_of_birth=born,
            sex="male",
            **support.child_evidence(born),
        )

    assert [(e.field, e.code) for e in caught.value.errors] == [("date_of_birth", "too_old")]
    assert support.snapshot() == before


def test_verifications_are_listed(an: Person) -> None:
    [verification] = selectors.person_verifications(person=an)
    assert isinstance(verification, LevelVerification)
    assert verification.verified_at.date() <= datetime.date.today()


def test_agency_officers_lists_the_active_officers_of_one_agency_only() -> None:
    admin = support.administrator()
    support.agency(admin)
    support.agency(admin, code="ubnd-phuong-tan-son-nhat", commune="26968")
    hoa = support.officer(admin)
    support.officer(admin, username="canbo.tansonnhat", agency_code="ubnd-phuong-tan-son-nhat")
    gone = support.officer(admin, username="canbo.nghi")
    Account.objects.filter(pk=gone.pk).update(is_active=False)
    listed = selectors.agency_officers(agency_code="ubnd-phuong-sai-gon")
    assert [officer.account_id for officer in listed] == [hoa.pk]
    assert list(selectors.agency_officers(agency_code="no-such-agency")) == []
