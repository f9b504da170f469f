"""The machine endpoints: discovery, JWKS, token, revocation (RFC 7009), introspection
(RFC 7662), userinfo and RP-initiated logout.

OAuth clients expect the errors of RFC 6749 (``{"error", "error_description"}``) and
RFC 6750 (``WWW-Authenticate: Bearer error=…``) here, not problem+json.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.contrib.auth import logout
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.exceptions import InvalidOIDCClientError, OIDCError
from oauth2_provider.models import Application
from oauth2_provider.views.mixins import OAuthLibMixin
from oauth2_provider.views.oidc import RPInitiatedLogoutView

from nentang.identity.oidc import keys
from nentang.identity.oidc.claims import ACR_VALUES, person_claims, subject
from nentang.identity.oidc.common import endpoint, issuer, policy_of
from nentang.identity.oidc.scopes import CLAIMS, SCOPES
from nentang.identity.oidc.services import logout_by_client
from nentang.identity.oidc.tokens import TokenRefused, person_token
from nentang.identity.oidc.usage import release_record

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def discovery_document() -> dict[str, Any]:
    """OpenID Provider Metadata: every feature listed is one this provider implements."""
    return {
        "issuer": issuer(),
        "authorization_endpoint": endpoint("/oidc/authorize"),
        "token_endpoint": endpoint("/oidc/token"),
        "userinfo_endpoint": endpoint("/oidc/userinfo"),
        "jwks_uri": endpoint("/oidc/jwks"),
        "revocation_endpoint": endpoint("/oidc/revoke"),
        "introspection_endpoint": endpoint("/oidc/introspect"),
        "end_session_endpoint": endpoint("/oidc/logout"),
        "scopes_supported": list(SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise", "public"],
        "id_token_signing_alg_values_supported": list(keys.ALGORITHMS),
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "token_endpoint_auth_signing_alg_values_supported": [
            "ES256",
            "ES384",
            "ES512",
            "RS256",
            "RS384",
            "RS512",
            "PS256",
            "PS384",
            "PS512",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ],
        "code_challenge_methods_supported": ["S256"],
        "acr_values_supported": list(ACR_VALUES),
        "claims_supported": [
            "sub",
            "iss",
            "aud",
            "exp",
            "iat",
            "auth_time",
            "nonce",
            "acr",
            "at_hash",
            *[claim for claim in CLAIMS if claim not in ("sub", "acr")],
        ],
        # The claims parameter is read for an essential "acr" (a required e-ID level);
        # other requested claims follow the granted scopes, as OIDC Core 5.5 allows.
        "claims_parameter_supported": True,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "prompt_values_supported": ["none", "login", "consent"],
        "ui_locales_supported": [code for code, _name in settings.LANGUAGES],
        "claims_locales_supported": ["vi"],
        "authorization_response_iss_parameter_supported": True,
        "frontchannel_logout_supported": False,
        "backchannel_logout_supported": False,
        "service_documentation": endpoint("/api/v1/docs"),
    }


def discovery(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(discovery_document())
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(keys.jwks())
    response["Access-Control-Allow-Origin"] = "*"
    # Short: relying parties must see a rotation soon (the new key signs at once).
    response["Cache-Control"] = "public, max-age=300"
    response["Content-Type"] = "application/jwk-set+json"
    return response


def oauth_error(status: int, error: str, description: str) -> HttpResponse:
    """An RFC 6749 (section 5.2) error answer."""
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    for name, value in NO_STORE.items():
        response[name] = value
    return response


def parameter_with_nul(request: HttpRequest) -> str | None:
    """The first parameter (query or form) whose name or value holds a NUL character:
    such a value cannot be stored (PostgreSQL refuses it in text) and is never a valid
    OAuth value, so it is refused before it reaches oauthlib or the database."""
    sources = [request.GET]
    if request.method == "POST":
        sources.append(request.POST)
    for source in sources:
        for name, values in source.lists():
            if "\x00" in name + "".join(values):
                return name.replace("\x00", "")
    return None


class RefuseNul:
    """Mixin of the machine endpoints: a NUL character anywhere is ``invalid_request``."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        name = parameter_with_nul(request)
        if name is not None:
            return oauth_error(
                400, "invalid_request", f"The parameter {name} contains a NUL character."
            )
        response: HttpResponse = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return response


def _from_oauthlib(headers: dict[str, str], body: str | None, status: int) -> HttpResponse:
    response = HttpResponse(body or "", status=status, content_type="application/json")
    for name, value in headers.items():
        response[name] = value
    return response


@method_decorator(csrf_exempt, name="dispatch")
class TokenView(RefuseNul, OAuthLibMixin, View):
    """RFC 6749 token endpoint, in one transaction: the tokens, the ID token, the code
    claimed and the data-usage entry commit together (refusals write only what they
    must: a consumed assertion ``jti``, a revoked token family)."""

    def post(self, request: HttpRequest) -> HttpResponse:
        if "resource" in request.POST:  # RFC 8707 is not offered (not in discovery)
            return oauth_error(
                400, "invalid_target", "Resource indicators (RFC 8707) are not supported."
            )
        if request.POST.get("grant_type") == "client_credentials":
            # One write (the access token), already in DOT's own transaction.
            _url, headers, body, status = self.create_token_response(request)
        else:
            with transaction.atomic():
                _url, headers, body, status = self.create_token_response(request)
        return _from_oauthlib(headers, body, status)


@method_decorator(csrf_exempt, name="dispatch")
class RevokeView(RefuseNul, OAuthLibMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        with transaction.atomic():
            _url, headers, body, status = self.create_revocation_response(request)
        return _from_oauthlib(headers, body, status)


@method_decorator(csrf_exempt, name="dispatch")
class IntrospectView(RefuseNul, OAuthLibMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        core = self.get_oauthlib_core()
        uri, method, body, headers = core._extract_params(request)
        with transaction.atomic():
            out_headers, out_body, status = core.server.create_introspect_response(
                uri, method, body, headers
            )
        return _from_oauthlib(out_headers, out_body, status)


def _bearer_error(status: int, error: str, description: str) -> HttpResponse:
    response = JsonResponse({"error": error, "error_description": description}, status=status)
    response["WWW-Authenticate"] = f'Bearer error="{error}", error_description="{description}"'
    for name, value in NO_STORE.items():
        response[name] = value
    return response


def _bearer_token(request: HttpRequest) -> str | None:
    header = str(request.META.get("HTTP_AUTHORIZATION", ""))
    scheme, _sep, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        posted = request.POST.get("access_token")
        return str(posted) if posted else None
    return None


@method_decorator(csrf_exempt, name="dispatch")
class UserInfoView(RefuseNul, View):
    """OpenID Connect userinfo: the claims of the token's scopes, for an account that is
    not locked and a consent that still stands; every answer is a data release logged for
    the person."""

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.answer(request)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.answer(request)

    def answer(self, request: HttpRequest) -> HttpResponse:
        token = _bearer_token(request)
        if token is None:
            response = HttpResponse(status=401)
            response["WWW-Authenticate"] = 'Bearer realm="nentang"'
            return response
        try:
            held = person_token(token, required_scope="openid")
        except TokenRefused as refused:
            return _USERINFO_REFUSALS[refused.reason]()
        account, application, scopes = held.account, held.application, sorted(held.scopes)
        policy = policy_of(application)
        claims: dict[str, Any] = {
            "sub": subject(
                account_id=account.pk,
                client_id=application.client_id,
                internal=policy.internal,
                sector=policy.sector,
            )
        }
        released = person_claims(account, scopes)
        claims.update(released)
        # The data-usage entry and its audit entry commit together without a transaction
        # around them: on PostgreSQL they are one statement (identity.services.usage).
        release_record(
            account=account, application=application, claims=released, purpose=policy.purpose
        )
        response = HttpResponse(
            json.dumps(claims, ensure_ascii=False), content_type="application/json; charset=utf-8"
        )
        for name, value in NO_STORE.items():
            response[name] = value
        return response


_USERINFO_REFUSALS = {
    "unknown": lambda: _bearer_error(
        401, "invalid_token", "The access token is unknown or expired."
    ),
    "machine": lambda: _bearer_error(
        401, "invalid_token", "This token was issued to a client, not a person."
    ),
    "scope": lambda: _bearer_error(
        403, "insufficient_scope", "The token was not granted the openid scope."
    ),
    "locked": lambda: _bearer_error(401, "invalid_token", "The e-ID account is locked."),
    "consent": lambda: _bearer_error(401, "invalid_token", "The person withdrew their consent."),
}


class NulInRequest(OIDCError):
    error = "invalid_request"
    description = "A parameter of the logout request contains a NUL character."


class LogoutView(RPInitiatedLogoutView):
    """RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0): ends the session of
    this browser at the provider and revokes that person's tokens of the client that
    asked (not of the others). An ``id_token_hint`` names the client and says whether
    to ask first; it never decides whose tokens end — someone holding another person's
    ID token ends nobody's session but their own."""

    template_name = "identity_oidc/logout_confirm.html"

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if parameter_with_nul(request) is not None:
            self.oidc_data: dict[str, Any] = {}
            return self.error_response(NulInRequest())  # type: ignore[no-any-return]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]

    def get_request_application(self, id_token: Any, client_id: str | None) -> Any:
        if client_id:
            application = Application.objects.filter(client_id=client_id[:255]).first()
            if application is None:
                raise InvalidOIDCClientError()
            return application
        return id_token.application if id_token else None

    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: Any = None,
    ) -> HttpResponse:
        user = self.request.user
        if user.is_authenticated:
            logout_by_client(
                account=user,
                application=application,
                session_key=self.request.session.session_key,
            )
        logout(self.request)
        # token_user=None: DOT would otherwise delete the hint owner's tokens.
        return super().do_logout(application, post_logout_redirect_uri, state, None)  # type: ignore[no-any-return]
