"""Property-based tests of the whole public API against its own OpenAPI document
(schemathesis): generated requests — valid and invalid — never get a 500, and every
response matches the documented status codes, media types and schemas."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from nentang.config.wsgi import application

# Loading the document needs no database: the OpenAPI view is pure.
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application)


@pytest.fixture
def keep_test_connection() -> Iterator[None]:
    """Like Django's test client: requests must not close the test transaction's connection."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_test_connection")
@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_api_honours_its_contract(case: Any) -> None:
    # Opaque cursors are schema-valid strings that the server may still refuse (400
    # invalid_cursor), so "schema-valid input is always accepted" cannot hold for them.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
