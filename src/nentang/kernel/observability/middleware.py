"""Request context: request id (in and out), access log line, Prometheus observations."""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from nentang.kernel.middleware_base import DualMiddleware
from nentang.kernel.observability import metrics
from nentang.kernel.observability.context import (
    accept_request_id,
    bind_request_id,
    reset_request_id,
)

access_log = logging.getLogger("nentang.access")

REQUEST_ID_HEADER = "X-Request-ID"
# Paths whose scrape/probe traffic would drown the access log.
_QUIET = ("/healthz", "/readyz", "/metrics")


class RequestContextMiddleware(DualMiddleware):
    def before(self, request: HttpRequest) -> HttpResponseBase | None:
        request_id = accept_request_id(request.META.get("HTTP_X_REQUEST_ID"))
        request.request_id = request_id  # type: ignore[attr-defined]
        request._nentang_token = bind_request_id(request_id)  # type: ignore[attr-defined]
        request._nentang_started = time.perf_counter()  # type: ignore[attr-defined]
        return None

    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        elapsed = time.perf_counter() - request._nentang_started  # type: ignore[attr-defined]
        response[REQUEST_ID_HEADER] = request.request_id  # type: ignore[attr-defined]
        match = request.resolver_match
        route = ("/" + match.route) if match is not None and match.route else "<unmatched>"
        method = request.method or "-"
        metrics.observe_request(route, method, response.status_code, elapsed)
        if not request.path.startswith(_QUIET):
            access_log.info(
                "%s %s %s",
                method,
                request.path,
                response.status_code,
                extra={
                    "method": method,
                    "path": request.path,
                    "route": route,
                    "status": response.status_code,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
        reset_request_id(request._nentang_token)  # type: ignore[attr-defined]
        return response
