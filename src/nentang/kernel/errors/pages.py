"""HTML error pages and the handler400/403/404/500 used by the root URLconf.

Under ``/api/`` the same handlers answer problem+json, so an unknown API route is
never an HTML page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from django.http import HttpRequest, HttpResponse
from django.template import TemplateDoesNotExist
from django.template.loader import render_to_string
from django.utils.html import escape

from nentang.kernel.errors import FieldError, is_api_path, problem_response, title_for_status

logger = logging.getLogger("nentang.errors")


def error_page(
    request: HttpRequest,
    status: int,
    *,
    detail: str | None = None,
    errors: Sequence[FieldError] = (),
) -> HttpResponse:
    title = title_for_status(status)
    context = {"status": status, "title": title, "detail": detail, "errors": errors}
    html: str
    try:
        html = render_to_string("errors/error.html", context, request=request)
    except TemplateDoesNotExist:
        html = f"<!doctype html><title>{status}</title><h1>{escape(title)}</h1>"
    return HttpResponse(html, status=status)


def _handler(status: int) -> object:
    def handler(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
        if is_api_path(request.path):
            return problem_response(status=status, instance=request.path)
        return error_page(request, status)

    handler.__name__ = f"handler{status}"
    return handler


handler400 = _handler(400)
handler403 = _handler(403)
handler404 = _handler(404)


def handler500(request: HttpRequest) -> HttpResponse:
    if is_api_path(request.path):
        return problem_response(status=500, instance=request.path)
    return error_page(request, 500)
