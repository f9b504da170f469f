"""Every visible string passes through translation (pseudo-localisation).

Pages and API errors are rendered with catalogues that mark each translated string
(``tests/support/pseudo.py``); visible text left unmarked — other than proper names,
codes and data — is text a Vietnamese reader would meet untranslated. Each context adds
its pages to ``PAGES`` (anonymous) as they ship.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from tests.support.pseudo import marked_translations, untranslated, untranslated_json

pytestmark = pytest.mark.django_db

PAGES = [
    "/",
    "/for-operators",
    "/about",
    "/terms",
    "/privacy",
    "/accessibility",
    "/problems/",
    "/problems/validation_failed",
    "/design-system/",
    "/login",
    "/register",
    "/developers/",
    "/page-that-does-not-exist",
    "/dossiers/status",
    "/dataset",
    "/do-thi/",
    "/do-thi/phan-anh/",
]

# Example data on the design-system page, shown as data in both languages.
EXAMPLE_DATA = ["UBND phường Sài Gòn", "UBND cấp xã", "Hà Nội", "Đà Nẵng", "TP. Hồ Chí Minh"]


def reference_names() -> list[str]:
    """Names of administrative units: data (proper names), shown as they are."""
    from nentang.addresses import selectors

    return [province.full_name for province in selectors.province_list()]


@pytest.fixture
def marked() -> Iterator[None]:
    with marked_translations():
        yield


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("path", PAGES)
def test_every_visible_string_of_the_page_is_translated(
    client: Client, marked: None, path: str, language: str
) -> None:
    client.cookies["nentang_language"] = language

    response = client.get(path)

    assert response.status_code in (200, 404), path
    allowed = [*EXAMPLE_DATA, *reference_names()]
    assert untranslated(response.content.decode(), allowed) == []


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/addresses/provinces/99", 404),
        ("/api/v1/addresses/provinces/9x", 422),
        ("/api/v1/identity/me", 401),
        ("/api/v1/no-such-route", 404),
    ],
)
def test_api_errors_are_translated(client: Client, marked: None, path: str, status: int) -> None:
    response = client.get(path, headers={"Accept-Language": "vi"})

    assert response.status_code == status
    body = response.json()
    assert untranslated_json(body, keys=("title", "detail", "message")) == []


# Contexts whose API texts are marked for translation (``gettext_noop`` in api.py). The
# others join as they are done; the reference page /api/v1/docs joins PAGES then.
TRANSLATED_API_TAGS = {"platform", "addresses", "audit"}


def test_the_openapi_document_speaks_the_readers_language(client: Client, marked: None) -> None:
    schema = client.get("/api/v1/openapi.json", headers={"Accept-Language": "vi"}).json()

    operations = [
        operation
        for item in schema["paths"].values()
        for operation in item.values()
        if set(operation.get("tags", [])) & TRANSLATED_API_TAGS
    ]
    assert len(operations) >= 10
    assert untranslated_json(operations, keys=("summary", "description")) == []
    assert untranslated_json(schema["info"], keys=("description",)) == []
