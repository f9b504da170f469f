"""Headers Django 5.2 does not set by itself (Content-Security-Policy, Permissions-Policy),
the client address of a request behind trusted reverse proxies, and the bounded
"come back here" URL a login redirect carries."""

from __future__ import annotations

import ipaddress

from django.conf import settings
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

# The longest "next" a login redirect carries. Django refuses to redirect to a URL of
# more than 16,384 characters (DisallowedRedirect, logged with a traceback); a query
# string encoded into ``next`` grows up to threefold, so 2,000 keeps every such
# redirect far below it — and no page of ours needs a longer address to come back to.
MAX_RETURN_URL = 2000


def return_url(request: HttpRequest) -> str:
    """Where to come back after a login: the full path, or without its query string
    when that is over-long (a huge ``next`` is dropped, not carried), or ``/``."""
    for candidate in (request.get_full_path(), request.path):
        if len(candidate) <= MAX_RETURN_URL:
            return candidate
    return "/"


class SecurityHeadersMiddleware(DualMiddleware):
    def after(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if "Content-Security-Policy" not in response:
            response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        return response


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(value.strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    networks = getattr(settings, "NENTANG_TRUSTED_PROXIES", ())
    return any(address.version == net.version and address in net for net in networks)


def client_address(request: HttpRequest | None) -> str | None:
    """The address of the client behind ``request``: ``REMOTE_ADDR``, unless that is one
    of ``NENTANG_TRUSTED_PROXIES`` — then the nearest address of ``X-Forwarded-For``
    (read from the right) that is not a trusted proxy. A client cannot choose its own
    address: whatever it writes into the header stays left of what the proxies append.
    None when there is no valid address. Every per-address throttle uses this."""
    if request is None:
        return None
    remote = _address(str(request.META.get("REMOTE_ADDR") or ""))
    if remote is None:
        return None
    if not _trusted(remote):
        return str(remote)
    forwarded = str(request.META.get("HTTP_X_FORWARDED_FOR") or "")
    hops = [hop for hop in (part.strip() for part in forwarded.split(",")) if hop]
    client = remote
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break  # garbage in the chain: stop at the last address we could trust
        client = address
        if not _trusted(address):
            break
    return str(client)
