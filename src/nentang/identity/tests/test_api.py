"""GET /api/v1/identity/me and /me/data-usage: one's own data, problem+json errors."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.support.staff import log_in_as

from nentang.identity import services
from nentang.identity.models import Account, Person
from nentang.identity.tests import support

pytestmark = pytest.mark.django_db

ME = "/api/v1/identity/me"
USAGE = "/api/v1/identity/me/data-usage"


def browser_of(account: Account) -> Client:
    browser = Client()
    log_in_as(browser, account)
    return browser


def test_anonymous_callers_get_a_401_problem() -> None:
    response = Client().get(ME)

    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"] == "unauthorized"


def test_a_citizen_reads_their_own_profile(an: Person) -> None:
    assert an.account is not None
    body = browser_of(an.account).get(ME).json()

    assert body["account"]["kind"] == "person"
    assert body["account"]["username"] == support.AN_ID
    assert body["account"]["locked"] is False
    person = body["person"]
    assert (person["full_name"], person["level"], person["id_number"]) == (
        "Nguyễn Văn An",
        2,
        support.AN_ID,
    )
    assert person["phone"] == "+84903123456"
    assert person["residence"] == {
        "province_code": "79",
        "commune_code": "26740",
        "street": "12 Lê Lợi",
    }
    assert person["has_portrait"] is True
    assert (body["organisation"], body["officer"]) == (None, None)


def test_an_officer_reads_their_agency_and_roles(officer: Account) -> None:
    body = browser_of(officer).get(ME).json()

    assert body["person"] is None
    assert body["officer"]["agency"] == {
        "code": "ubnd-phuong-sai-gon",
        "name": "UBND phường Sài Gòn",
    }
    assert body["officer"]["roles"] == ["enrolment", "identity_admin", "reception"]


def test_the_data_usage_log_pages_newest_first(officer: Account, an: Person) -> None:
    assert an.account is not None
    for purpose in ("Hồ sơ khai sinh", "Hồ sơ kết hôn", "Xác thực mức 2"):
        services.person_find_by_id_number(actor=officer, id_number=support.AN_ID, purpose=purpose)
    browser = browser_of(an.account)

    first = browser.get(USAGE, {"limit": 2}).json()
    second = browser.get(USAGE, {"limit": 2, "cursor": first["next_cursor"]}).json()

    assert [item["purpose"] for item in first["items"] + second["items"]] == [
        "Xác thực mức 2",
        "Hồ sơ kết hôn",
        "Hồ sơ khai sinh",
    ]
    assert second["next_cursor"] is None
    item = first["items"][0]
    assert item["kind"] == "officer_read"
    assert item["agency"] == {"code": "ubnd-phuong-sai-gon", "name": "UBND phường Sài Gòn"}
    assert item["officer_name"] == "Lê Thị Hoa"
    assert item["client_id"] is None


def test_a_person_sees_only_their_own_log(officer: Account, an: Person, binh: Person) -> None:
    assert binh.account is not None
    services.person_find_by_id_number(actor=officer, id_number=support.AN_ID, purpose="Tra cứu")

    assert browser_of(binh.account).get(USAGE).json()["items"] == []


def test_staff_have_no_data_usage_log(officer: Account) -> None:
    response = browser_of(officer).get(USAGE)

    assert response.status_code == 404
    assert response.json()["code"] == "no_personal_profile"


def test_a_forged_cursor_is_a_400(an: Person) -> None:
    assert an.account is not None
    response = browser_of(an.account).get(USAGE, {"cursor": "bm90LWEtY3Vyc29y"})

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


# --- registering from one's own level-2 e-ID ------------------------------------------

CHILDREN = "/api/v1/identity/me/children"
ORGANISATIONS = "/api/v1/identity/organisations"


def child_body(**changes: Any) -> dict[str, Any]:
    born = support.years_ago(5)
    body: dict[str, Any] = {
        "id_number": support.id_number_for(born, sex="female", serial=778),
        "full_name": "Nguyễn Ngọc Hân",
        "date_of_birth": born.isoformat(),
        "sex": "female",
        "relationship": "father",
        "evidence_number": "123/2021",
        "evidence_date": born.isoformat(),
    }
    body.update(changes)
    return body


def organisation_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "tax_code": "0300588569",
        "name": "Công ty TNHH Bánh mì Sài Gòn",
        "established_on": "2015-03-02",
        "head_office": {
            "province_code": "79",
            "commune_code": "26740",
            "street": "45 Lê Thánh Tôn",
        },
        "password": support.PASSWORD,
    }
    body.update(changes)
    return body


def test_a_level_2_guardian_registers_a_child_through_the_api(an: Person) -> None:
    assert an.account is not None
    response = browser_of(an.account).post(CHILDREN, child_body(), content_type="application/json")

    assert response.status_code == 201, response.content
    child = Person.objects.get(pk=response.json()["id"])
    assert child.guardian == an
    assert child.account is None
    assert response.json()["residence"]["province_code"] == "79"  # the guardian's


def test_a_childs_bad_fields_are_named_and_nothing_is_written(an: Person) -> None:
    assert an.account is not None
    before = support.snapshot()
    adult = support.years_ago(20)

    response = browser_of(an.account).post(
        CHILDREN,
        child_body(date_of_birth=adult.isoformat(), full_name=""),
        content_type="application/json",
    )

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    fields = {error["field"] for error in response.json()["errors"]}
    assert {"date_of_birth", "full_name"} <= fields
    assert support.snapshot() == before


def test_a_level_1_person_registers_neither_child_nor_organisation(binh: Person) -> None:
    assert binh.account is not None
    browser = browser_of(binh.account)
    before = support.snapshot()

    child = browser.post(CHILDREN, child_body(), content_type="application/json")
    organisation = browser.post(ORGANISATIONS, organisation_body(), content_type="application/json")

    assert (child.status_code, organisation.status_code) == (403, 403)
    assert child.json()["code"] == organisation.json()["code"] == "level2_required"
    assert support.snapshot() == before


def test_a_level_2_representative_registers_an_organisation(an: Person) -> None:
    assert an.account is not None
    browser = browser_of(an.account)

    response = browser.post(ORGANISATIONS, organisation_body(), content_type="application/json")

    assert response.status_code == 201, response.content
    assert response.json()["tax_code"] == "0300588569"
    assert response.json()["head_office"]["commune_code"] == "26740"
    again = browser.post(ORGANISATIONS, organisation_body(), content_type="application/json")
    assert again.status_code == 409
    assert again.json()["code"] == "tax_code_taken"


def test_a_wrong_tax_code_check_digit_is_a_field_error(an: Person) -> None:
    assert an.account is not None
    before = support.snapshot()

    response = browser_of(an.account).post(
        ORGANISATIONS, organisation_body(tax_code="0300588568"), content_type="application/json"
    )

    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("tax_code", "invalid_check_digit")
    ]
    assert support.snapshot() == before


def test_a_broken_multipart_body_from_a_session_is_a_400_not_a_500(an: Person) -> None:
    """The session's CSRF check reads the form body first: a multipart body without a
    boundary must be the client's 400, not the server's 500."""
    assert an.account is not None
    before = support.snapshot()

    response = browser_of(an.account).generic(
        "POST", CHILDREN, b"id_number=1", content_type="multipart/form-data"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_body"
    assert support.snapshot() == before
