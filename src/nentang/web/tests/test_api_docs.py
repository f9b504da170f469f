"""The API reference page: built from the OpenAPI document, in the reader's language."""

from __future__ import annotations

import pytest
from django.test import Client
from tests.support.html import read

pytestmark = pytest.mark.django_db


def test_it_is_a_web_page_in_vietnamese_even_for_an_english_browser(client: Client) -> None:
    response = client.get("/api/v1/docs", headers={"Accept-Language": "en-US,en;q=0.9"})
    page = read(response.content)

    assert response.status_code == 200
    assert page.all("html")[0].attrs["lang"] == "vi"
    assert "Tài liệu API" in page.texts("h1")
    # Operations by context, their localised summaries and parameter tables.
    assert "GET /api/v1/addresses/provinces/{code}" in page.texts("h3")
    assert "Một đơn vị cấp tỉnh theo mã 2 chữ số" in page.texts("p")
    assert "Tham số" in page.texts("caption")
    assert "/api/v1/openapi.json" in page.hrefs()


def test_the_openapi_document_follows_accept_language(client: Client) -> None:
    english = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"}).json()
    vietnamese = client.get("/api/v1/openapi.json", headers={"Accept-Language": "vi"}).json()

    path = "/api/v1/addresses/provinces/{code}"
    assert english["paths"][path]["get"]["summary"] == "One provincial unit by its 2-digit code"
    assert vietnamese["paths"][path]["get"]["summary"] == "Một đơn vị cấp tỉnh theo mã 2 chữ số"
    assert vietnamese["paths"][path]["get"]["responses"]["404"]["description"] == "Không tìm thấy"
