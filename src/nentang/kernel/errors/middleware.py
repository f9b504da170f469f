"""Middleware that keeps every API error in problem+json and enforces the body limit."""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.core.exceptions import DisallowedRedirect, RequestDataTooBig
from django.http import HttpRequest, HttpResponseRedirect, RawPostDataException
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _

from nentang.kernel.errors import (
    PROBLEM_CONTENT_TYPE,
    PayloadTooLarge,
    ProblemError,
    is_api_path,
    is_foreign_api_path,
    problem_response,
    response_for,
)
from nentang.kernel.errors.pages import error_page
from nentang.kernel.middleware_base import DualMiddleware
from nentang.kernel.security import MAX_RETURN_URL

logger = logging.getLogger("nentang.errors")


class ProblemMiddleware(DualMiddleware):
    """Under ``/api/``, rewrite any error response that is not yet problem+json.

    Ninja's handlers already answer in problem+json; this catches what happens outside
    ninja: unknown routes, wrong methods, CSRF failures, errors from other middleware.
    """

    def before(self, request: HttpRequest) -> HttpResponseBase | None:
        # No route holds a NUL byte, and no text column stores one (PostgreSQL refuses
        # it): a path with %00 is a 404 before any view looks up its parameters. A
        # foreign API answers in its own shape (its views handle the NUL themselves).
        if "\x00" in request.path and not is_foreign_api_path(request.path):
            if is_api_path(request.path):
                return problem_response(status=404)
            return error_page(request, 404)
        return None

    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if response.status_code < 400 or not is_api_path(request.path):
            return response
        if is_foreign_api_path(request.path):
            return response  # that API's own error shape (register_foreign_api)
        content_type = response.get("Content-Type", "")
        if content_type.startswith(PROBLEM_CONTENT_TYPE):
            return response
        detail = None
        if content_type.startswith("application/json"):
            # Ninja's own error bodies look like {"detail": "..."}; keep the sentence.
            try:
                parsed = json.loads(getattr(response, "content", b"") or b"null")
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and isinstance(parsed.get("detail"), str):
                detail = parsed["detail"]
        converted = problem_response(
            status=response.status_code, detail=detail, instance=request.path
        )
        for header, value in response.items():
            if header.lower() not in ("content-type", "content-length"):
                converted[header] = value
        return converted

    def process_exception(
        self, request: HttpRequest, exception: Exception
    ) -> HttpResponseBase | None:
        if is_foreign_api_path(request.path) and not isinstance(exception, RequestDataTooBig):
            return None  # the foreign API's views answer their own errors
        if isinstance(exception, ProblemError):
            if is_api_path(request.path):
                return response_for(exception, instance=request.path)
            return error_page(
                request, exception.status, detail=exception.detail, errors=exception.errors
            )
        if isinstance(exception, RequestDataTooBig):
            return _too_large(request)
        if isinstance(exception, RawPostDataException):
            # A view read the raw body of a request whose form body (multipart) was
            # already parsed, e.g. by the CSRF check: a body of the wrong kind, the
            # client's mistake (as Django treats a malformed multipart body), not ours.
            if is_api_path(request.path):
                detail = _("The request body is not valid JSON.")
                return problem_response(status=400, detail=detail, instance=request.path)
            return error_page(request, 400)
        if isinstance(exception, DisallowedRedirect):
            return _redirect_refused(request, exception)
        return None


def _redirect_refused(request: HttpRequest, exception: DisallowedRedirect) -> HttpResponseBase:
    """A view redirected to a URL Django refuses (over-long: a huge query string carried
    into ``next`` by ``redirect_to_login``; or an unsafe scheme). Without the query
    string the same page is asked again, when there was one (the huge ``next`` is
    dropped, the visitor still reaches the login); else 400. One log line, no
    traceback: it is the client's doing."""
    logger.warning("redirect refused for %s %s: %s", request.method, request.path[:200], exception)
    if (
        request.method in ("GET", "HEAD")
        and request.META.get("QUERY_STRING")
        and len(request.path) <= MAX_RETURN_URL
    ):
        return HttpResponseRedirect(request.path)
    if is_api_path(request.path):
        return problem_response(status=400, instance=request.path[:MAX_RETURN_URL])
    return error_page(request, 400)


def _too_large(request: HttpRequest) -> HttpResponseBase:
    limit = settings.NENTANG_MAX_BODY_BYTES
    error = PayloadTooLarge(
        _("The request body exceeds the limit of %(limit)s bytes.") % {"limit": limit},
        extra={"max_bytes": limit},
    )
    if is_api_path(request.path):
        return response_for(error, instance=request.path)
    return error_page(request, error.status, detail=error.detail)


class BodyLimitMiddleware(DualMiddleware):
    """Refuse a declared body larger than NENTANG_MAX_BODY_BYTES before anyone reads it.

    Under ASGI the same rule is applied earlier, while the body streams in
    (:mod:`nentang.kernel.observability.asgi`), so an undeclared (chunked) body is cut too.
    """

    def before(self, request: HttpRequest) -> HttpResponseBase | None:
        declared = request.META.get("CONTENT_LENGTH")
        if not declared:
            return None
        try:
            length = int(declared)
        except ValueError:
            length = -1
        if length < 0:
            if is_api_path(request.path):
                return problem_response(
                    status=400,
                    detail=_("The Content-Length header is not a valid length."),
                    instance=request.path,
                )
            return error_page(request, 400)
        if length > settings.NENTANG_MAX_BODY_BYTES:
            return _too_large(request)
        return None
