"""The holder registers their child under 14 and the organisation they represent, from
their account pages: field errors at the fields, nothing written on a mistake, and the
organisation then logs in with its tax code."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from tests.support.html import assert_well_formed, read

from nentang.identity.models import Organisation, Person
from nentang.identity.tests import support
from nentang.identity.tests.test_web_account import logged_in

pytestmark = pytest.mark.django_db


def child_form(**changes: str) -> dict[str, str]:
    born = support.years_ago(5)
    form = {
        "id_number": support.id_number_for(born, sex="female", serial=781),
        "full_name": "Nguyễn Ngọc Hân",
        "date_of_birth": born.strftime("%d/%m/%Y"),
        "sex": "female",
        "relationship": "father",
        "evidence_number": "45/2021",
        "evidence_date": born.strftime("%d/%m/%Y"),
    }
    form.update(changes)
    return form


def organisation_form(**changes: str) -> dict[str, str]:
    form = {
        "tax_code": "0300588569",
        "name": "Công ty TNHH Bánh mì Sài Gòn",
        "short_name": "Bánh mì SG",
        "english_name": "",
        "established_on": "02/03/2015",
        "province_code": "79",
        "commune_code": "26740",
        "street": "45 Lê Thánh Tôn",
        "password": "bánh mì nóng giòn mỗi sáng",
        "password_again": "bánh mì nóng giòn mỗi sáng",
    }
    form.update(changes)
    return form


def errors_by_field(html: Any) -> set[str]:
    """The fields that show an error message (``<div class="field__error" id="id_<f>_error">``)."""
    page = read(html)
    return {
        element.attrs["id"].removeprefix("id_").removesuffix("_error")
        for element in page.all("div")
        if "field__error" in element.attrs.get("class", "") and element.attrs.get("id")
    }


class TestChildren:
    def test_a_level_2_parent_registers_a_child_who_is_then_listed(self, an: Person) -> None:
        browser = logged_in(an)
        page = browser.get("/account/children")
        assert page.status_code == 200
        assert_well_formed(read(page.content))

        answer = browser.post("/account/children", child_form())

        assert answer.status_code == 302
        child = Person.objects.get(full_name="Nguyễn Ngọc Hân")
        assert child.guardian == an
        assert child.account is None
        listing = browser.get("/account/children").content.decode()
        assert "Nguyễn Ngọc Hân" in listing
        assert "được đăng ký và gắn với định danh điện tử của bạn" in listing

    def test_a_14_year_old_is_refused_at_the_date_and_nothing_is_written(self, an: Person) -> None:
        browser = logged_in(an)
        before = support.snapshot()
        born = support.years_ago(15)

        answer = browser.post(
            "/account/children",
            child_form(
                id_number=support.id_number_for(born, sex="female", serial=782),
                date_of_birth=born.strftime("%d/%m/%Y"),
            ),
        )

        assert answer.status_code == 422
        assert "date_of_birth" in errors_by_field(answer.content)
        assert support.snapshot() == before

    def test_a_level_1_person_is_told_how_to_reach_level_2(self, binh: Person) -> None:
        browser = logged_in(binh)
        before = support.snapshot()

        page = browser.get("/account/children").content.decode()
        refused = browser.post("/account/children", child_form())

        assert "mức 2" in page
        assert 'name="id_number"' not in page
        assert refused.status_code == 403
        assert support.snapshot() == before


class TestOrganisations:
    def test_a_representative_registers_an_organisation_that_then_logs_in(self, an: Person) -> None:
        browser = logged_in(an)
        assert browser.get("/account/organisations").status_code == 200

        answer = browser.post("/account/organisations", organisation_form())

        assert answer.status_code == 302
        organisation = Organisation.objects.get(tax_code="0300588569")
        assert organisation.legal_representative == an
        assert "0300588569" in browser.get("/account/organisations").content.decode()
        company = Client(REMOTE_ADDR=support.HOME)
        login = company.post(
            "/login", {"login": "0300588569", "password": "bánh mì nóng giòn mỗi sáng"}
        )
        assert login.status_code == 302
        assert company.get("/account/").status_code == 200

    @pytest.mark.parametrize(
        ("changes", "field"),
        [
            ({"tax_code": "0300588568"}, "tax_code"),
            ({"established_on": "32/13/2015"}, "established_on"),
            ({"password_again": "khác hẳn mật khẩu kia"}, "password_again"),
            ({"commune_code": ""}, "commune_code"),
        ],
    )
    def test_mistakes_show_at_their_field_and_write_nothing(
        self, an: Person, changes: dict[str, str], field: str
    ) -> None:
        browser = logged_in(an)
        before = support.snapshot()

        answer = browser.post("/account/organisations", organisation_form(**changes))

        assert answer.status_code in (400, 422)
        assert field in errors_by_field(answer.content)
        assert support.snapshot() == before

    def test_a_tax_code_registered_already_is_a_field_error(self, an: Person) -> None:
        browser = logged_in(an)
        browser.post("/account/organisations", organisation_form())

        again = browser.post("/account/organisations", organisation_form())

        assert again.status_code == 409
        assert "tax_code" in errors_by_field(again.content)
