"""A request with an Idempotency-Key is authenticated twice (the key's owner first, then
the operation): a bearer authenticator built on ``OncePerRequestBearer`` looks its token
up once per request. Pure logic: no database."""

from __future__ import annotations

from django.http import HttpRequest
from django.test import RequestFactory

from nentang.kernel.idempotency import OncePerRequestBearer


class Counting(OncePerRequestBearer):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def authenticate(self, request: HttpRequest, token: str) -> str | None:
        self.lookups += 1
        return f"holder of {token}" if token == "good" else None


def _request(token: str) -> HttpRequest:
    return RequestFactory().post("/x", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_a_token_is_looked_up_once_per_request() -> None:
    auth = Counting()
    request = _request("good")
    assert auth(request) == "holder of good"
    assert auth(request) == "holder of good"
    assert auth.lookups == 1
    assert auth(_request("good")) == "holder of good"  # another request looks again
    assert auth.lookups == 2


def test_refusals_and_other_authenticators_are_not_remembered() -> None:
    auth, other = Counting(), Counting()
    request = _request("bad")
    assert auth(request) is None
    assert auth(request) is None
    assert auth.lookups == 2
    good = _request("good")
    assert auth(good) == "holder of good"
    assert other(good) == "holder of good"  # its own look-up, not the first one's answer
    assert other.lookups == 1
