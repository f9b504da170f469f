"""API glue: the ninja API object, its problem+json exception handlers, shared schemas.

Contexts build ``ninja.Router`` objects in their ``api.py``; ``nentang.config.urls``
mounts them on the API created here (the kernel never imports a context).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse, RawPostDataException
from django.http.multipartparser import MultiPartParserError
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, Throttled
from ninja.errors import ValidationError as NinjaValidationError
from ninja.parser import Parser

from nentang import __version__
from nentang.kernel.errors import (
    PROBLEM_CONTENT_TYPE,
    FieldError,
    ProblemError,
    ValidationFailed,
    problem_response,
    response_for,
)
from nentang.kernel.problems import MALFORMED_BODY

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


def _nul_fields(value: Any, path: str) -> list[str]:
    if isinstance(value, str):
        return [path] if "\x00" in value else []
    if isinstance(value, dict):
        found = []
        for key, item in value.items():
            child = f"{path}.{key}" if path else str(key)
            found += [child] if "\x00" in str(key) else _nul_fields(item, child)
        return found
    if isinstance(value, list):
        return [f for index, item in enumerate(value) for f in _nul_fields(item, f"{path}.{index}")]
    return []


def _refuse_nul(fields: list[str]) -> None:
    if fields:
        raise ValidationFailed(
            _("Some fields contain a NUL character."),
            errors=[
                FieldError(field, _("Must not contain NUL characters."), "invalid_characters")
                for field in fields
            ],
        )


class StrictParser(Parser):
    """JSON and query parsing that refuses NUL characters, which no text column stores
    (PostgreSQL rejects them) and no legitimate client sends."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        body = super().parse_body(request)
        raw = request.body
        # JSON admits no raw control character in a string, so a NUL is only ever the
        # escape \u0000; and a body without zero bytes is UTF-8, where that escape is
        # plain ASCII. Without either, no value needs walking (a sorting centre's batch
        # is a thousand items).
        if b"\x00" in raw or b"\\u0000" in raw:
            _refuse_nul(_nul_fields(body, ""))
        return body

    def parse_querydict(
        self, data: MultiValueDict[str, Any], list_fields: list[str], request: HttpRequest
    ) -> dict[str, Any]:
        parsed = super().parse_querydict(data, list_fields, request)
        _refuse_nul(_nul_fields(parsed, ""))
        return parsed


# Response descriptions ninja writes in English (HTTP reason phrases), in the reader's
# language in the document.
_STATUS_TEXTS: dict[str, Any] = {
    "200": gettext_lazy("OK"),
    "201": gettext_lazy("Created"),
    "202": gettext_lazy("Accepted"),
    "204": gettext_lazy("No content"),
    "400": gettext_lazy("Bad request"),
    "401": gettext_lazy("Not logged in"),
    "403": gettext_lazy("Forbidden"),
    "404": gettext_lazy("Not found"),
    "409": gettext_lazy("Conflict"),
    "410": gettext_lazy("Gone"),
    "413": gettext_lazy("Request too large"),
    "422": gettext_lazy("Invalid data"),
    "429": gettext_lazy("Too many requests"),
}


def _localise(node: Any, key: str | None = None) -> Any:
    """Summaries and descriptions through gettext, so the document (and the reference
    page built from it) speaks the reader's language. Contexts mark these strings with
    ``gettext_noop`` where they write them, so makemessages extracts them."""
    if isinstance(node, dict):
        return {k: _localise(v, k) for k, v in node.items()}
    if isinstance(node, list):
        return [_localise(item) for item in node]
    if isinstance(node, str) and key in ("summary", "description") and node:
        return _(node)
    return node


class ProblemNinjaAPI(NinjaAPI):
    """Documents every 4xx/5xx response as ``application/problem+json``, as it is sent,
    in the reader's language."""

    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content")
                    if str(status)[:1] in "45" and content and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
                    if str(status) in _STATUS_TEXTS:
                        response["description"] = str(_STATUS_TEXTS[str(status)])
        return _localise(schema)


def create_api(*, title: str = "nentang API", namespace: str = "api-v1") -> NinjaAPI:
    api = ProblemNinjaAPI(
        title=title,
        parser=StrictParser(),
        version=__version__,
        description=gettext_noop(
            "The JSON APIs of this installation of nentang, the open-source digital "
            "platform. Every error is RFC 9457 `application/problem+json` with a stable `code`."
        ),
        urls_namespace=namespace,
        # The reference page is the web shell's (config/urls.py mounts it at /api/v1/docs).
        docs_url=None,
        openapi_url="/openapi.json",
    )
    _install_handlers(api)

    @api.get(
        "/ping", tags=["platform"], summary=gettext_noop("Liveness of the API stack"), auth=None
    )
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
        if isinstance(exc.__cause__, ProblemError):  # raised by StrictParser, wrapped by ninja
            return response_for(exc.__cause__, instance=request.path)
        if exc.status_code == 400 and message.startswith("Cannot parse request body"):
            return problem_response(
                status=400,
                code=MALFORMED_BODY,
                detail=_("The request body is not valid JSON."),
                instance=request.path,
            )
        headers = {}
        if isinstance(exc, Throttled):
            # ninja's own wording is English: say it in the reader's language.
            message = _("Too many requests. Wait a moment, then try again.")
            if exc.wait:
                headers["Retry-After"] = str(exc.wait)
        if isinstance(exc, AuthenticationError):
            headers["WWW-Authenticate"] = "Bearer"
            message = _(
                "Log in first, or send an access token issued by this platform "
                "(Authorization: Bearer …)."
            )
        return problem_response(
            status=exc.status_code, detail=message, instance=request.path, headers=headers
        )

    def malformed_form(request: HttpRequest, exc: Any) -> HttpResponse:
        return problem_response(
            status=400,
            code=MALFORMED_BODY,
            detail=_("The request body is not a valid form (multipart or URL-encoded)."),
            instance=request.path,
        )

    def body_already_read(request: HttpRequest, exc: Any) -> HttpResponse:
        # A session's CSRF check parsed a form (multipart) body before the operation
        # asked for its JSON body: the body was never JSON, so say so.
        return problem_response(
            status=400,
            code=MALFORMED_BODY,
            detail=_("The request body is not valid JSON."),
            instance=request.path,
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
    api.add_exception_handler(MultiPartParserError, malformed_form)
    api.add_exception_handler(RawPostDataException, body_already_read)
