"""Reads the pages need that ``identity.selectors`` does not offer (yet): the holder's
active consents and a bounded page of their data-usage log. Own data only."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from nentang.identity.models import Account, Consent, DataUsage, Person
from nentang.identity.selectors import data_usage_for

DATA_USAGE_PAGE = 100


def consents_active(*, account: Account) -> QuerySet[Consent]:
    """The holder's consents still in force, newest first, with their service."""
    return (
        Consent.objects.select_related("application")
        .filter(account=account, ended_at__isnull=True)
        .order_by("-granted_at", "-id")
    )


def data_usage_page(*, person: Person, limit: int = DATA_USAGE_PAGE) -> tuple[list[DataUsage], int]:
    """The newest ``limit`` uses of the person's data and how many there are in all."""
    usage = data_usage_for(person=person)
    return list(usage[:limit]), usage.count()


def account_for_second_step(*, account_id: uuid.UUID) -> Account | None:
    """The account whose password was just checked, if it may still log in."""
    return Account.objects.filter(pk=account_id, is_active=True, locked_at__isnull=True).first()
