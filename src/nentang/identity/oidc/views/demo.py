"""A tiny relying party for the demo: ``/demo/`` starts "log in with e-ID" for the public
client ``demo-portal``, ``/demo/callback`` completes the flow.

It is a browser application, as a public client is: the page's script (static
``identity_oidc/demo_rp.js``) makes the PKCE verifier and challenge (S256), ``state`` and
``nonce``, sends the browser to the authorization endpoint, exchanges the code at the
token endpoint, checks ``state`` and ``nonce`` and shows the ID token's claims and the
userinfo answer. Nothing here is privileged: any OIDC client library does the same.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

DEMO_CLIENT_ID = "demo-portal"
DEMO_SCOPES = "openid profile address vn_id"


def _context(page: str) -> dict[str, str]:
    base = str(settings.BASE_URL)
    return {
        "page": page,
        "client_id": DEMO_CLIENT_ID,
        "scope": DEMO_SCOPES,
        "authorize": f"{base}/oidc/authorize",
        "token": f"{base}/oidc/token",
        "userinfo": f"{base}/oidc/userinfo",
        "logout": f"{base}/oidc/logout",
        "redirect_uri": f"{base}/demo/callback",
        "home": f"{base}/demo/",
    }


def demo_start(request: HttpRequest) -> HttpResponse:
    return render(request, "identity_oidc/demo.html", _context("start"))


def demo_callback(request: HttpRequest) -> HttpResponse:
    return render(request, "identity_oidc/demo.html", _context("callback"))
