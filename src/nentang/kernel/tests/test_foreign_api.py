"""A foreign API (CKAN's Action API) keeps its own error shape: the problem+json
middleware leaves the responses under a registered prefix as they are."""

from __future__ import annotations

import json

import pytest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.test import RequestFactory

from nentang.kernel.errors import NotFound, is_foreign_api_path, register_foreign_api
from nentang.kernel.errors.middleware import ProblemMiddleware

PREFIX = "/api/test-foreign/"


def _foreign(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"success": False, "error": {"__type": "Not Found Error"}}, status=404)


def test_responses_under_a_registered_prefix_are_left_alone() -> None:
    register_foreign_api(PREFIX)
    middleware = ProblemMiddleware(_foreign)
    foreign = middleware(RequestFactory().get(PREFIX + "action/x"))
    assert foreign["Content-Type"] == "application/json"
    assert json.loads(foreign.content)["error"]["__type"] == "Not Found Error"
    ours = middleware(RequestFactory().get("/api/v1/elsewhere"))
    assert ours["Content-Type"].startswith("application/problem+json")


def test_exceptions_under_a_registered_prefix_are_not_turned_into_problems() -> None:
    register_foreign_api(PREFIX)
    middleware = ProblemMiddleware(_foreign)
    request = RequestFactory().get(PREFIX + "action/x")
    assert middleware.process_exception(request, NotFound("x")) is None
    other = middleware.process_exception(RequestFactory().get("/api/v1/x"), NotFound("x"))
    assert other is not None
    assert other.status_code == 404


def test_only_api_paths_can_be_foreign() -> None:
    with pytest.raises(ValueError, match="under /api/"):
        register_foreign_api("/ckan/")
    assert not is_foreign_api_path("/api/v1/opendata/datasets")
