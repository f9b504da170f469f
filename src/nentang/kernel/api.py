"""API glue: the ninja API object, its problem+json exception handlers, shared schemas.

Contexts build ``ninja.Router`` objects in their ``api.py``; ``nentang.config.urls``
mounts them on the API created here (the kernel never imports a context).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError

from nentang import __version__
from nentang.kernel.errors import FieldError, ProblemError, problem_response, response_for

logger = logging.getLogger("nentang.api")


class FieldErrorOut(Schema):
    field: str
    message: str
    code: str


class Problem(Schema):
    """RFC 9457 problem details, as every error of the API is shaped."""

    type: str
    title: str
    status: int
    code: str
    detail: str | None = None
    instance: str | None = None
    request_id: str
    errors: list[FieldErrorOut] | None = None


# Pydantic error types mapped to a stable code and a translatable sentence.
_VALIDATION_MESSAGES: dict[str, tuple[str, Any]] = {
    "missing": ("required", lambda ctx: _("This field is required.")),
    "string_too_short": (
        "too_short",
        lambda ctx: _("Must be at least %(n)s characters long.") % {"n": ctx.get("min_length")},
    ),
    "string_too_long": (
        "too_long",
        lambda ctx: _("Must be at most %(n)s characters long.") % {"n": ctx.get("max_length")},
    ),
    "string_pattern_mismatch": ("invalid_format", lambda ctx: _("Has the wrong format.")),
    "string_type": ("wrong_type", lambda ctx: _("Must be text.")),
    "int_parsing": ("wrong_type", lambda ctx: _("Must be a whole number.")),
    "int_type": ("wrong_type", lambda ctx: _("Must be a whole number.")),
    "int_from_float": ("wrong_type", lambda ctx: _("Must be a whole number.")),
    "bool_parsing": ("wrong_type", lambda ctx: _("Must be true or false.")),
    "bool_type": ("wrong_type", lambda ctx: _("Must be true or false.")),
    "greater_than": (
        "too_small",
        lambda ctx: _("Must be greater than %(n)s.") % {"n": ctx.get("gt")},
    ),
    "greater_than_equal": (
        "too_small",
        lambda ctx: _("Must be at least %(n)s.") % {"n": ctx.get("ge")},
    ),
    "less_than": ("too_large", lambda ctx: _("Must be less than %(n)s.") % {"n": ctx.get("lt")}),
    "less_than_equal": (
        "too_large",
        lambda ctx: _("Must be at most %(n)s.") % {"n": ctx.get("le")},
    ),
    "date_from_datetime_parsing": ("invalid_date", lambda ctx: _("Must be a date (YYYY-MM-DD).")),
    "date_parsing": ("invalid_date", lambda ctx: _("Must be a date (YYYY-MM-DD).")),
    "datetime_parsing": ("invalid_datetime", lambda ctx: _("Must be a date and time (ISO 8601).")),
    "uuid_parsing": ("invalid_id", lambda ctx: _("Must be a valid identifier.")),
    "enum": (
        "invalid_choice",
        lambda ctx: _("Must be one of: %(v)s.") % {"v": ctx.get("expected")},
    ),
    "literal_error": (
        "invalid_choice",
        lambda ctx: _("Must be one of: %(v)s.") % {"v": ctx.get("expected")},
    ),
    "extra_forbidden": ("unknown_field", lambda ctx: _("This field is not allowed.")),
    "model_attributes_type": ("wrong_type", lambda ctx: _("Must be an object.")),
    "dict_type": ("wrong_type", lambda ctx: _("Must be an object.")),
    "list_type": ("wrong_type", lambda ctx: _("Must be a list.")),
}

# ninja prefixes locations with the parameter source and the schema argument name.
_SOURCES = {"body", "query", "path", "header", "cookie", "form", "file"}


def field_errors_from_pydantic(errors: list[dict[str, Any]]) -> list[FieldError]:
    result = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in _SOURCES:
            source = loc[0]
            rest = loc[1:]
            # ("body", "payload", "amount") → "amount"; keep query/path names as they are.
            if source == "body" and len(rest) > 1:
                rest = rest[1:]
            field = ".".join(rest) or source
        else:
            field = ".".join(loc) or "body"
        kind = str(error.get("type", ""))
        ctx = error.get("ctx") or {}
        if kind in _VALIDATION_MESSAGES:
            code, message = _VALIDATION_MESSAGES[kind]
            text = str(message(ctx))
        elif kind == "value_error" and "error" in ctx:
            # A validator raised ValueError("…"): its sentence is the message.
            code, text = "invalid", str(ctx["error"])
        else:
            code, text = "invalid", str(error.get("msg", _("Invalid value.")))
        result.append(FieldError(field=field, message=text, code=code))
    return result


def create_api(*, title: str = "nentang API", namespace: str = "api-v1") -> NinjaAPI:
    api = NinjaAPI(
        title=title,
        version=__version__,
        description=(
            "Nền tảng số — APIs of the nentang national digital platform. "
            "Every error is RFC 9457 `application/problem+json` with a stable `code`."
        ),
        urls_namespace=namespace,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    _install_handlers(api)

    @api.get("/ping", tags=["platform"], summary="Liveness of the API stack", auth=None)
    async def ping(request: HttpRequest) -> dict[str, str]:
        return {"status": "ok"}

    return api


def _install_handlers(api: NinjaAPI) -> None:
    def problem(request: HttpRequest, exc: Any) -> HttpResponse:
        return response_for(exc, instance=request.path)

    def validation(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(
            status=422,
            detail=_("Some fields are invalid."),
            instance=request.path,
            errors=field_errors_from_pydantic(list(exc.errors)),
        )

    def http_error(request: HttpRequest, exc: Any) -> HttpResponse:
        message = str(exc)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            return problem_response(
                status=400,
                code="malformed_body",
                detail=_("The request body is not valid JSON."),
                instance=request.path,
            )
        headers = {}
        if isinstance(exc, Throttled) and exc.wait:
            headers["Retry-After"] = str(exc.wait)
        if isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = "Bearer"
        return problem_response(
            status=exc.status_code, detail=message, instance=request.path, headers=headers
        )

    def not_found(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(status=404, instance=request.path)

    def forbidden(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(status=403, instance=request.path)

    def too_big(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(status=413, instance=request.path)

    def unexpected(request: HttpRequest, exc: Any) -> HttpResponse:
        logger.exception("unhandled error in %s %s", request.method, request.path)
        return problem_response(status=500, instance=request.path)

    api.add_exception_handler(Exception, unexpected)
    api.add_exception_handler(ProblemError, problem)
    api.add_exception_handler(NinjaValidationError, validation)
    api.add_exception_handler(HttpError, http_error)
    api.add_exception_handler(Http404, not_found)
    api.add_exception_handler(PermissionDenied, forbidden)
    api.add_exception_handler(RequestDataTooBig, too_big)
