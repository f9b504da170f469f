"""“Your data”: a person's copy of everything the platform holds about them (Law
91/2025/QH15, right of access), as JSON and as a readable page; each copy audited."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.apps import apps
from django.test import Client
from tests.support.html import assert_well_formed, read

from nentang.identity.models import Account, Person
from nentang.identity.tests.test_web_account import logged_in
from nentang.kernel import personaldata

AuditEntry = apps.get_model("audit", "AuditEntry")


@pytest.fixture
def parcels_section() -> Iterator[list[personaldata.Subject]]:
    """A section another context would register (here: parcels sent to the person)."""
    asked: list[personaldata.Subject] = []

    def collect(subject: personaldata.Subject) -> personaldata.Rows:
        asked.append(subject)
        return [{"s10": "EE123456785VN", "status": "delivered"}]

    personaldata.register(
        personaldata.Section(key="tests.parcels", title="Bưu gửi của bạn", collect=collect)
    )
    yield asked
    personaldata._sections.pop("tests.parcels", None)


def test_the_page_names_every_section_and_offers_both_copies(
    an: Person, parcels_section: list[personaldata.Subject]
) -> None:
    response = logged_in(an).get("/account/my-data")

    assert response.status_code == 200
    page = read(response.content)
    assert_well_formed(page)
    assert page.texts("h1") == ["Dữ liệu của bạn"]
    html = response.content.decode()
    assert "Bưu gửi của bạn" in html
    assert "Xác thực danh tính của bạn (mức 2)" in html
    assert {"/account/my-data/copy", "/account/my-data/download"} <= set(page.hrefs())
    assert not parcels_section  # listing the sections reads nobody's data


def test_the_download_holds_the_persons_data_and_nobody_elses(
    an: Person, binh: Person, parcels_section: list[personaldata.Subject]
) -> None:
    response = logged_in(an).get("/account/my-data/download")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="du-lieu-cua-toi-')
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    data = json.loads(response.content)
    sections = data["sections"]
    assert sections["identity.profile"]["id_number"] == an.id_number
    assert sections["identity.profile"]["full_name"] == an.full_name
    assert len(sections["identity.verifications"]) == 1  # the officer verified An to level 2
    assert sections["identity.sessions"]  # this very login
    assert sections["tests.parcels"] == [{"s10": "EE123456785VN", "status": "delivered"}]
    assert parcels_section[0].person_id == an.pk
    assert parcels_section[0].id_number == an.id_number
    text = response.content.decode()
    assert binh.id_number not in text
    assert "password" not in text
    assert "secret" not in text
    entry = AuditEntry.objects.get(action="identity.personal_data.export")
    assert entry.subject == str(an.pk)


def test_the_readable_copy_is_a_page_to_print(an: Person) -> None:
    response = logged_in(an).get("/account/my-data/copy")

    assert response.status_code == 200
    page = read(response.content)
    assert_well_formed(page)
    assert page.texts("h1") == ["Bản sao dữ liệu của bạn"]
    assert an.full_name in response.content.decode()
    assert AuditEntry.objects.filter(action="identity.personal_data.export").count() == 1


@pytest.mark.parametrize(
    "path", ["/account/my-data", "/account/my-data/copy", "/account/my-data/download"]
)
def test_a_login_is_needed(client: Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")


def test_a_staff_account_has_no_personal_copy(admin: Account) -> None:
    client = Client()
    client.force_login(admin)

    assert client.get("/account/my-data/download").status_code in (302, 404)
    assert not AuditEntry.objects.filter(action="identity.personal_data.export").exists()
