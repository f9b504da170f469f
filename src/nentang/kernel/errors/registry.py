"""The catalogue of problem types: every ``code`` a problem+json body can carry.

RFC 9457 asks that a problem's ``type`` URI lead people to documentation; ours is
``<BASE_URL>/problems/<code>``, rendered by the web shell from this registry. A context
declares its codes in its ``problems.py`` (imported by its AppConfig), giving each a
status, a title, what it means and what to do::

    PROVINCE_NOT_FOUND = register(
        "province_not_found", status=404, title=_("Province not found"),
        meaning=_("…"), advice=_("…"),
    )

and raises ``NotFound(detail, code=PROVINCE_NOT_FOUND)``. A test scans the source and
fails when a raised code is not registered or its status disagrees.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Text = str | Promise


@dataclass(frozen=True)
class ProblemType:
    code: str
    status: int
    title: Text
    meaning: Text
    advice: Text

    @property
    def type_uri(self) -> str:
        return f"{settings.BASE_URL}/problems/{self.code}"

    @property
    def generic(self) -> bool:
        """True for the generic code of an HTTP status (``not_found``), not a context's."""
        return GENERIC_CODES.get(self.status) == self.code

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


_REGISTRY: dict[str, ProblemType] = {}
_CODE_SHAPE = "abcdefghijklmnopqrstuvwxyz0123456789_"


def register(code: str, *, status: int, title: Text, meaning: Text, advice: Text) -> str:
    """Declare a problem code; returns the code so it can be kept in a constant."""
    if not code or code[0] == "_" or any(ch not in _CODE_SHAPE for ch in code):
        raise ValueError(f"problem codes are lower_snake_case, got {code!r}")
    if not 400 <= status <= 599:
        raise ValueError(f"problem {code!r}: status {status} is not an error status")
    existing = _REGISTRY.get(code)
    if existing is not None and existing.status != status:
        raise ValueError(f"problem {code!r} already registered with status {existing.status}")
    _REGISTRY[code] = ProblemType(
        code=code, status=status, title=title, meaning=meaning, advice=advice
    )
    return code


def problem_types() -> list[ProblemType]:
    """Every registered problem type: by status, the generic one of a status first."""
    return sorted(_REGISTRY.values(), key=lambda p: (p.status, not p.generic, p.code))


def problem_type_for_code(code: str) -> ProblemType | None:
    return _REGISTRY.get(code)


def problem_type_for_status(status: int) -> ProblemType | None:
    """The generic problem type of an HTTP status (what an HTML error page explains)."""
    code = GENERIC_CODES.get(status)
    return _REGISTRY.get(code) if code else None


# The generic code and title of each HTTP error status.
GENERIC: Mapping[int, tuple[str, Promise]] = {
    400: ("bad_request", _("Bad request")),
    401: ("unauthorized", _("Authentication required")),
    403: ("forbidden", _("Forbidden")),
    404: ("not_found", _("Not found")),
    405: ("method_not_allowed", _("Method not allowed")),
    406: ("not_acceptable", _("Not acceptable")),
    409: ("conflict", _("Conflict")),
    410: ("gone", _("Gone")),
    412: ("precondition_failed", _("Precondition failed")),
    413: ("payload_too_large", _("Request body too large")),
    415: ("unsupported_media_type", _("Unsupported media type")),
    422: ("validation_failed", _("Invalid input")),
    429: ("rate_limited", _("Too many requests")),
    500: ("internal_error", _("Internal error")),
    502: ("bad_gateway", _("Bad gateway")),
    503: ("unavailable", _("Service unavailable")),
}
GENERIC_CODES: Mapping[int, str] = {status: code for status, (code, _t) in GENERIC.items()}

# What the problem means and what the reader can do, for citizens and developers alike.
_GENERIC_EXPLANATIONS: Mapping[str, tuple[Promise, Promise]] = {
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


for _status, (_code, _title) in GENERIC.items():
    _meaning, _advice = _GENERIC_EXPLANATIONS[_code]
    register(_code, status=_status, title=_title, meaning=_meaning, advice=_advice)
