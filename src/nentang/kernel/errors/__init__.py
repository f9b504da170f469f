"""One error shape for the whole platform: RFC 9457 problem details.

Domain code raises a :class:`ProblemError` subclass (``NotFound``, ``Conflict``,
``ValidationFailed`` …) with a stable ``code``; the API layer, the HTML views and the
middleware all turn it into the same ``application/problem+json`` body::

    {"type": "http://127.0.0.1:8000/problems/not_found", "title": "Not found",
     "status": 404, "detail": "…", "instance": "/api/v1/…", "code": "not_found",
     "request_id": "…", "errors": [{"field": "amount", "message": "…", "code": "…"}]}

``code`` is part of the API contract: clients branch on it, never on ``title``/``detail``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from nentang.kernel.errors.registry import GENERIC
from nentang.kernel.observability.context import current_request_id

PROBLEM_CONTENT_TYPE = "application/problem+json"


@dataclass(frozen=True)
class FieldError:
    """One invalid input field. ``field`` is a dotted path (``address.ward_code``)."""

    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": str(self.message), "code": self.code}


# The generic code and title of each HTTP error status (see registry.py for the
# catalogue of every code, with what it means and what to do).
STATUS_CODES: Mapping[int, tuple[str, Any]] = GENERIC


def code_for_status(status: int) -> str:
    if status in STATUS_CODES:
        return STATUS_CODES[status][0]
    return "server_error" if status >= 500 else "client_error"


def title_for_status(status: int) -> str:
    if status in STATUS_CODES:
        return str(STATUS_CODES[status][1])
    return _("Server error") if status >= 500 else _("Client error")


class ProblemError(Exception):
    """An error with an HTTP status and a stable code, raised by services or views."""

    status: ClassVar[int] = 400
    code: str = "bad_request"
    title: str | None = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: Iterable[FieldError] = (),
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        self.detail = detail
        if code is not None:
            self.code = code
        self.errors: tuple[FieldError, ...] = tuple(errors)
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        super().__init__(detail or self.code)

    def get_title(self) -> str:
        return str(self.title) if self.title else title_for_status(self.status)


class BadRequest(ProblemError):
    status = 400
    code = "bad_request"


class Unauthorized(ProblemError):
    status = 401
    code = "unauthorized"


class Forbidden(ProblemError):
    status = 403
    code = "forbidden"


class NotFound(ProblemError):
    status = 404
    code = "not_found"


class Conflict(ProblemError):
    status = 409
    code = "conflict"


class PayloadTooLarge(ProblemError):
    status = 413
    code = "payload_too_large"


class ValidationFailed(ProblemError):
    """Input broke a rule. Carries one :class:`FieldError` per offending field."""

    status = 422
    code = "validation_failed"


class RateLimited(ProblemError):
    status = 429
    code = "rate_limited"

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None) -> None:
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        super().__init__(detail, headers=headers)


def problem_type(code: str) -> str:
    return f"{settings.BASE_URL}/problems/{code}"


def problem_body(
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[FieldError] = (),
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "type": problem_type(code),
        "title": title,
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = str(detail)
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = [error.as_dict() for error in errors]
    body["request_id"] = current_request_id()
    if extra:
        for key, value in extra.items():
            body.setdefault(key, value)
    return body


def problem_response(
    *,
    status: int,
    code: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    instance: str | None = None,
    errors: Sequence[FieldError] = (),
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> HttpResponse:
    body = problem_body(
        status=status,
        code=code or code_for_status(status),
        title=title or title_for_status(status),
        detail=detail,
        instance=instance,
        errors=errors,
        extra=extra,
    )
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False),
        status=status,
        content_type=f"{PROBLEM_CONTENT_TYPE}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def response_for(error: ProblemError, *, instance: str | None = None) -> HttpResponse:
    return problem_response(
        status=error.status,
        code=error.code,
        title=error.get_title(),
        detail=error.detail,
        instance=instance,
        errors=error.errors,
        headers=error.headers,
        extra=error.extra,
    )


# Paths of APIs that speak another protocol's error shape (CKAN's Action API answers
# ``{"success": false, "error": {"__type": …}}``): the context serving one registers
# its prefix, and the problem+json middleware leaves those responses as they are.
_foreign_api_prefixes: tuple[str, ...] = ()


def register_foreign_api(prefix: str) -> None:
    """Let the views under ``prefix`` (e.g. ``/api/3/``) answer their own errors."""
    global _foreign_api_prefixes
    if not prefix.startswith("/api/"):
        raise ValueError("foreign APIs live under /api/")
    if prefix not in _foreign_api_prefixes:
        _foreign_api_prefixes = (*_foreign_api_prefixes, prefix)


def is_foreign_api_path(path: str) -> bool:
    return path.startswith(_foreign_api_prefixes) if _foreign_api_prefixes else False


def is_api_path(path: str) -> bool:
    return path.startswith("/api/")
