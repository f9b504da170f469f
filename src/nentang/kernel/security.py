"""Headers Django 5.2 does not set by itself: Content-Security-Policy, Permissions-Policy."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase

from nentang.kernel.middleware_base import DualMiddleware

# Everything is served from our own origin: no CDN, no inline script.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        # Swagger UI (/api/v1/docs) sets inline styles; scripts stay strict.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "base-uri 'self'",
        "object-src 'none'",
    ]
)
PERMISSIONS_POLICY = "camera=(self), geolocation=(self), microphone=(), payment=(self)"


class SecurityHeadersMiddleware(DualMiddleware):
    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response
