"""The public API of administrative units, called through the real request stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from nentang.kernel.pagination import encode_cursor

pytestmark = pytest.mark.django_db

BASE = "/api/v1/addresses"


def get_json(client: Client, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.content
    expected = "application/json" if status < 400 else "application/problem+json"
    assert response["Content-Type"].startswith(expected)
    return json.loads(response.content)


def walk(client: Client, url: str, limit: int) -> tuple[list[dict[str, Any]], int]:
    """Follow next_cursor to the end; return every item and the number of pages."""
    items: list[dict[str, Any]] = []
    pages = 0
    cursor = None
    separator = "&" if "?" in url else "?"
    while True:
        page_url = f"{url}{separator}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = get_json(client, page_url)
        items.extend(body["items"])
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items, pages


def test_provinces_lists_all_34_in_code_order(client: Client) -> None:
    body = get_json(client, f"{BASE}/provinces")
    assert len(body) == 34
    assert [p["code"] for p in body] == sorted(p["code"] for p in body)
    assert body[0] == {
        "code": "01",
        "name": "Hà Nội",
        "full_name": "Thành phố Hà Nội",
        "kind": "thanh_pho",
        "kind_name": "Thành phố",
    }


def test_province_detail_counts_its_wards(client: Client) -> None:
    body = get_json(client, f"{BASE}/provinces/79")
    assert body == {
        "code": "79",
        "name": "Hồ Chí Minh",
        "full_name": "Thành phố Hồ Chí Minh",
        "kind": "thanh_pho",
        "kind_name": "Thành phố",
        "effective_from": "2025-07-01",
        "effective_to": None,
        "ward_count": 168,
    }


def test_walking_the_wards_of_hcmc_yields_all_168_once_in_order(client: Client) -> None:
    items, pages = walk(client, f"{BASE}/provinces/79/wards", limit=25)
    codes = [item["code"] for item in items]
    assert len(codes) == 168
    assert len(set(codes)) == 168
    assert pages == 7
    first_page = get_json(client, f"{BASE}/provinces/79/wards?limit=500")
    assert [item["code"] for item in first_page["items"]] == codes
    assert first_page["next_cursor"] is None


def test_walking_a_national_search_has_no_duplicates_and_no_gaps(client: Client) -> None:
    paged, _ = walk(client, f"{BASE}/wards?q=tan", limit=7)
    whole = get_json(client, f"{BASE}/wards?q=tan&limit=500")
    assert whole["next_cursor"] is None
    assert [item["code"] for item in paged] == [item["code"] for item in whole["items"]]
    assert len({item["code"] for item in paged}) == len(paged) > 50


def test_the_national_list_without_a_query_walks_all_3321_wards(client: Client) -> None:
    items, pages = walk(client, f"{BASE}/wards", limit=500)
    assert len({item["code"] for item in items}) == len(items) == 3321
    assert pages == 7


@pytest.mark.parametrize("query", ["phuong%20sai%20gon", "S%C3%A0i%20G%C3%B2n", "SAI+GON"])
def test_ward_queries_are_folded(client: Client, query: str) -> None:
    in_province = get_json(client, f"{BASE}/provinces/79/wards?q={query}")
    assert in_province == {
        "items": [
            {
                "code": "26740",
                "name": "Phường Sài Gòn",
                "short_name": "Sài Gòn",
                "kind": "phuong",
                "kind_name": "Phường",
            }
        ],
        "next_cursor": None,
    }
    national = get_json(client, f"{BASE}/wards?q={query}")
    assert national["items"] == [
        {
            "code": "26740",
            "name": "Phường Sài Gòn",
            "short_name": "Sài Gòn",
            "kind": "phuong",
            "kind_name": "Phường",
            "province_code": "79",
            "province_name": "Hồ Chí Minh",
        }
    ]


def test_ward_detail_names_its_province(client: Client) -> None:
    body = get_json(client, f"{BASE}/wards/00070")
    assert body == {
        "code": "00070",
        "name": "Phường Hoàn Kiếm",
        "short_name": "Hoàn Kiếm",
        "kind": "phuong",
        "kind_name": "Phường",
        "province": {"code": "01", "name": "Hà Nội", "full_name": "Thành phố Hà Nội"},
        "effective_from": "2025-07-01",
        "effective_to": None,
    }


@pytest.mark.parametrize(
    ("url", "code"),
    [
        (f"{BASE}/provinces/02", "province_not_found"),
        (f"{BASE}/provinces/99/wards", "province_not_found"),
        (f"{BASE}/wards/99999", "ward_not_found"),
    ],
)
def test_unknown_codes_are_404_problems(client: Client, url: str, code: str) -> None:
    body = get_json(client, url, status=404)
    assert body["status"] == 404
    assert body["code"] == code
    assert body["type"].endswith(f"/problems/{code}")
    assert body["instance"] == url
    assert body["detail"]


@pytest.mark.parametrize(
    "url",
    [
        f"{BASE}/provinces/7",
        f"{BASE}/provinces/790",
        f"{BASE}/provinces/ab",
        f"{BASE}/provinces/%D9%A1%D9%A2",  # Arabic-Indic digits are not a code
        f"{BASE}/provinces/7x/wards",
        f"{BASE}/wards/2674",
        f"{BASE}/wards/267400",
        f"{BASE}/wards/26%2040",
    ],
)
def test_malformed_codes_are_422_with_a_field_error(client: Client, url: str) -> None:
    body = get_json(client, url, status=422)
    assert body["code"] == "validation_failed"
    assert body["errors"] == [
        {"field": "code", "message": body["errors"][0]["message"], "code": "invalid_format"}
    ]


def test_a_too_long_query_is_422(client: Client) -> None:
    body = get_json(client, f"{BASE}/wards?q={'a' * 101}", status=422)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("q", "too_long")]


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "e30", encode_cursor(["x"], ("other",)), encode_cursor(["a", 1], ("-date", "id"))],
)
def test_an_invalid_cursor_is_400_invalid_cursor(client: Client, cursor: str) -> None:
    for url in (f"{BASE}/wards?cursor={cursor}", f"{BASE}/provinces/79/wards?cursor={cursor}"):
        assert get_json(client, url, status=400)["code"] == "invalid_cursor"


@pytest.mark.parametrize(("limit", "code"), [("0", "too_small"), ("501", "too_large")])
def test_a_limit_out_of_range_is_a_field_error(client: Client, limit: str, code: str) -> None:
    body = get_json(client, f"{BASE}/wards?limit={limit}", status=422)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("limit", code)]


def test_the_openapi_document_describes_the_error_responses(client: Client) -> None:
    paths = get_json(client, "/api/v1/openapi.json")["paths"]
    problem = "#/components/schemas/Problem"

    def error_refs(path: str) -> dict[str, str]:
        responses = paths[path]["get"]["responses"]
        return {
            status: next(iter(r["content"].values()))["schema"]["$ref"]
            for status, r in responses.items()
            if int(status) >= 400
        }

    assert error_refs(f"{BASE}/provinces/{{code}}") == {"404": problem, "422": problem}
    assert error_refs(f"{BASE}/wards/{{code}}") == {"404": problem, "422": problem}
    assert error_refs(f"{BASE}/provinces/{{code}}/wards") == {
        "400": problem,
        "404": problem,
        "422": problem,
    }
    assert error_refs(f"{BASE}/wards") == {"400": problem, "422": problem}
    assert "security" not in paths[f"{BASE}/wards"]["get"]


@pytest.mark.parametrize("url", [f"{BASE}/wards?q=%00", f"{BASE}/provinces/79/wards?q=a%00b"])
def test_a_query_with_a_nul_is_422_not_500(client: Client, url: str) -> None:
    body = get_json(client, url, status=422)
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("q", "invalid_characters")]


def test_a_cursor_with_null_values_is_400_invalid_cursor(client: Client) -> None:
    cursor = encode_cursor([None, None], ("name_folded", "code"))
    assert get_json(client, f"{BASE}/wards?cursor={cursor}", status=400)["code"] == "invalid_cursor"
