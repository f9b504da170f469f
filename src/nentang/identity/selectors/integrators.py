"""Reads of the integrators' portal: an organisation's own clients and their usage."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone
from oauth2_provider.models import AccessToken

from nentang.identity.models import Account, ClientPolicy, Consent, DataUsage, Organisation
from nentang.identity.oidc.services.integrators import organisation_of, owned_policy

USAGE_DAYS = 30


def organisation_for_portal(*, actor: Account) -> Organisation:
    """The organisation whose e-ID is logged in (403 otherwise)."""
    return organisation_of(actor)


def organisation_clients(*, actor: Account) -> QuerySet[ClientPolicy]:
    """The clients the actor's organisation registered, newest first."""
    return (
        ClientPolicy.objects.select_related("application")
        .filter(owner=organisation_of(actor))
        .order_by("-created_at", "application_id")
    )


def organisation_client(*, actor: Account, client_id: str) -> ClientPolicy:
    """One of the organisation's clients (404 ``client_not_found`` for anyone else's)."""
    return owned_policy(organisation=organisation_of(actor), client_id=client_id)


@dataclass(frozen=True)
class ClientUsage:
    days: int
    tokens_issued: int
    people_consenting: int
    data_releases: int


def client_usage(*, actor: Account, client_id: str) -> ClientUsage:
    """What the client did over the last ``USAGE_DAYS`` days: access tokens issued, people
    whose consent is in force, releases of personal data (counts only: no person named)."""
    policy = organisation_client(actor=actor, client_id=client_id)
    since = timezone.now() - timedelta(days=USAGE_DAYS)
    return ClientUsage(
        days=USAGE_DAYS,
        tokens_issued=AccessToken.objects.filter(
            application_id=policy.application_id, created__gte=since
        ).count(),
        people_consenting=Consent.objects.filter(
            application_id=policy.application_id, ended_at__isnull=True
        ).count(),
        data_releases=DataUsage.objects.filter(
            client_id=policy.application.client_id, occurred_at__gte=since
        ).count(),
    )
