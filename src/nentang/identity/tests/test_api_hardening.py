"""The identity API under bad input and retries (issue 8): a malformed multipart body is
a 400 problem, not a 500; every unsafe create honours ``Idempotency-Key`` (the same key
and body replay the first response, another body is a 409, nothing is written twice)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from nentang.identity.models import Organisation, Person
from nentang.identity.tests import support
from nentang.identity.tests.test_api import (
    CHILDREN,
    ORGANISATIONS,
    browser_of,
    child_body,
    organisation_body,
)

pytestmark = pytest.mark.django_db
CSRF_SECRET = "k" * 32


def post(browser: Client, url: str, body: Any, key: str | None = None) -> Any:
    headers = {"Idempotency-Key": key} if key else {}
    return browser.post(
        url, data=json.dumps(body), content_type="application/json", headers=headers
    )


@pytest.mark.parametrize("url", [CHILDREN, ORGANISATIONS])
@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("multipart/form-data; boundary=x", b""),
        ("multipart/form-data; boundary=x", b"--x\r\nnot a part"),
        ("multipart/form-data", b"anything"),
        ("application/x-www-form-urlencoded", b"%ff=%00"),
        ("application/json", b"\x00"),
        ("application/json", b'"a string"'),
        ("application/json", b"[]"),
    ],
)
def test_a_malformed_body_is_a_clear_4xx_problem(
    an: Person, url: str, content_type: str, body: bytes
) -> None:
    assert an.account is not None
    before = support.snapshot()

    # A real browser session: CSRF is checked (the check reads a form body first).
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(an.account)
    browser.cookies[settings.CSRF_COOKIE_NAME] = CSRF_SECRET

    response = browser.generic(
        "POST", url, body, content_type=content_type, headers={"X-CSRFToken": CSRF_SECRET}
    )

    assert 400 <= response.status_code < 500, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    assert response.json()["code"]
    assert support.snapshot() == before


def test_a_child_registration_is_replayed_for_the_same_key(an: Person) -> None:
    assert an.account is not None
    browser = browser_of(an.account)

    first = post(browser, CHILDREN, child_body(), key="child-1")
    again = post(browser, CHILDREN, child_body(), key="child-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Person.objects.filter(guardian=an).count() == 1


def test_an_organisation_registration_is_replayed_for_the_same_key(an: Person) -> None:
    assert an.account is not None
    browser = browser_of(an.account)

    first = post(browser, ORGANISATIONS, organisation_body(), key="org-1")
    again = post(browser, ORGANISATIONS, organisation_body(), key="org-1")

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Organisation.objects.count() == 1


def test_the_same_key_with_another_body_is_a_conflict(an: Person) -> None:
    assert an.account is not None
    browser = browser_of(an.account)
    post(browser, CHILDREN, child_body(), key="child-2")
    before = support.snapshot()

    other = post(browser, CHILDREN, child_body(full_name="Nguyễn Ngọc Bảo"), key="child-2")

    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_key_reused"
    assert support.snapshot() == before


def test_a_refused_request_is_not_stored_so_a_corrected_retry_succeeds(an: Person) -> None:
    assert an.account is not None
    browser = browser_of(an.account)

    refused = post(browser, CHILDREN, child_body(full_name=""), key="child-3")
    corrected = post(browser, CHILDREN, child_body(), key="child-3")

    assert refused.status_code == 422
    assert corrected.status_code == 201


def test_keys_belong_to_their_holder(an: Person, binh: Person, hanoi_officer: Any) -> None:
    """Another person's key is a key of their own: it replays nothing of An's."""
    assert an.account is not None
    post(browser_of(an.account), CHILDREN, child_body(), key="shared-key")
    support.verify(binh, hanoi_officer)
    assert binh.account is not None

    theirs = post(
        browser_of(binh.account),
        CHILDREN,
        child_body(
            id_number=support.id_number_for(support.years_ago(5), sex="female", serial=779),
            relationship="mother",  # Bình is a woman: the child-evidence rule checks it
        ),
        key="shared-key",
    )

    assert theirs.status_code == 201, theirs.content.decode()
    assert "Idempotent-Replayed" not in theirs


def test_every_unsafe_operation_of_the_identity_api_takes_an_idempotency_key() -> None:
    """A new POST/PUT/PATCH of the identity API that forgets the key fails here."""
    schema = Client().get("/api/v1/openapi.json").json()
    unsafe = {
        (path, method)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/identity/")
        for method in operations
        if method in ("post", "put", "patch")
    }
    assert unsafe, "the identity API has unsafe operations"
    for path, method in sorted(unsafe):
        parameters = schema["paths"][path][method].get("parameters", [])
        names = {(p["in"], p["name"]) for p in parameters}
        assert ("header", "Idempotency-Key") in names, f"{method.upper()} {path}"
