"""The person's own copy of everything the platform holds about them ("my data"; Law
91/2025/QH15, the data subject's right of access). Identity gathers its own records and
every section other contexts registered in ``kernel.personaldata``; each download is
recorded in the audit log (it is personal data leaving the platform).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from nentang.identity.models import (
    Account,
    AccountLockEvent,
    AccountSession,
    Consent,
    ContactChange,
    DataUsage,
    Organisation,
    Passkey,
    Person,
    TotpDevice,
)
from nentang.identity.selectors import person_own
from nentang.identity.services.common import actor_for
from nentang.kernel import auditing, personaldata

FORMAT_VERSION = 1


def _when(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    return value.isoformat()


def _agency_of(event: AccountLockEvent) -> str | None:
    return event.by_officer.agency.name if event.by_officer else None


def _profile(person: Person) -> dict[str, Any]:
    return {
        "id_number": person.id_number,
        "full_name": person.full_name,
        "date_of_birth": _when(person.date_of_birth),
        "sex": person.sex,
        "nationality": person.nationality,
        "residence_card_number": person.residence_card_number or None,
        "phone": person.phone or None,
        "email": person.email or None,
        "address": {
            "street": person.street,
            "commune_code": person.commune_code,
            "province_code": person.province_code,
        },
        "portrait": "on file" if person.portrait else None,
        "level": person.level,
        "registered_at": _when(person.created_at),
        "updated_at": _when(person.updated_at),
    }


def _identity_sections(person: Person, account: Account) -> dict[str, Any]:
    verifications = [
        {
            "verified_at": _when(v.verified_at),
            "agency": v.agency.name,
            "place": v.place,
            "document_type": v.document_type,
            "fingerprint_attested": v.fingerprint_attested,
        }
        for v in person.verifications.select_related("agency").order_by("verified_at")
    ]
    locks = [
        {
            "at": _when(event.at),
            "action": event.action,
            "reason": event.reason or None,
            "by": "you" if event.by_holder else _agency_of(event),
            "note": event.note or None,
        }
        for event in AccountLockEvent.objects.filter(account=account)
        .select_related("by_officer__agency")
        .order_by("at", "pk")
    ]
    sessions = [
        {
            "started_at": _when(s.created_at),
            "last_seen_at": _when(s.last_seen_at),
            "ended_at": _when(s.ended_at),
            "ip_address": s.ip_address,
            "browser": s.user_agent or None,
            "second_factor": s.second_factor or None,
        }
        for s in AccountSession.objects.filter(account=account).order_by("created_at", "pk")
    ]
    consents = [
        {
            "service": c.application.name,
            "scopes": list(c.scopes),
            "purpose": c.purpose,
            "granted_at": _when(c.granted_at),
            "ended_at": _when(c.ended_at),
            "end_reason": c.end_reason or None,
        }
        for c in Consent.objects.filter(account=account)
        .select_related("application")
        .order_by("granted_at", "pk")
    ]
    usage = [
        {
            "at": _when(u.occurred_at),
            "kind": u.kind,
            "fields": list(u.fields),
            "purpose": u.purpose,
            "by": (u.agency.name if u.agency_id and u.agency else None) or u.client_name or None,
        }
        for u in DataUsage.objects.filter(person=person)
        .select_related("agency")
        .order_by("occurred_at", "pk")
    ]
    children = [
        {
            "id_number": child.id_number,
            "full_name": child.full_name,
            "date_of_birth": _when(child.date_of_birth),
        }
        for child in Person.objects.filter(guardian=person).order_by("date_of_birth", "pk")
    ]
    organisations = [
        {"tax_code": org.tax_code, "name": org.name, "registered_at": _when(org.created_at)}
        for org in Organisation.objects.filter(legal_representative=person).order_by(
            "created_at", "pk"
        )
    ]
    passkeys = [
        {
            "name": key.name,
            "added_at": _when(key.created_at),
            "last_used_at": _when(key.last_used_at),
        }
        for key in Passkey.objects.filter(account=account).order_by("created_at", "pk")
    ]
    totp = TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).first()
    contact_changes = [  # kept a day (services.contacts), then only the audit log's entry
        {
            "kind": change.kind,
            "new_contact": change.value,
            "asked_at": _when(change.occurred_at),
            "confirmed_at": _when(change.completed_at),
        }
        for change in ContactChange.objects.filter(account=account).order_by("occurred_at", "pk")
    ]
    return {
        "identity.profile": _profile(person),
        "identity.account": {
            "login": account.username,
            "created_at": _when(account.date_joined),
            "locked": account.locked_at is not None,
            "authenticator_app_since": _when(totp.confirmed_at) if totp else None,
            "passkeys": passkeys,
            "contact_changes": contact_changes,
        },
        "identity.verifications": verifications,
        "identity.lock_history": locks,
        "identity.sessions": sessions,
        "identity.consents": consents,
        "identity.data_usage": usage,
        "identity.children": children,
        "identity.organisations": organisations,
    }


def personal_data_export(*, actor: Account) -> dict[str, Any]:
    """Everything the platform holds about ``actor``'s person, as JSON values, keyed by
    section (``identity.*`` and the registered sections of other contexts). Persons
    only (a staff account has no person: 404). The export is audited."""
    person = person_own(actor=actor)
    subject = personaldata.Subject(
        person_id=person.pk,
        account_id=actor.pk,
        id_number=person.id_number,
        phone=person.phone,
    )
    data: dict[str, Any] = {
        "format": "nentang-personal-data",
        "version": FORMAT_VERSION,
        "generated_at": _when(timezone.now()),
        "sections": _identity_sections(person, actor),
    }
    for section in personaldata.sections():
        data["sections"][section.key] = section.collect(subject)
    with transaction.atomic():
        auditing.record(
            actor=actor_for(actor),
            action="identity.personal_data.export",
            subject_type="identity.person",
            subject=str(person.pk),
            summary={"sections": sorted(data["sections"])},
        )
    return data
