"""The human-readable side of our RFC 9457 problem types.

Every problem+json body carries ``"type": "<BASE_URL>/problems/<code>"``; RFC 9457 asks
that this URI lead to documentation for people. The pages at ``/problems/`` are built
from :data:`nentang.kernel.errors.STATUS_CODES` plus the explanations below, so a code
added to the kernel without an explanation is caught by a test (``test_problems.py``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors import STATUS_CODES, problem_type


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: str | Promise
    meaning: str | Promise
    advice: str | Promise

    @property
    def type_uri(self) -> str:
        return problem_type(self.code)

    def example(self) -> str:
        """A sample problem+json body, as an API client would receive it."""
        body = {
            "type": self.type_uri,
            "title": str(self.title),
            "status": self.status,
            "code": self.code,
            "detail": str(self.meaning),
            "instance": "/api/v1/…",
            "request_id": "5f0c2a9e7d1b4c3a8e6f9d21",
        }
        return json.dumps(body, ensure_ascii=False, indent=2)


# What the problem means and what the reader can do, for citizens and developers alike.
EXPLANATIONS: Mapping[str, tuple[Promise, Promise]] = {
    "bad_request": (
        _("The request is malformed or incomplete, so it could not be processed."),
        _("Check what you entered or sent and try again. Nothing was changed."),
    ),
    "unauthorized": (
        _(
            "You need to log in, or the access token sent with the request is missing, "
            "invalid or expired."
        ),
        _("Log in and try again. API clients: obtain a new access token."),
    ),
    "forbidden": (
        _("You are logged in, but you are not allowed to do this or to see this."),
        _("If you think you should have access, contact the agency that manages this service."),
    ),
    "not_found": (
        _("The page or the record does not exist, or it is not visible to you."),
        _("Check the address for typing mistakes, or start again from the home page."),
    ),
    "method_not_allowed": (
        _(
            "This address exists but does not accept this kind of request, for example "
            "sending data to a page that can only be read."
        ),
        _("API clients: check the HTTP method in the API documentation."),
    ),
    "not_acceptable": (
        _("The server cannot answer in any of the formats the request accepts."),
        _("API clients: accept application/json or application/problem+json."),
    ),
    "conflict": (
        _(
            "The request conflicts with the current state of the record: someone changed it "
            "in the meantime, or an Idempotency-Key was reused with a different request body."
        ),
        _("Reload the record, check its current state and try again."),
    ),
    "gone": (
        _("This record or address existed but has been removed permanently."),
        _("Start again from the home page."),
    ),
    "precondition_failed": (
        _(
            "A condition sent with the request, such as If-Match, no longer holds: the "
            "record changed since you last read it."
        ),
        _("Read the record again and repeat your change on the new version."),
    ),
    "payload_too_large": (
        _("The data or the file you sent is larger than this installation accepts."),
        _("Send a smaller file, or less data at a time."),
    ),
    "unsupported_media_type": (
        _("The data was sent in a format the server does not read."),
        _("API clients: send JSON with the header Content-Type: application/json."),
    ),
    "validation_failed": (
        _(
            "Some of the information breaks a rule, for example a required field is empty "
            "or a date is not valid. Each problem is listed with its field."
        ),
        _("Correct the fields listed and send again. Nothing was saved."),
    ),
    "rate_limited": (
        _("Too many requests were sent in a short time."),
        _("Wait a moment and try again. API clients: respect the Retry-After header."),
    ),
    "internal_error": (
        _("Something went wrong on our side. It is not your fault."),
        _(
            "Try again later. If it keeps happening, contact support and quote the "
            "request ID shown on the page."
        ),
    ),
    "bad_gateway": (
        _("A system that this service depends on did not answer correctly."),
        _("Try again in a few minutes."),
    ),
    "unavailable": (
        _("The service is temporarily unavailable, for example during maintenance."),
        _("Try again later."),
    ),
}


def _build(status: int, code: str, title: str | Promise) -> ProblemType:
    meaning, advice = EXPLANATIONS.get(code, ("", ""))
    return ProblemType(code=code, status=status, title=title, meaning=meaning, advice=advice)


def problem_types() -> list[ProblemType]:
    """Every generic problem type, by HTTP status."""
    return [_build(status, code, title) for status, (code, title) in sorted(STATUS_CODES.items())]


def problem_type_for_code(code: str) -> ProblemType | None:
    for status, (known, title) in STATUS_CODES.items():
        if known == code:
            return _build(status, code, title)
    return None


def problem_type_for_status(status: int) -> ProblemType | None:
    if status not in STATUS_CODES:
        return None
    code, title = STATUS_CODES[status]
    return _build(status, code, title)
