"""The integrators' portal: an organisation, logged in with its organisation e-ID,
registers and manages its own clients (GOV.UK One Login's and Login.gov's self-service
model). The rules of a registration are the provider's own (``client_rules_check``);
what an organisation may choose is narrower than what an operator may: never an
internal client (public subject identifiers), never an API scope of the platform.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from typing import Literal

from django.db import transaction
from django.utils.translation import gettext as _
from oauth2_provider.models import Application

from nentang.identity.models import Account, ClientPolicy, Organisation
from nentang.identity.oidc.common import forget_client
from nentang.identity.oidc.problems import (
    CLIENT_HAS_NO_SECRET,
    CLIENT_LIMIT_REACHED,
    CLIENT_NOT_FOUND,
    ORGANISATION_ACCOUNT_REQUIRED,
)
from nentang.identity.oidc.scopes import SCOPES
from nentang.identity.oidc.services.clients import RegisteredClient, client_register, secret_digest
from nentang.identity.services.common import actor_for
from nentang.kernel import auditing
from nentang.kernel.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed

ClientKind = Literal["web", "spa", "machine"]
KINDS: tuple[ClientKind, ...] = ("web", "spa", "machine")
MAX_CLIENTS_PER_ORGANISATION = 20
# What an organisation's client may ask for: a person's data (with their consent) for a
# login client; nothing of the platform's own APIs (an operator grants those).
PORTAL_SCOPES = tuple(name for name, scope in SCOPES.items() if scope.personal)


def organisation_of(actor: Account) -> Organisation:
    """The organisation ``actor`` is the e-ID of, or 403 ``organisation_account_required``."""
    organisation = (
        Organisation.objects.filter(account=actor).first()
        if actor.kind == Account.Kind.ORGANISATION and actor.is_active and not actor.is_locked
        else None
    )
    if organisation is None:
        raise Forbidden(
            _("Log in with your organisation's e-ID to manage its clients."),
            code=ORGANISATION_ACCOUNT_REQUIRED,
        )
    return organisation


def owned_policy(*, organisation: Organisation, client_id: str) -> ClientPolicy:
    policy = (
        ClientPolicy.objects.select_related("application")
        .filter(owner=organisation, application__client_id=client_id)
        .first()
    )
    if policy is None:
        raise NotFound(_("Your organisation has no client with this id."), code=CLIENT_NOT_FOUND)
    return policy


def organisation_client_register(
    *,
    actor: Account,
    kind: str,
    name: str,
    purpose: str,
    redirect_uris: Sequence[str] = (),
    scopes: Sequence[str] = (),
    jwks_uri: str = "",
    require_level: int = 1,
) -> RegisteredClient:
    """Register a client of the actor's organisation: ``web`` (a server-side application:
    a secret, or ``private_key_jwt`` when it publishes a ``jwks_uri``), ``spa`` (a
    browser or mobile application: public, PKCE only) or ``machine``
    (client_credentials, no personal data). The secret, if any, is shown once."""
    organisation = organisation_of(actor)
    errors: list[FieldError] = []
    if kind not in KINDS:
        errors.append(FieldError("kind", _("Choose what kind of application this is.")))
    chosen = list(dict.fromkeys(scopes))
    outside = [scope for scope in chosen if scope not in PORTAL_SCOPES]
    if outside:
        errors.append(
            FieldError(
                "scope",
                _("These scopes are not offered here: %(s)s.") % {"s": ", ".join(outside)},
            )
        )
    if kind == "machine" and chosen:
        errors.append(FieldError("scope", _("A machine client cannot ask for a person's data.")))
    if errors:
        raise ValidationFailed(_("The client registration is invalid."), errors=errors)
    with transaction.atomic():
        count = ClientPolicy.objects.select_for_update().filter(owner=organisation).count()
        if count >= MAX_CLIENTS_PER_ORGANISATION:
            raise Conflict(
                _("Your organisation has %(n)d clients, the most it may have.")
                % {"n": MAX_CLIENTS_PER_ORGANISATION},
                code=CLIENT_LIMIT_REACHED,
            )
        registered = client_register(
            actor=actor_for(actor),
            name=name,
            redirect_uris=redirect_uris if kind != "machine" else (),
            public=kind == "spa",
            grant="client_credentials" if kind == "machine" else "authorization_code",
            auth_method="private_key_jwt" if kind == "web" and jwks_uri.strip() else None,
            jwks_uri=jwks_uri.strip() if kind == "web" else "",
            require_level=require_level,
            internal=False,
            purpose=purpose,
            scopes=chosen or (["openid"] if kind != "machine" else []),
        )
        registered.policy.owner = organisation
        registered.policy.save(update_fields=["owner"])
        auditing.record(
            actor=actor_for(actor),
            action="identity.oidc.client.own",
            subject_type="identity.oidc.client",
            subject=registered.application.client_id,
            summary={"organisation": str(organisation.pk), "kind": kind},
        )
    return registered


def organisation_client_secret_rotate(*, actor: Account, client_id: str) -> str:
    """A new secret for one of the organisation's clients (the old one stops working at
    once); returned this once, stored only as a digest."""
    organisation = organisation_of(actor)
    with transaction.atomic():
        policy = owned_policy(organisation=organisation, client_id=client_id)
        if policy.auth_method not in ("client_secret_basic", "client_secret_post"):
            raise Conflict(_("This client has no secret to rotate."), code=CLIENT_HAS_NO_SECRET)
        secret = secrets.token_urlsafe(48)
        Application.objects.filter(pk=policy.application.pk).update(
            client_secret=secret_digest(secret)
        )
        auditing.record(
            actor=actor_for(actor),
            action="identity.oidc.client.secret_rotate",
            subject_type="identity.oidc.client",
            subject=client_id,
            summary={"organisation": str(organisation.pk)},
        )
    forget_client(client_id)
    return secret
