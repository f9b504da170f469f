"""Registering clients (relying parties and machine clients) and the rules a
registration must meet; shared by ``client_register``, the admin and the CLI."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from jwcrypto import jwk
from jwcrypto.common import JWException
from oauth2_provider.models import Application

from nentang.identity.models import ClientPolicy
from nentang.identity.oidc import keys
from nentang.identity.oidc.common import forget_client
from nentang.identity.oidc.scopes import PERSONAL_SCOPES, SCOPES
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.kernel.text import clean

SECRET_PREFIX = "sha256$"  # noqa: S105 - the digest format tag, not a secret
GRANTS = {
    "authorization_code": Application.GRANT_AUTHORIZATION_CODE,
    "client_credentials": Application.GRANT_CLIENT_CREDENTIALS,
}
_LOOPBACK_NAMES = {"localhost"}


def secret_digest(secret: str) -> str:
    """How a client secret is stored: SHA-256 of a 384-bit random secret.

    A slow password hash (Argon2, PBKDF2) protects low-entropy passwords against
    guessing; a secret drawn from 2**384 values cannot be guessed whatever the hash, so a
    fast digest is as safe and costs microseconds instead of tens of milliseconds per
    token request (docs/performance.md, "Identity (OIDC)").
    """
    return SECRET_PREFIX + hashlib.sha256(secret.encode()).hexdigest()


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _check_uri(value: str, field: str, errors: list[FieldError], *, what: str) -> None:
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        errors.append(
            FieldError(field, _("%(what)s must be an absolute https:// URL.") % {"what": what})
        )
    elif parts.fragment or "#" in value:
        errors.append(FieldError(field, _("%(what)s must not carry a fragment.") % {"what": what}))
    elif parts.scheme == "http" and not _is_loopback(parts.hostname):
        errors.append(
            FieldError(
                field,
                _("%(what)s must use https:// (http:// only for 127.0.0.1 or localhost).")
                % {"what": what},
            )
        )
    elif parts.username or parts.password:
        errors.append(FieldError(field, _("%(what)s must not carry a user name.") % {"what": what}))


def _check_jwks(value: Any, errors: list[FieldError]) -> None:
    try:
        parsed = jwk.JWKSet.from_json(json.dumps(value))
    except (JWException, ValueError, TypeError):
        errors.append(FieldError("jwks", _("The JWKS is not a JSON Web Key Set."), "invalid"))
        return
    if not parsed["keys"]:
        errors.append(FieldError("jwks", _("The JWKS holds no key."), "invalid"))
    for key in parsed["keys"]:
        if key.has_private:
            errors.append(
                FieldError(
                    "jwks",
                    _("The JWKS holds a private key: register the public keys only."),
                    "private_key",
                )
            )
            break


@dataclass(frozen=True)
class RegisteredClient:
    application: Application
    policy: ClientPolicy
    client_secret: str | None  # shown once, never stored

    def as_dict(self) -> dict[str, Any]:
        app, policy = self.application, self.policy
        data: dict[str, Any] = {
            "client_id": app.client_id,
            "client_name": app.name,
            "client_type": app.client_type,
            "grant_types": [
                "authorization_code"
                if app.authorization_grant_type == GRANTS["authorization_code"]
                else "client_credentials"
            ],
            "redirect_uris": app.redirect_uris.split(),
            "post_logout_redirect_uris": app.post_logout_redirect_uris.split(),
            "token_endpoint_auth_method": policy.auth_method,
            "scope": " ".join(policy.scopes),
            "require_level": policy.require_level,
            "internal": policy.internal,
            "subject_type": "public" if policy.internal else "pairwise",
            "id_token_signed_response_alg": policy.id_token_alg,
            "purpose": policy.purpose,
        }
        if policy.jwks_uri:
            data["jwks_uri"] = policy.jwks_uri
        if policy.jwks:
            data["jwks"] = policy.jwks
        if self.client_secret:
            data["client_secret"] = self.client_secret
        return data


def client_rules_check(
    *,
    name: str,
    redirect_uris: Sequence[str],
    public: bool,
    grant: str,
    auth_method: str | None,
    jwks: Any,
    jwks_uri: str,
    require_level: int,
    purpose: str,
    scopes: Sequence[str] | None,
    id_token_alg: str,
    post_logout_redirect_uris: Sequence[str] = (),
) -> tuple[list[FieldError], dict[str, Any]]:
    """The rules of a client's registration, shared by ``client_register`` and the admin:
    (field errors, the cleaned values: name, purpose, method, uris, logout_uris, scopes).
    """
    errors: list[FieldError] = []
    name = clean(name or "")
    purpose = clean(purpose or "")
    if not 1 <= len(name) <= 255:
        errors.append(FieldError("name", _("Give the client a name of 1 to 255 characters.")))
    if grant not in GRANTS:
        errors.append(
            FieldError("grant", _("The grant is authorization_code or client_credentials."))
        )
    method = auth_method or ("none" if public else "client_secret_basic")
    if method not in ClientPolicy.AuthMethod.values:
        errors.append(FieldError("auth_method", _("Unknown client authentication method.")))
    if public and method != "none":
        errors.append(
            FieldError("auth_method", _("A public client has no credentials: use PKCE only."))
        )
    if not public and method == "none":
        errors.append(FieldError("auth_method", _("A confidential client must authenticate.")))
    if public and grant == "client_credentials":
        errors.append(
            FieldError("grant", _("A machine client (client_credentials) cannot be public."))
        )
    uris = [uri.strip() for uri in redirect_uris if uri.strip()]
    if grant == "authorization_code" and not uris:
        errors.append(FieldError("redirect_uri", _("Give at least one redirect URI.")))
    for uri in uris:
        _check_uri(uri, "redirect_uri", errors, what=_("A redirect URI"))
    logout_uris = [uri.strip() for uri in post_logout_redirect_uris if uri.strip()]
    for uri in logout_uris:
        _check_uri(uri, "post_logout_redirect_uri", errors, what=_("A post-logout redirect URI"))
    if method == "private_key_jwt":
        if bool(jwks) == bool(jwks_uri):
            errors.append(
                FieldError("jwks", _("private_key_jwt needs exactly one of a JWKS or a jwks_uri."))
            )
        elif jwks:
            _check_jwks(jwks, errors)
        else:
            _check_uri(jwks_uri, "jwks_uri", errors, what=_("The jwks_uri"))
    elif jwks or jwks_uri:
        errors.append(FieldError("jwks", _("Keys are registered only for private_key_jwt.")))
    if require_level not in (1, 2):
        errors.append(FieldError("require_level", _("The required e-ID level is 1 or 2.")))
    if id_token_alg not in keys.ALGORITHMS:
        errors.append(FieldError("id_token_alg", _("ID tokens are signed with ES256 or RS256.")))
    if grant == "authorization_code" and len(purpose) < 3:
        errors.append(
            FieldError("purpose", _("State the purpose: people see it before they consent."))
        )
    if len(purpose) > 300:
        errors.append(FieldError("purpose", _("The purpose is at most 300 characters.")))
    if scopes is None:
        chosen = list(PERSONAL_SCOPES) if grant == "authorization_code" else []
    else:
        chosen = list(dict.fromkeys(scopes))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        errors.append(FieldError("scope", _("Unknown scopes: %(s)s.") % {"s": ", ".join(unknown)}))
    if grant == "authorization_code" and "openid" not in chosen:
        chosen.insert(0, "openid")
    if grant == "client_credentials":
        personal = [scope for scope in chosen if SCOPES.get(scope) and SCOPES[scope].personal]
        if personal:
            errors.append(
                FieldError(
                    "scope",
                    _("A machine client cannot ask for a person's data: %(s)s.")
                    % {"s": ", ".join(personal)},
                )
            )
    return errors, {
        "name": name,
        "purpose": purpose,
        "method": method,
        "uris": uris,
        "logout_uris": logout_uris,
        "scopes": chosen,
    }


def client_register(
    *,
    actor: Actor,
    name: str,
    redirect_uris: Sequence[str] = (),
    public: bool = False,
    grant: str = "authorization_code",
    auth_method: str | None = None,
    jwks: Any = None,
    jwks_uri: str = "",
    require_level: int = 1,
    internal: bool = False,
    purpose: str = "",
    scopes: Sequence[str] | None = None,
    id_token_alg: str = keys.DEFAULT_ALGORITHM,
    post_logout_redirect_uris: Sequence[str] = (),
    client_id: str | None = None,
    client_secret: str | None = None,
) -> RegisteredClient:
    """Register a relying party or a machine client with its policy.

    Rules: a public client uses the authorization-code grant with PKCE and no secret; a
    machine client (``client_credentials``) is confidential; ``private_key_jwt`` needs
    exactly one of an inline JWKS (public keys only) or a ``jwks_uri``; redirect URIs are
    absolute, without fragment, https (http for loopback only) and matched exactly.
    The secret, if any, is returned once and stored only as a digest.
    """
    errors, cleaned = client_rules_check(
        name=name,
        redirect_uris=redirect_uris,
        public=public,
        grant=grant,
        auth_method=auth_method,
        jwks=jwks,
        jwks_uri=jwks_uri,
        require_level=require_level,
        purpose=purpose,
        scopes=scopes,
        id_token_alg=id_token_alg,
        post_logout_redirect_uris=post_logout_redirect_uris,
    )
    name, purpose, method = cleaned["name"], cleaned["purpose"], cleaned["method"]
    uris, logout_uris, chosen = cleaned["uris"], cleaned["logout_uris"], cleaned["scopes"]
    if client_id is not None and (
        not 1 <= len(client_id) <= 100 or Application.objects.filter(client_id=client_id).exists()
    ):
        errors.append(FieldError("client_id", _("This client id is taken or malformed.")))
    if errors:
        raise ValidationFailed(_("The client registration is invalid."), errors=errors)

    secret = None
    if method in ("client_secret_basic", "client_secret_post"):
        secret = client_secret or secrets.token_urlsafe(48)
    with transaction.atomic():
        application = Application(
            name=name,
            client_type=Application.CLIENT_PUBLIC if public else Application.CLIENT_CONFIDENTIAL,
            authorization_grant_type=GRANTS[grant],
            redirect_uris=" ".join(uris),
            post_logout_redirect_uris=" ".join(logout_uris),
            client_secret=secret_digest(secret) if secret else "",
            hash_client_secret=False,  # stored as secret_digest() above
            skip_authorization=False,
        )
        if client_id is not None:
            application.client_id = client_id
        application.save()
        policy = ClientPolicy.objects.create(
            application=application,
            auth_method=method,
            jwks=jwks or None,
            jwks_uri=jwks_uri or "",
            require_level=require_level,
            internal=internal,
            purpose=purpose or name,
            scopes=chosen,
            id_token_alg=id_token_alg,
            created_at=timezone.now(),
        )
        auditing.record(
            actor=actor,
            action="identity.oidc.client.register",
            subject_type="identity.oidc.client",
            subject=application.client_id,
            summary={
                "grant": grant,
                "auth_method": method,
                "require_level": require_level,
                "internal": internal,
                "scopes": chosen,
            },
        )
    forget_client(application.client_id)
    return RegisteredClient(application=application, policy=policy, client_secret=secret)


def client_redirect_uris_set(
    *,
    actor: Actor,
    client_id: str,
    redirect_uris: Sequence[str],
    post_logout_redirect_uris: Sequence[str] = (),
) -> None:
    """Replace a client's registered redirect URIs (same rules as registration)."""
    errors: list[FieldError] = []
    for uri in redirect_uris:
        _check_uri(uri, "redirect_uri", errors, what=_("A redirect URI"))
    for uri in post_logout_redirect_uris:
        _check_uri(uri, "post_logout_redirect_uri", errors, what=_("A post-logout redirect URI"))
    if errors:
        raise ValidationFailed(_("The client registration is invalid."), errors=errors)
    with transaction.atomic():
        application = Application.objects.select_for_update().get(client_id=client_id)
        application.redirect_uris = " ".join(redirect_uris)
        application.post_logout_redirect_uris = " ".join(post_logout_redirect_uris)
        application.save(update_fields=["redirect_uris", "post_logout_redirect_uris"])
        auditing.record(
            actor=actor,
            action="identity.oidc.client.redirect_uris",
            subject_type="identity.oidc.client",
            subject=client_id,
            summary={"redirect_uris": list(redirect_uris)},
        )
    forget_client(client_id)
