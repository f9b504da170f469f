"""Writes of the catalogue's actors: organisations (one per agency), groups (themes),
publishers and their API tokens. Every write is one transaction with its audit entry."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, NotFound
from nentang.kernel.text import clean
from nentang.opendata.models import ApiToken, Group, Organisation, Publisher
from nentang.opendata.problems import ORGANISATION_NOT_FOUND
from nentang.opendata.services.common import SLUG, Errors, actor_of

TOKEN_PREFIX = "ntod_"  # noqa: S105 - the visible prefix of every token, no secret


def organisation_create(
    *, actor: Actor, name: str, title: str, agency_code: str, description: str = "",
    province_code: str = "",
) -> Organisation:  # fmt: skip
    """A publishing organisation for an agency of the identity context."""
    errors = Errors()
    if not SLUG.fullmatch(name or "") or len(name) > 100:
        errors.add(
            "name", _("Lower-case letters, digits, hyphens and underscores."), "invalid_format"
        )
    title = clean(title or "")
    if not 1 <= len(title) <= 200:
        errors.add("title", _("Give a title of 1 to 200 characters."), "required")
    if not agency_code:
        errors.add("agency_code", _("Choose the agency that publishes."), "required")
    errors.raise_if_any()
    with transaction.atomic():
        if (
            Organisation.objects.filter(name=name).exists()
            or Organisation.objects.filter(agency_code=agency_code).exists()
        ):
            raise Conflict(_("This organisation or agency is already registered."))
        organisation = Organisation.objects.create(
            name=name, title=title, agency_code=agency_code, description=clean(description),
            province_code=province_code, created_at=timezone.now(),
        )  # fmt: skip
        auditing.record(
            actor=actor, action="opendata.organisation.create",
            subject_type="opendata.organisation", subject=str(organisation.public_id),
            summary={"name": name, "agency": agency_code},
        )  # fmt: skip
    return organisation


def group_create(*, actor: Actor, name: str, title: str, description: str = "") -> Group:
    errors = Errors()
    if not SLUG.fullmatch(name or "") or len(name) > 100:
        errors.add(
            "name", _("Lower-case letters, digits, hyphens and underscores."), "invalid_format"
        )
    title = clean(title or "")
    if not 1 <= len(title) <= 200:
        errors.add("title", _("Give a title of 1 to 200 characters."), "required")
    errors.raise_if_any()
    with transaction.atomic():
        if Group.objects.filter(name=name).exists():
            raise Conflict(_("A group with this name exists."))
        group = Group.objects.create(
            name=name, title=title, description=clean(description), created_at=timezone.now()
        )
        auditing.record(
            actor=actor, action="opendata.group.create", subject_type="opendata.group",
            subject=str(group.public_id), summary={"name": name},
        )  # fmt: skip
    return group


def publisher_grant(
    *, actor: Actor, account: Any, organisation_name: str, role: str = "admin"
) -> Publisher:
    """Let an e-ID staff account publish for an organisation."""
    organisation = Organisation.objects.filter(name=organisation_name).first()
    if organisation is None:
        raise NotFound(_("No organisation has this name."), code=ORGANISATION_NOT_FOUND)
    errors = Errors()
    if role not in Publisher.Role.values:
        errors.add("role", _("Unknown role."), "invalid_choice")
    errors.raise_if_any()
    with transaction.atomic():
        publisher, created = Publisher.objects.get_or_create(
            account=account, organisation=organisation,
            defaults={"role": role, "created_at": timezone.now()},
        )  # fmt: skip
        if not created and (publisher.role != role or not publisher.is_active):
            publisher.role, publisher.is_active = role, True
            publisher.save(update_fields=["role", "is_active"])
        auditing.record(
            actor=actor, action="opendata.publisher.grant", subject_type="opendata.publisher",
            subject=str(publisher.id), summary={"organisation": organisation.name, "role": role},
        )  # fmt: skip
    return publisher


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, account: Any, name: str) -> tuple[ApiToken, str]:
    """A new API token of a publisher; the plain token is returned once, never stored."""
    errors = Errors()
    label = clean(name or "")
    if not 1 <= len(label) <= 100:
        errors.add("name", _("Give the token a name of 1 to 100 characters."), "required")
    if not Publisher.objects.filter(account=account, is_active=True).exists():
        errors.add("account", _("Only publishers have API tokens."), "not_publisher")
    errors.raise_if_any()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            account=account, name=label, digest=token_digest(plain), created_at=timezone.now()
        )
        auditing.record(
            actor=actor_of(account), action="opendata.token.create",
            subject_type="opendata.token", subject=str(token.public_id), summary={"name": label},
        )  # fmt: skip
    return token, plain


def api_token_revoke(*, account: Any, token_id: str) -> None:
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .filter(public_id=token_id, account=account, revoked_at=None)
            .first()
        )
        if token is None:
            raise NotFound(_("No live token of yours has this id."))
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        auditing.record(
            actor=actor_of(account), action="opendata.token.revoke",
            subject_type="opendata.token", subject=str(token.public_id),
        )  # fmt: skip
