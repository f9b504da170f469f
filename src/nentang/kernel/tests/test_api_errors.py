"""Every error of the API is RFC 9457 problem+json with a stable code; none is a 500
unless the server itself failed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

pytestmark = [pytest.mark.django_db, pytest.mark.urls("nentang.kernel.tests.api_fixture")]

PROBLEM = "application/problem+json"


def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body: dict[str, Any] = json.loads(response.content)
    assert body["status"] == status
    assert body["code"] == code
    assert body["type"].endswith(f"/problems/{code}")
    assert body["title"]
    assert body["request_id"] == response["X-Request-ID"]
    return body


def test_unknown_route_is_a_404_problem(client: Client) -> None:
    body = problem(client.get("/api/v1/does-not-exist"), 404, "not_found")
    assert body["instance"] == "/api/v1/does-not-exist"


def test_wrong_method_is_a_405_problem_with_allow(client: Client) -> None:
    response = client.delete("/api/v1/ping")
    problem(response, 405, "method_not_allowed")
    assert response["Allow"] == "GET"


def test_malformed_json_is_400_and_writes_nothing(client: Client) -> None:
    from nentang.kernel.models import CalendarDay

    before = CalendarDay.objects.count()
    response = client.post(
        "/api/v1/test/days", data=b'{"date": "2030-01-01",', content_type="application/json"
    )
    problem(response, 400, "malformed_body")
    assert CalendarDay.objects.count() == before


def test_validation_errors_name_each_field(client: Client) -> None:
    response = client.post(
        "/api/v1/test/days",
        data={"date": "not-a-date", "name": "x", "weight": 11},
        content_type="application/json",
    )
    body = problem(response, 422, "validation_failed")
    by_field = {error["field"]: error for error in body["errors"]}
    assert set(by_field) == {"date", "name", "weight"}
    assert by_field["name"]["code"] == "too_short"
    assert by_field["weight"]["code"] == "too_large"
    assert by_field["date"]["code"] == "invalid_date"


def test_missing_field_is_required(client: Client) -> None:
    response = client.post(
        "/api/v1/test/days", data={"name": "Tết"}, content_type="application/json"
    )
    body = problem(response, 422, "validation_failed")
    assert (
        body["errors"]
        == [{"field": "date", "message": "Trường này là bắt buộc.", "code": "required"}]
        or body["errors"][0]["code"] == "required"
    )


def test_messages_follow_the_requested_language(client: Client) -> None:
    response = client.post(
        "/api/v1/test/days",
        data={"name": "Tết"},
        content_type="application/json",
        headers={"Accept-Language": "en"},
    )
    body = problem(response, 422, "validation_failed")
    assert body["errors"][0]["message"] == "This field is required."


def test_domain_rule_errors_keep_their_code(client: Client) -> None:
    payload = {"date": "2030-05-01", "name": "invalid-by-rule"}
    body = problem(
        client.post("/api/v1/test/days", data=payload, content_type="application/json"),
        422,
        "validation_failed",
    )
    assert body["errors"] == [{"field": "name", "message": "Broken rule.", "code": "rule"}]


def test_conflict_is_409(client: Client) -> None:
    payload = {"date": "2030-05-02", "name": "Một ngày"}
    assert (
        client.post("/api/v1/test/days", data=payload, content_type="application/json").status_code
        == 201
    )
    body = problem(
        client.post("/api/v1/test/days", data=payload, content_type="application/json"),
        409,
        "day_exists",
    )
    assert body["detail"] == "That day is already in the calendar."


@pytest.mark.parametrize(
    ("kind", "status", "code"),
    [
        ("not-found", 404, "thing_not_found"),
        ("forbidden", 403, "forbidden"),
        ("unauthenticated", 401, "unauthorized"),
        ("throttled", 429, "rate_limited"),
    ],
)
def test_http_outcomes(client: Client, kind: str, status: int, code: str) -> None:
    response = client.get(f"/api/v1/test/fail/{kind}")
    problem(response, status, code)
    if status == 429:
        assert response["Retry-After"] == "30"
    if status == 401:
        assert response["WWW-Authenticate"] == "Bearer"


def test_a_crash_is_a_500_problem_without_internals(client: Client) -> None:
    response = client.get("/api/v1/test/fail/crash")
    body = problem(response, 500, "internal_error")
    assert "secret internal detail" not in response.content.decode()
    assert "Traceback" not in response.content.decode()
    assert body["instance"] == "/api/v1/test/fail/crash"


def test_declared_oversize_body_is_413_before_parsing(client: Client, settings: Any) -> None:
    settings.NENTANG_MAX_BODY_BYTES = 100
    response = client.post(
        "/api/v1/test/days",
        data=json.dumps({"date": "2030-01-01", "name": "x" * 200}),
        content_type="application/json",
    )
    problem(response, 413, "payload_too_large")


def test_request_id_is_echoed_when_well_formed(client: Client) -> None:
    response = client.get("/api/v1/ping", headers={"X-Request-ID": "abc12345-req"})
    assert response["X-Request-ID"] == "abc12345-req"
    hostile = client.get("/api/v1/ping", headers={"X-Request-ID": "bad id\nwith newline"})
    assert hostile["X-Request-ID"] != "bad id\nwith newline"
    assert len(hostile["X-Request-ID"]) == 24


def test_openapi_is_3_1_and_lists_the_routes(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.1")
    assert "/api/v1/ping" in document["paths"]
    parameters = document["paths"]["/api/v1/test/days"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" for p in parameters)


def test_nul_characters_are_refused_field_by_field(client: Client) -> None:
    response = client.post(
        "/api/v1/test/days",
        data={"date": "2030-06-01", "name": "Tết\u0000"},
        content_type="application/json",
    )
    body = problem(response, 422, "validation_failed")
    assert body["errors"][0]["field"] == "name"
    assert body["errors"][0]["code"] == "invalid_characters"
    query = problem(client.get("/api/v1/test/days?cursor=a%00b"), 422, "validation_failed")
    assert query["errors"][0]["field"] == "cursor"


def test_openapi_documents_errors_as_problem_json(client: Client) -> None:
    document = json.loads(client.get("/api/v1/openapi.json").content)
    responses = document["paths"]["/api/v1/test/days"]["post"]["responses"]
    assert "application/problem+json" in responses["409"]["content"]
    assert "application/json" in responses["201"]["content"]
