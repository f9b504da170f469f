"""What every identity service shares: who acts, the officer checks, field errors.

Permissions are checked here, in the services, not only in views (CKAN-style: every
action its own check). A refusal is a security event (``authz.denied``) that the SOC's
object-probing rule counts; it is recorded outside any transaction, so it survives the
refusal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from nentang.identity.models import Account, Officer, Organisation, Person
from nentang.identity.problems import (
    ADMINISTRATOR_REQUIRED,
    OFFICER_ROLE_REQUIRED,
    OUTSIDE_AGENCY_AREA,
)
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, Forbidden, ValidationFailed


def actor_for(account: Account) -> Actor:
    """The audit actor of an account: officers and staff by login, persons by their
    person id, organisations by their organisation id (a legal person)."""
    if account.kind == Account.Kind.STAFF or account.is_staff:
        return Actor.officer(account.username)
    person = Person.objects.filter(account=account).only("id").first()
    if person is not None:
        return Actor.person(str(person.id))
    organisation = Organisation.objects.filter(account=account).only("id").first()
    return Actor.person(str(organisation.id if organisation else account.id))


def denied(account: Account, *, what: str, detail: dict[str, str] | None = None) -> None:
    """Record an ``authz.denied`` security event for a refused action."""
    auditing.security_event(
        kind="authz.denied",
        outcome="denied",
        severity="low",
        actor=actor_for(account),
        subject=what[:128],
        detail=detail or {},
    )


def officer_with_role(account: Account, *roles: str, what: str) -> Officer:
    """The active officer of an active agency behind ``account`` holding one of
    ``roles``, or 403 ``officer_role_required`` (and an ``authz.denied`` event)."""
    officer = (
        Officer.objects.select_related("agency").filter(account=account).first()
        if account.is_active and not account.is_locked
        else None
    )
    if (
        officer is None
        or not officer.agency.is_active
        or not any(officer.has_role(role) for role in roles)
    ):
        denied(account, what=what, detail={"role": "|".join(roles)})
        raise Forbidden(
            _("This needs an active officer with the role “%(role)s”.")
            % {"role": " / ".join(roles)},
            code=OFFICER_ROLE_REQUIRED,
        )
    return officer


def officer_covers(officer: Officer, *, province_code: str, commune_code: str) -> bool:
    """Is this place inside the area of the officer's agency? A provincial agency (no
    commune) covers its province; a ward or commune agency covers that commune."""
    agency = officer.agency
    if agency.province_code != province_code:
        return False
    return not agency.commune_code or agency.commune_code == commune_code


def require_area(
    account: Account, officer: Officer, *, province_code: str, commune_code: str, what: str
) -> None:
    if not officer_covers(officer, province_code=province_code, commune_code=commune_code):
        denied(account, what=what, detail={"reason": "outside_agency_area"})
        raise Forbidden(
            _("%(agency)s does not cover this place of residence or head office.")
            % {"agency": officer.agency.name},
            code=OUTSIDE_AGENCY_AREA,
        )


def require_administrator(account: Account, *, what: str) -> None:
    if not (account.is_active and account.is_superuser and not account.is_locked):
        denied(account, what=what, detail={"role": "administrator"})
        raise Forbidden(
            _("Only an administrator of this installation may do this."),
            code=ADMINISTRATOR_REQUIRED,
        )


@dataclass
class Errors:
    """Collects field errors so that a form gets all its mistakes at once."""

    items: list[FieldError] = field(default_factory=list)

    def add(self, field_name: str, message: str, code: str = "invalid") -> None:
        self.items.append(FieldError(field=field_name, message=message, code=code))

    def extend(self, errors: Iterable[FieldError]) -> None:
        self.items.extend(errors)

    def has(self, field_name: str) -> bool:
        return any(error.field == field_name for error in self.items)

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(_("Some fields are invalid."), errors=self.items)
