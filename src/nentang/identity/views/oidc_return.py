"""A login started by a service ("log in with e-ID") ends at that service: after the
login form is posted, the browser follows the authorization endpoint's redirect to the
client, and CSP Level 3 applies ``form-action`` to that redirect too. The login pages
therefore widen ``form-action`` to the client's registered origin — only when ``next``
is our authorization endpoint with a registered client and redirect URI."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.http import HttpResponse
from django.urls import reverse
from oauth2_provider.models import Application

from nentang.identity.oidc.views.authorize import csp_allowing_form_action, origin_of


def client_origin(next_url: str) -> str | None:
    parts = urlsplit(next_url)
    if parts.path != reverse("identity_oidc:authorize"):
        return None
    query = parse_qs(parts.query)
    client_id = (query.get("client_id") or [""])[0][:255]
    redirect_uri = (query.get("redirect_uri") or [""])[0]
    application = Application.objects.filter(client_id=client_id).only("redirect_uris").first()
    if application is None or redirect_uri not in application.redirect_uris.split():
        return None
    return origin_of(redirect_uri)


def client_name(next_url: str) -> str:
    """The name of the service a login returns to (its registered client), or ""."""
    if client_origin(next_url) is None:
        return ""
    client_id = (parse_qs(urlsplit(next_url).query).get("client_id") or [""])[0][:255]
    found = Application.objects.filter(client_id=client_id).values_list("name", flat=True)
    return str(found.first() or "")


def allow_return_to_client(response: HttpResponse, next_url: str) -> HttpResponse:
    origin = client_origin(next_url)
    if origin:
        response["Content-Security-Policy"] = csp_allowing_form_action([origin])
    return response
