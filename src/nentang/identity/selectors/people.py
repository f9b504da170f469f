"""Reads of one's own identity data: profile, data-usage log, sessions, lock history."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from nentang.identity.models import (
    Account,
    AccountLockEvent,
    AccountSession,
    Agency,
    DataUsage,
    LevelVerification,
    Officer,
    Organisation,
    Person,
)
from nentang.identity.problems import AGENCY_NOT_FOUND, NO_PERSONAL_PROFILE
from nentang.kernel.errors import NotFound

# Keyset order of the data-usage log: newest first, the id breaks ties.
DATA_USAGE_ORDER = ("-occurred_at", "-id")


def person_for_account(*, account: Account) -> Person | None:
    """The person behind a citizen's account, or None (staff, organisations)."""
    return Person.objects.filter(account=account).first()


def person_by_id(*, person_id: uuid.UUID) -> Person | None:
    """A person with their account, for an officer's card: only the officer pages call
    it, and only for a person whose look-up in the same session was logged."""
    return Person.objects.select_related("account").filter(pk=person_id).first()


def person_own(*, actor: Account) -> Person:
    """The actor's own person record, or 404 ``no_personal_profile``."""
    person = person_for_account(account=actor)
    if person is None:
        raise NotFound(
            _("This account is not a person's account, so it has no personal profile."),
            code=NO_PERSONAL_PROFILE,
        )
    return person


def data_usage_for(*, person: Person) -> QuerySet[DataUsage]:
    """Every recorded use of the person's data, newest first (``DATA_USAGE_ORDER``)."""
    return (
        DataUsage.objects.filter(person=person)
        .select_related("officer", "agency")
        .order_by(*DATA_USAGE_ORDER)
    )


def officer_for_account(*, account: Account) -> Officer | None:
    return Officer.objects.select_related("agency").filter(account=account).first()


def agency_officers(*, agency_code: str) -> QuerySet[Officer]:
    """The active officers of one agency, by name, with their accounts (for other
    contexts that hand work to a colleague: a citizen report, a dossier)."""
    return (
        Officer.objects.filter(agency_id=agency_code, is_active=True, account__is_active=True)
        .select_related("account", "agency")
        .order_by("full_name", "id")
    )


def organisation_for_account(*, account: Account) -> Organisation | None:
    return (
        Organisation.objects.select_related("legal_representative").filter(account=account).first()
    )


def session_list(*, account: Account) -> QuerySet[AccountSession]:
    """The account's open sessions, most recently used first."""
    return AccountSession.objects.filter(account=account, ended_at__isnull=True).order_by(
        "-last_seen_at", "-id"
    )


def account_lock_history(*, account: Account) -> QuerySet[AccountLockEvent]:
    """Locks and unlocks of the account, oldest first, with the officer's agency."""
    return AccountLockEvent.objects.filter(account=account).select_related("by_officer__agency")


def person_verifications(*, person: Person) -> QuerySet[LevelVerification]:
    return LevelVerification.objects.filter(person=person).select_related("agency")


def person_wards(*, guardian: Person) -> QuerySet[Person]:
    """Children attached to this guardian (no accounts of their own)."""
    return Person.objects.filter(guardian=guardian)


def organisations_represented(*, person: Person) -> QuerySet[Organisation]:
    """The organisations whose legal representative this person is."""
    return Organisation.objects.filter(legal_representative=person).order_by("name")


def agency_list() -> QuerySet[Agency]:
    return Agency.objects.filter(is_active=True).order_by("name", "code")


def agency_get(*, code: str) -> Agency:
    agency = Agency.objects.filter(code=code).first()
    if agency is None:
        raise NotFound(_("No agency has this code."), code=AGENCY_NOT_FOUND)
    return agency


def registration_statistics() -> list[dict[str, Any]]:
    """Counts for published statistics (the open-data context's platform datasets):
    e-ID registrations and level-2 people per province and month of registration.
    Aggregates only — no row identifies a person; small cells are suppressed by the
    publisher."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncMonth

    rows = (
        Person.objects.annotate(month=TruncMonth("created_at"))
        .values("province_code", "month")
        .annotate(registrations=Count("id"), level_2=Count("id", filter=Q(level__gte=2)))
        .order_by("month", "province_code")
    )
    return [
        {
            "province_code": row["province_code"],
            "month": row["month"].strftime("%Y-%m"),
            "registrations": row["registrations"],
            "level_2": row["level_2"],
        }
        for row in rows
    ]
