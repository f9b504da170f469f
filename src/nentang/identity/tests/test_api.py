"""GET /api/v1/identity/me and /me/data-usage: one's own data, problem+json errors."""

from __future__ import annotations

import pytest
from django.test import Client

from nentang.identity import services
from nentang.identity.models import Account, Person
from nentang.identity.tests import support

pytestmark = pytest.mark.django_db

ME = "/api/v1/identity/me"
USAGE = "/api/v1/identity/me/data-usage"


def browser_of(account: Account) -> Client:
    browser = Client()
    browser.force_login(account)
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
