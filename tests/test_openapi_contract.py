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
from schemathesis.specs.openapi.checks import (
    ignored_auth,
    negative_data_rejection,
    positive_data_acceptance,
)

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


# --- the identity API for a signed-in level-2 holder ------------------------------------

CSRF_SECRET = "k" * 32  # an unmasked CSRF secret: cookie and header carry the same value


@pytest.fixture
def holder_cookies(db: None) -> dict[str, str]:
    """Nguyễn Văn An (level 2) signed in: the session and CSRF cookies of the browser."""
    from django.conf import settings as django_settings
    from django.test import Client

    from nentang.audit.services import security_defaults_install
    from nentang.identity import services
    from nentang.identity.tests import support

    security_defaults_install()
    admin = support.administrator()
    support.agency(admin)
    officer = support.officer(admin)
    person = services.person_register(**support.an_form())
    support.verify(person, officer)
    person.refresh_from_db()
    browser = Client()
    assert person.account is not None
    browser.force_login(person.account)
    session = browser.cookies[django_settings.SESSION_COOKIE_NAME].value
    return {
        django_settings.SESSION_COOKIE_NAME: session,
        django_settings.CSRF_COOKIE_NAME: CSRF_SECRET,
    }


@pytest.mark.django_db
@pytest.mark.usefixtures("keep_test_connection")
@schema.include(path_regex="^/api/v1/identity/").parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_identity_api_honours_its_contract_for_a_signed_in_holder(
    case: Any, holder_cookies: dict[str, str]
) -> None:
    # The browser's credentials, not generated ones (a generated bearer token or session
    # cookie would be refused before the operation runs).
    case.headers = {
        name: value
        for name, value in (case.headers or {}).items()
        if name.lower() not in ("authorization", "cookie")
    } | {"X-CSRFToken": CSRF_SECRET}
    case.cookies = holder_cookies
    # ignored_auth: the credentials are ours on purpose. negative_data_rejection: unknown
    # query parameters are ignored, as by most HTTP APIs (bad values of known ones are
    # still refused, and every answer must match the schema).
    response = case.call_and_validate(
        excluded_checks=[positive_data_acceptance, ignored_auth, negative_data_rejection]
    )
    # Signed in, with the CSRF token: never refused as anonymous or as a forged request.
    assert response.status_code != 401
    assert response.status_code != 403 or response.json()["code"] != "csrf_failed"
