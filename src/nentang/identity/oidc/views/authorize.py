"""The authorization endpoint: ``GET /oidc/authorize`` (and ``POST`` of the consent page
to the same URL).

Order of checks, each with the answer OpenID Connect Core (section 3.1.2) asks for:

1. client and redirect URI — an unknown client or a redirect URI that is missing or not
   registered exactly is an **error page**, never a redirect (RFC 6749, 4.1.2.1);
2. the request itself (response type, scope, PKCE S256, prompt, max_age) — an error
   sent back to the registered redirect URI, with ``state`` and ``iss``;
3. the person: not logged in → login (or ``login_required`` under ``prompt=none``);
   ``prompt=login`` or an authentication older than ``max_age`` → login again; a locked
   account → ``access_denied``; a level below the client's requirement (or an essential
   ``acr`` asked in ``claims``) → a page that says so, then
   ``unmet_authentication_requirements``;
4. consent: a consent page listing exactly the claims the client will receive and its
   purpose, unless an active consent covers them (and ``prompt`` is not ``consent``);
   under ``prompt=none`` without consent → ``consent_required``: silence is not consent.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import View
from oauth2_provider.exceptions import FatalClientError, OAuthToolkitError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.models import Application
from oauth2_provider.views.mixins import OAuthLibMixin
from oauthlib.common import add_params_to_uri
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.openid.connect.core import exceptions as oidc_errors

from nentang.identity.models import Consent
from nentang.identity.oidc.claims import ACR_OF_LEVEL, LEVEL_OF_ACR, level_of, subject
from nentang.identity.oidc.common import issuer, policy_of
from nentang.identity.oidc.scopes import SCOPES
from nentang.identity.oidc.services import consent_grant
from nentang.identity.oidc.tokens import id_token_claims
from nentang.kernel.security import CONTENT_SECURITY_POLICY

# Resource indicators (RFC 8707) are not offered (not in discovery): refused, not ignored.
NOT_A_TARGET = "Resource indicators (RFC 8707) are not supported."
# Set by the login page (epoch seconds): when the person last entered their credentials.
AUTH_TIME_SESSION_KEY = "nentang_auth_time"
# One e-ID per browser session: there is no account chooser, so "select_account" is
# refused (and not advertised) rather than silently ignored.
PROMPTS = {"none", "login", "consent"}


def auth_time_of(request: HttpRequest) -> datetime:
    value = request.session.get(AUTH_TIME_SESSION_KEY)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, UTC)
    last_login = getattr(request.user, "last_login", None)
    return last_login if last_login is not None else timezone.now()


def csp_allowing_form_action(origins: Iterable[str]) -> str:
    """Our CSP with ``form-action`` widened to the client's origin: after the consent
    form is posted, the browser follows the redirect to the client, and CSP Level 3
    applies ``form-action`` to that redirect too."""
    extra = " ".join(sorted(set(origins)))
    return CONTENT_SECURITY_POLICY.replace("form-action 'self'", f"form-action 'self' {extra}")


def origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def without_params(path: str, names: set[str]) -> str:
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def requested_locale(request: HttpRequest, ui_locales: str) -> str | None:
    """The first of the client's ``ui_locales`` that we speak, unless the person chose a
    language themselves (the language cookie wins)."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return None
    supported = {code for code, _name in settings.LANGUAGES}
    tags = (tag.split("-")[0].lower() for tag in ui_locales.split()[:10])
    return next((tag for tag in tags if tag in supported), None)


def requested_locale_of_next(request: HttpRequest, next_url: str) -> str | None:
    """``requested_locale`` of an authorization request the login page will return to."""
    parts = urlsplit(next_url)
    if parts.path != reverse("identity_oidc:authorize"):
        return None
    values = parse_qs(parts.query).get("ui_locales") or [""]
    return requested_locale(request, values[0])


def redirect_to_login(request: HttpRequest, *, drop: set[str]) -> HttpResponse:
    """Send the person to the login page; back here afterwards without ``drop`` (the
    parameters a fresh login satisfies, so they do not ask for it again)."""
    next_url = without_params(request.get_full_path(), drop)
    login_url = resolve_url(settings.LOGIN_URL)
    return HttpResponseRedirect(f"{login_url}?{urlencode({'next': next_url})}")


def registered_redirect_uri(request: HttpRequest) -> str | None:
    """The request's redirect URI when it is registered exactly for its client."""
    client_id = request.GET.get("client_id") or ""
    redirect_uri = request.GET.get("redirect_uri") or ""
    if not client_id or "\x00" in client_id + redirect_uri:
        return None
    client = Application.objects.filter(client_id=client_id[:255]).first()
    if client is None or redirect_uri not in client.redirect_uris.split():
        return None
    return redirect_uri


def hinted_subject(hint: str, client: Application) -> str | None:
    """The ``sub`` of an ``id_token_hint`` that this provider signed for ``client``
    (expired or not: a hint may be old), or None."""
    claims = id_token_claims(hint)
    if claims is None:
        return None
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    named = claims.get("sub")
    if client.client_id not in audiences or not isinstance(named, str):
        return None
    return named


def fatal_error_page(request: HttpRequest, error: Any) -> HttpResponse:
    """Never redirect on a bad client or redirect URI: say what is wrong, here."""
    name = getattr(error, "error", "")
    if isinstance(error, errors.MissingClientIdError | errors.InvalidClientIdError):
        detail = _(
            "The service that sent you here is not registered with this e-ID provider "
            "(unknown client_id)."
        )
    elif isinstance(error, errors.MissingRedirectURIError):
        detail = _(
            "The service did not say where to send you back after logging in "
            "(redirect_uri is missing)."
        )
    elif isinstance(error, errors.MismatchingRedirectURIError | errors.InvalidRedirectURIError):
        detail = _(
            "The address the service wants you sent back to is not registered for it "
            "(redirect_uri does not match). You were not sent there, to protect your account."
        )
    else:
        detail = _("The login request from the service is malformed: %(reason)s") % {
            "reason": getattr(error, "description", "") or name
        }
    return render(
        request,
        "identity_oidc/request_error.html",
        {"detail": detail, "error_code": name or "invalid_request"},
        status=400,
    )


def error_redirect(redirect_uri: str, error: Any, *, fragment: bool = False) -> HttpResponse:
    params = [*error.twotuples, ("iss", issuer())]
    uri = add_params_to_uri(redirect_uri, params, fragment=fragment)
    response: HttpResponse = OAuth2ResponseRedirect(uri, ["https", "http"])
    return response


def claims_request_problem(claims: Any) -> str | None:
    """What is wrong with a parsed ``claims`` parameter (OpenID Connect Core 5.5), or
    None: a JSON object whose ``userinfo`` and ``id_token`` members are objects of
    claim name → null or {"essential": bool, "value": …, "values": [...]}. Other
    members are ignored, as the specification says."""
    if claims is None:
        return None
    if not isinstance(claims, dict):
        return "The claims parameter must be a JSON object."
    for target in ("userinfo", "id_token"):
        requested = claims.get(target)
        if requested is None:
            continue
        if not isinstance(requested, dict):
            return f"claims.{target} must be a JSON object."
        for name, options in requested.items():
            if options is None:
                continue
            if not isinstance(options, dict):
                return f"claims.{target}.{name} must be null or a JSON object."
            if "essential" in options and not isinstance(options["essential"], bool):
                return f"claims.{target}.{name}.essential must be true or false."
            if "values" in options and not isinstance(options["values"], list):
                return f"claims.{target}.{name}.values must be a JSON array."
    return None


def required_level(policy_level: int, claims: Any) -> int:
    """The client's own requirement, raised by an essential ``acr`` in ``claims``."""
    level = policy_level
    if isinstance(claims, dict):
        acr = (
            (claims.get("id_token") or {}).get("acr")
            if isinstance(claims.get("id_token"), dict)
            else None
        )
        if isinstance(acr, dict) and acr.get("essential"):
            values = acr.get("values") or ([acr["value"]] if "value" in acr else [])
            known = [LEVEL_OF_ACR[v] for v in values if isinstance(v, str) and v in LEVEL_OF_ACR]
            if known:
                level = max(level, min(known))
    return level


def consent_rows(scopes: list[str]) -> list[dict[str, Any]]:
    rows = []
    for name in scopes:
        scope = SCOPES.get(name)
        if scope is None:
            continue
        rows.append(
            {
                "scope": name,
                "description": scope.description,
                "claims": [label for _c, label in scope.claims],
            }
        )
    return rows


class AuthorizeView(OAuthLibMixin, View):
    def get(self, request: HttpRequest) -> HttpResponse:
        return self.handle(request, decision=None)

    def post(self, request: HttpRequest) -> HttpResponse:
        return self.handle(request, decision=request.POST.get("decision", ""))

    def handle(self, request: HttpRequest, *, decision: str | None) -> HttpResponse:
        chosen = requested_locale(request, request.GET.get("ui_locales", ""))
        if chosen:
            with translation.override(chosen):
                response = self._handle(request, decision)
                response.setdefault("Content-Language", chosen)
                return response
        return self._handle(request, decision)

    def _handle(self, request: HttpRequest, decision: str | None) -> HttpResponse:
        if not request.GET.get("redirect_uri"):
            return fatal_error_page(request, errors.MissingRedirectURIError())
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except FatalClientError as error:
            return fatal_error_page(request, error.oauthlib_error)
        except OAuthToolkitError as error:
            # Some of oauthlib's errors (a malformed ``claims``) carry no redirect URI:
            # it was checked already (client and redirect URI come first), so use it.
            oauthlib_error = error.oauthlib_error
            back = oauthlib_error.redirect_uri or registered_redirect_uri(request)
            if back is None:
                return fatal_error_page(request, oauthlib_error)
            if oauthlib_error.state is None and isinstance(request.GET.get("state"), str):
                oauthlib_error.state = request.GET["state"]
            return error_redirect(back, oauthlib_error)
        oauth_request = credentials["request"]
        client: Application = oauth_request.client
        policy = policy_of(client)
        redirect_uri: str = credentials["redirect_uri"]
        state = credentials.get("state")
        prompt = set(credentials.get("prompt") or ())

        def refuse(error: Any) -> HttpResponse:
            if state:
                error.state = state
            return error_redirect(redirect_uri, error)

        # Nothing with a NUL character reaches the database (PostgreSQL refuses it in
        # text) or the client: refused whichever parameter carries it.
        with_nul = next(
            (name for name, values in request.GET.lists() if "\x00" in name + "".join(values)),
            None,
        )
        if with_nul is not None:
            return refuse(
                errors.InvalidRequestError(
                    description=f"The parameter {with_nul.replace(chr(0), '')} contains a "
                    "NUL character."
                )
            )
        if "resource" in request.GET:
            return refuse(
                errors.CustomOAuth2Error(error="invalid_target", description=NOT_A_TARGET)
            )
        problem = claims_request_problem(credentials.get("claims"))
        if problem is not None:
            return refuse(errors.InvalidRequestError(description=problem))
        unsupported = prompt - PROMPTS
        if unsupported:
            return refuse(
                errors.InvalidRequestError(
                    description=f"Unsupported prompt value: {', '.join(sorted(unsupported))}."
                )
            )
        # Request objects (OIDC Core 6) are not supported: refused, never ignored.
        if "request" in request.GET:
            return refuse(oidc_errors.RequestNotSupported())
        if "request_uri" in request.GET:
            return refuse(oidc_errors.RequestURINotSupported())
        max_age_raw = request.GET.get("max_age")
        max_age = None
        if max_age_raw is not None:
            if not max_age_raw.isdigit() or len(max_age_raw) > 9:
                return refuse(
                    errors.InvalidRequestError(
                        description="max_age must be a whole number of seconds."
                    )
                )
            max_age = int(max_age_raw)
        silent = "none" in prompt

        if not request.user.is_authenticated:
            if silent:
                return refuse(errors.LoginRequired())
            return redirect_to_login(request, drop={"prompt", "max_age"})
        account = request.user
        if account.is_locked or not account.is_active:
            return refuse(
                errors.AccessDeniedError(
                    description="The e-ID account is locked: it cannot log in to services."
                )
            )
        hint = request.GET.get("id_token_hint")
        if hint is not None:
            # OpenID Connect Core 3.1.2.1: the hint names the person the client expects;
            # a code for whoever else is logged in would be issued to the wrong person.
            named = hinted_subject(hint, client)
            if named is None:
                return refuse(
                    errors.InvalidRequestError(
                        description="id_token_hint is not an ID token this provider issued "
                        "to this client."
                    )
                )
            if named != subject(
                account_id=account.pk,
                client_id=client.client_id,
                internal=policy.internal,
                sector=policy.sector,
            ):
                return refuse(
                    errors.LoginRequired(
                        description="The person named by id_token_hint is not the one logged in."
                    )
                )
        auth_time = auth_time_of(request)
        if "login" in prompt:
            return redirect_to_login(request, drop={"prompt", "max_age"})
        if max_age is not None and timezone.now() - auth_time > timedelta(seconds=max_age):
            if silent:
                return refuse(
                    errors.LoginRequired(description="The authentication is older than max_age.")
                )
            return redirect_to_login(request, drop={"prompt", "max_age"})

        level = level_of(account)
        needed = required_level(policy.require_level, credentials.get("claims"))
        if level < needed:
            unmet = errors.CustomOAuth2Error(
                error="unmet_authentication_requirements",
                description=(
                    f"This service requires e-ID level {needed}; the person has level {level}."
                ),
            )
            if silent:
                return refuse(unmet)
            if state:
                unmet.state = state
            back = add_params_to_uri(redirect_uri, [*unmet.twotuples, ("iss", issuer())])
            return render(
                request,
                "identity_oidc/level_required.html",
                {"client": client, "needed": needed, "level": level, "back": back},
                status=403,
            )

        requested = list(dict.fromkeys(scopes))
        consent = Consent.objects.filter(
            account=account, application=client, ended_at__isnull=True
        ).first()
        # A consent covers a request for the same scopes (or fewer) and the same purpose:
        # a client that changes what it does with the data must ask again.
        covered = (
            consent is not None
            and set(requested) <= set(consent.scopes)
            and consent.purpose == policy.purpose
        )
        if "consent" in prompt:
            covered = False
        if decision == "deny":
            return refuse(errors.AccessDeniedError(description="The person refused consent."))
        if decision == "allow":
            consent = consent_grant(
                account=account,
                application=client,
                scopes=requested,
                purpose=policy.purpose,
            )
        elif not covered:
            if silent:
                return refuse(errors.ConsentRequired())
            response = render(
                request,
                "identity_oidc/consent.html",
                {
                    "client": client,
                    "policy": policy,
                    "rows": consent_rows(requested),
                    "action": request.get_full_path(),
                    "level": level,
                    "internal": policy.internal,
                },
            )
            response["Content-Security-Policy"] = csp_allowing_form_action(
                [origin_of(redirect_uri)]
            )
            response["Cache-Control"] = "no-store"
            return response
        assert consent is not None

        issue = {key: value for key, value in credentials.items() if key != "request"}
        issue["nentang_auth_time"] = auth_time
        issue["nentang_acr"] = ACR_OF_LEVEL.get(level, ACR_OF_LEVEL[1])
        issue["nentang_consent_id"] = consent.pk
        try:
            uri, _headers, _body, _status = self.create_authorization_response(
                request=request, scopes=" ".join(requested), credentials=issue, allow=True
            )
        except FatalClientError as error:
            return fatal_error_page(request, error.oauthlib_error)
        except OAuthToolkitError as error:
            return error_redirect(redirect_uri, error.oauthlib_error)
        done: HttpResponse = OAuth2ResponseRedirect(
            add_params_to_uri(uri, [("iss", issuer())]), client.get_allowed_schemes()
        )
        return done
