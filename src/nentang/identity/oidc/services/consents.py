"""A person's consents to release their data to a client: granted on the consent
page, withdrawn from the account page (Law 91/2025/QH15: explicit, specific, recorded,
withdrawable)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.models import Application

from nentang.identity.models import Account, Consent
from nentang.identity.oidc.services.tokens import tokens_revoke
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import NotFound


def _person_actor(account: Account) -> Actor:
    return Actor.person(str(account.pk))


def consent_grant(
    *, account: Account, application: Application, scopes: Iterable[str], purpose: str
) -> Consent:
    """The person agreed, on the consent page, to release ``scopes`` to ``application``
    for ``purpose``. A consent already covering them is kept; otherwise the active one
    is superseded by a consent for the union of both (Law 91/2025: consent is specific
    and recorded)."""
    wanted = list(dict.fromkeys(scopes))
    now = timezone.now()
    with transaction.atomic():
        current = (
            Consent.objects.select_for_update()
            .filter(account=account, application=application, ended_at__isnull=True)
            .first()
        )
        if (
            current is not None
            and set(wanted) <= set(current.scopes)
            and (current.purpose == purpose)
        ):
            return current
        union = list(dict.fromkeys([*(current.scopes if current else []), *wanted]))
        if current is not None:
            Consent.objects.filter(pk=current.pk).update(
                ended_at=now, end_reason=Consent.EndReason.SUPERSEDED
            )
        consent = Consent.objects.create(
            account=account,
            application=application,
            scopes=union,
            purpose=purpose,
            granted_at=now,
        )
        auditing.record(
            actor=_person_actor(account),
            action="identity.oidc.consent.grant",
            subject_type="identity.oidc.consent",
            subject=str(consent.pk),
            summary={"client_id": application.client_id, "scopes": union},
        )
    return consent


def consent_withdraw(*, actor: Account, consent_id: Any) -> Consent:
    """The person withdraws a consent: no further release to that client — its tokens
    are revoked now, and userinfo and refresh are refused without an active consent."""
    with transaction.atomic():
        consent = (
            Consent.objects.select_for_update()
            .select_related("application")
            .filter(pk=consent_id, account=actor, ended_at__isnull=True)
            .first()
        )
        if consent is None:
            raise NotFound(_("You have no active consent with this id."), code="consent_not_found")
        consent.ended_at = timezone.now()
        consent.end_reason = Consent.EndReason.WITHDRAWN
        consent.save(update_fields=["ended_at", "end_reason"])
        revoked = tokens_revoke(account=actor, application=consent.application)
        auditing.record(
            actor=_person_actor(actor),
            action="identity.oidc.consent.withdraw",
            subject_type="identity.oidc.consent",
            subject=str(consent.pk),
            summary={"client_id": consent.application.client_id, "tokens_revoked": revoked},
        )
    return consent
