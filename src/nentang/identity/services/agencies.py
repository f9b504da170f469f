"""Agencies tied to administrative units, their officers with roles, and the
installation's administrators."""

from __future__ import annotations

import re
from collections.abc import Sequence

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, Agency, Officer
from nentang.identity.problems import (
    ADMINISTRATOR_REQUIRED,
    AGENCY_CODE_TAKEN,
    AGENCY_NOT_FOUND,
    LOGIN_TAKEN,
)
from nentang.identity.services import inputs
from nentang.identity.services.common import (
    Errors,
    actor_for,
    denied,
    require_administrator,
)
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, Forbidden, NotFound
from nentang.kernel.text import clean

_AGENCY_CODE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Staff logins are lower-case names (canbo.saigon); they can never look like a personal
# ID number or a tax code, the logins of citizens and organisations.
_STAFF_LOGIN = re.compile(r"[a-z][a-z0-9._-]{2,49}")


def _login_taken() -> Conflict:
    return Conflict(_("Another account already uses this login name."), code=LOGIN_TAKEN)


def agency_create(
    *,
    actor: Account,
    code: str,
    name: str,
    kind: str,
    province_code: str,
    commune_code: str = "",
    address: str = "",
) -> Agency:
    """Create an agency tied to an administrative unit: a province (a department) or a
    ward/commune within it (a People's Committee, a police station). Administrators only.
    """
    require_administrator(actor, what="identity.agency.create")
    today = timezone.localdate()
    errors = Errors()
    slug = (code or "").strip()
    if not _AGENCY_CODE.fullmatch(slug) or len(slug) > 60:
        errors.add(
            "code",
            _(
                "An agency code is lower-case letters, digits and hyphens, "
                "e.g. ubnd-phuong-sai-gon."
            ),
            "invalid_format",
        )
    title = clean(name or "")
    if not title:
        errors.add("name", _("Enter the name of the agency."), "required")
    elif len(title) > 200:
        errors.add("name", _("At most %(n)s characters.") % {"n": 200}, "too_long")
    street = clean(address or "")
    if len(street) > 250 or "\x00" in street:
        errors.add("address", _("At most %(n)s characters.") % {"n": 250}, "too_long")
    if kind not in Agency.Kind.values:
        errors.add("kind", _("Choose the kind of agency."), "invalid_choice")
    province, commune = inputs.administrative_place(
        errors,
        province_code=province_code,
        commune_code=commune_code,
        today=today,
        commune_required=False,
    )
    errors.raise_if_any()
    if Agency.objects.filter(code=slug).exists():
        raise Conflict(_("Another agency already has this code."), code=AGENCY_CODE_TAKEN)
    try:
        with transaction.atomic():
            agency = Agency.objects.create(
                code=slug,
                name=title,
                kind=kind,
                province_code=province,
                commune_code=commune,
                address=street,
            )
            auditing.record(
                actor=actor_for(actor),
                action="identity.agency.create",
                subject_type="identity.agency",
                subject=slug,
                summary={"province": province, "commune": commune, "kind": kind},
            )
    except IntegrityError:
        raise Conflict(_("Another agency already has this code."), code=AGENCY_CODE_TAKEN) from None
    return agency


def officer_create(
    *,
    actor: Account,
    agency_code: str,
    username: str,
    password: str,
    full_name: str,
    roles: Sequence[str],
    title: str = "",
) -> Officer:
    """Create a staff account acting for an agency, with roles.

    Administrators create officers of any agency; an identity administrator creates
    officers of their own agency only. Staff logins are lower-case names that cannot be
    mistaken for an ID number or a tax code; passwords follow the same policy as
    everyone's (OWASP ASVS 5.0 L2).
    """
    agency = Agency.objects.filter(code=agency_code, is_active=True).first()
    if agency is None:
        raise NotFound(_("No active agency has this code."), code=AGENCY_NOT_FOUND)
    if not actor.is_superuser:
        creator = Officer.objects.filter(account=actor).first()
        if (
            creator is None
            or not creator.has_role(Officer.Role.IDENTITY_ADMIN)
            or creator.agency_id != agency.code
            or actor.is_locked
            or not actor.is_active
        ):
            denied(actor, what="identity.officer.create", detail={"agency": agency.code})
            raise Forbidden(
                _(
                    "Only an administrator, or an identity administrator of this agency, "
                    "may add officers."
                ),
                code=ADMINISTRATOR_REQUIRED,
            )
    errors = Errors()
    login = (username or "").strip()
    if not _STAFF_LOGIN.fullmatch(login):
        errors.add(
            "username",
            _(
                "A staff login is 3 to 50 lower-case letters, digits, dots or hyphens, "
                "starting with a letter."
            ),
            "invalid_format",
        )
    name = inputs.full_name(errors, full_name)
    chosen = list(dict.fromkeys(roles))
    unknown = [role for role in chosen if role not in Officer.Role.values]
    if not chosen:
        errors.add("roles", _("Give the officer at least one role."), "required")
    elif unknown:
        errors.add(
            "roles",
            _("Unknown roles: %(roles)s.") % {"roles": ", ".join(unknown)},
            "invalid_choice",
        )
    job = clean(title or "")
    if len(job) > 150:
        errors.add("title", _("At most %(n)s characters.") % {"n": 150}, "too_long")
    inputs.password_check(errors, password, username=login)
    errors.raise_if_any()
    if Account.objects.filter(username=login).exists():
        raise _login_taken()
    account = Account(username=login, kind=Account.Kind.STAFF, password=make_password(password))
    try:
        with transaction.atomic():
            account.save(force_insert=True)
            officer = Officer.objects.create(
                account=account, agency=agency, full_name=name, title=job, roles=chosen
            )
            auditing.record(
                actor=actor_for(actor),
                action="identity.officer.create",
                subject_type="identity.officer",
                subject=str(officer.pk),
                summary={"agency": agency.code, "roles": chosen},
            )
    except IntegrityError:
        raise _login_taken() from None
    return officer


def administrator_create(*, created_by: Actor, username: str, password: str) -> Account:
    """An administrator of the installation (Django admin, agencies, officers). For the
    command line and the demo, which act as a system; the password policy applies."""
    errors = Errors()
    login = (username or "").strip()
    if not _STAFF_LOGIN.fullmatch(login):
        errors.add(
            "username",
            _(
                "A staff login is 3 to 50 lower-case letters, digits, dots or hyphens, "
                "starting with a letter."
            ),
            "invalid_format",
        )
    inputs.password_check(errors, password, username=login)
    errors.raise_if_any()
    if Account.objects.filter(username=login).exists():
        raise _login_taken()
    account = Account(
        username=login,
        kind=Account.Kind.STAFF,
        is_staff=True,
        is_superuser=True,
        password=make_password(password),
    )
    with transaction.atomic():
        account.save(force_insert=True)
        auditing.record(
            actor=created_by,
            action="identity.administrator.create",
            subject_type="identity.account",
            subject=str(account.pk),
        )
    return account
