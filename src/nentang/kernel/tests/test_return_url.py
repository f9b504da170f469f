"""A huge query string is not carried into a login redirect: Django refuses to redirect
to more than 16,384 characters (DisallowedRedirect: a 400 and a logged traceback). The
``next`` is dropped instead — the visitor is sent to the same page without its query
string, and from there to the login — wherever ``next`` is taken."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

HUGE = "q=" + "x" * 20_000


@pytest.mark.django_db
@pytest.mark.parametrize(
    "page",
    [
        "/soc/",  # redirect_to_login in a context's own decorator
        "/opendata/tokens",  # redirect_to_login in a view
        "/account/",  # identity's login_required
    ],
)
def test_a_huge_query_string_is_dropped_on_the_way_to_the_login(
    page: str, caplog: pytest.LogCaptureFixture
) -> None:
    client = Client()
    with caplog.at_level(logging.WARNING):
        first = client.get(f"{page}?{HUGE}")
    assert first.status_code == 302, first.status_code
    assert first["Location"] in (page, f"/login?next={page.replace('/', '%2F')}")
    assert not [r for r in caplog.records if r.exc_info], "a traceback was logged"
    second = client.get(first["Location"], follow=True)
    assert second.status_code == 200
    assert all(len(url) < 200 for url, _status in second.redirect_chain)


@pytest.mark.django_db
def test_a_huge_next_posted_to_the_login_page_is_not_followed() -> None:
    client = Client()
    page = client.get("/login?next=/" + "a" * 20_000)
    assert page.status_code == 200
    assert b"a" * 3000 not in page.content
