"""Every visible string of the signed-in identity pages passes through translation
(issue 9, "English in pages"): the citizen's account pages and the officer's pages,
rendered with catalogues that mark each translated string (``tests/support/pseudo``).
What is left unmarked must be the person's own data or a proper name."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from django.test import Client
from tests.support.pseudo import marked_translations, unmarked, untranslated
from tests.support.staff import second_factor_of, totp_code

from nentang.identity.models import Account, Person
from nentang.identity.tests import support

CITIZEN_PAGES = [
    "/account/",
    "/account/sessions",
    "/account/consents",
    "/account/data-usage",
    "/account/my-data",
    "/account/my-data/copy",
    "/account/children",
    "/account/organisations",
    "/account/passkeys",
    "/account/totp",
    "/account/backup-codes",
    "/account/phone",
    "/account/email",
    "/account/contact/confirm",
    # Other contexts' pages for a signed-in citizen (/services/ lists the catalogue's
    # procedure names: data kept in both languages, not messages).
    "/dossiers/",
    "/wallet/",
]


def data_of(person: Person) -> list[str]:
    """The person's own data and the names of places, shown as they are in every
    language."""
    from nentang.addresses import selectors

    return [
        *(province.full_name for province in selectors.province_list()),
        person.full_name,
        person.email,
        person.street,
        "Phường Sài Gòn",
        "Thành phố Hồ Chí Minh",
        "UBND phường Sài Gòn",
        "Lê Thị Hoa",
        "canbo.saigon",
        "UBND",
        "Bộ phận một cửa",  # where the officer verified the person (support.verify)
    ]


@pytest.fixture
def marked() -> Iterator[None]:
    with marked_translations():
        yield


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_citizens_account_pages(an: Person, marked: None, language: str) -> None:
    client = Client(REMOTE_ADDR=support.HOME)
    client.cookies["nentang_language"] = language
    client.post("/login", {"login": an.id_number, "password": support.PASSWORD})
    left = {}
    for path in CITIZEN_PAGES:
        response = client.get(path)
        assert response.status_code == 200, path
        found = untranslated(response.content.decode(), data_of(an))
        if found:
            left[path] = found
    assert left == {}, json.dumps(left, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_officers_pages(an: Person, officer: Account, marked: None, language: str) -> None:
    secret = second_factor_of(officer)
    client = Client(REMOTE_ADDR=support.HOME)
    client.cookies["nentang_language"] = language
    client.post("/login", {"login": officer.username, "password": support.OFFICER_PASSWORD})
    client.post("/login/second-factor", {"code": totp_code(secret)})
    pages = {"/officer/people": client.get("/officer/people")}
    pages["/officer/people (found)"] = client.post(
        "/officer/people",
        {"id_number": an.id_number, "purpose": "Xác thực mức độ 2 tại bộ phận một cửa"},
        follow=True,
    )
    left = {}
    for name, response in pages.items():
        assert response.status_code == 200, name
        found = untranslated(
            response.content.decode(),
            [*data_of(an), "Xác thực mức độ 2 tại bộ phận một cửa"],
        )
        if found:
            left[name] = found
    assert left == {}, json.dumps(left, ensure_ascii=False, indent=1)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_the_password_rules_speak_the_readers_language(marked: None, language: str) -> None:
    """Django's Vietnamese lacks its length message and its similarity message named
    the "username" field (issue 9): our validators say both in our words."""
    from django.utils import translation

    from nentang.identity.services import inputs
    from nentang.identity.services.common import Errors

    errors = Errors()
    with translation.override(language):
        for password in ("abc", support.AN_ID):
            inputs.password_check(errors, password, username=support.AN_ID)
    messages = [str(error.message) for error in errors.items]
    codes = [error.code for error in errors.items]

    assert codes == ["password_too_short", "password_too_common", "password_too_similar"]
    assert [unmarked(message) for message in messages] == ["", "", ""]
    assert "username" not in " ".join(messages)
