"""Uses of a person's data, recorded for the person to see ("my personal data usage",
GovStack; Law 91/2025/QH15 on personal data protection): officers' reads and releases
to client services (ID tokens, userinfo).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, DataUsage, Person
from nentang.identity.problems import PERSON_NOT_FOUND
from nentang.identity.services.common import Errors, actor_for, officer_with_role
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import NotFound
from nentang.kernel.text import clean

# The fields of a person that a read or a release can name (what the person is shown).
PERSON_FIELDS: tuple[str, ...] = (
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "nationality",
    "phone",
    "email",
    "address",
    "portrait",
    "level",
)
# What an officer's lookup by ID number returns unless fewer fields are asked for.
OFFICER_READ_FIELDS: tuple[str, ...] = (
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "address",
    "level",
)
# Front-office roles that identify people at the counter; processing and approval work
# on dossiers that already carry the applicant's data.
READ_ROLES: tuple[str, ...] = ("enrolment", "identity_admin", "reception")
_ID_NUMBER = re.compile(r"[0-9]{12}")


def _fields(errors: Errors, fields: Sequence[str]) -> list[str]:
    chosen = list(dict.fromkeys(fields))
    unknown = [name for name in chosen if name not in PERSON_FIELDS]
    if not chosen:
        errors.add("fields", _("Name at least one field."), "required")
    elif unknown:
        errors.add(
            "fields",
            _("Unknown fields: %(fields)s.") % {"fields": ", ".join(unknown)},
            "invalid_choice",
        )
    return chosen


def _purpose(errors: Errors, purpose: str) -> str:
    text = clean(purpose or "")
    if len(text) < 3:
        errors.add(
            "purpose",
            _("State the purpose of this use: the person will see it."),
            "required",
        )
    elif len(text) > 300:
        errors.add("purpose", _("The purpose is at most 300 characters."), "too_long")
    return text


def person_find_by_id_number(
    *,
    actor: Account,
    id_number: str,
    purpose: str,
    fields: Sequence[str] = OFFICER_READ_FIELDS,
) -> Person:
    """An officer looks a person up by ID number, for a stated purpose.

    Law 91/2025/QH15: every read of a person's data by an officer is recorded — which
    fields, for what purpose, by which agency — and shown to the person. Officers with
    a front-office role (enrolment, identity administration, reception) only.
    """
    officer = officer_with_role(actor, *READ_ROLES, what="identity.person.read")
    errors = Errors()
    number = (id_number or "").strip()
    if not _ID_NUMBER.fullmatch(number):
        errors.add("id_number", _("A personal ID number is exactly 12 digits."), "invalid_length")
    reason = _purpose(errors, purpose)
    chosen = _fields(errors, fields)
    errors.raise_if_any()
    person = Person.objects.filter(id_number=number).first()
    if person is None:
        raise NotFound(_("No person has this ID number."), code=PERSON_NOT_FOUND)
    with transaction.atomic():
        DataUsage.objects.create(
            person=person,
            occurred_at=timezone.now(),
            kind=DataUsage.Kind.OFFICER_READ,
            fields=chosen,
            purpose=reason,
            officer=officer,
            agency=officer.agency,
        )
        auditing.record(
            actor=actor_for(actor),
            action="identity.person.read",
            subject_type="identity.person",
            subject=str(person.pk),
            summary={"agency": officer.agency_id, "fields": chosen},
        )
    return person


def data_usage_record(
    *,
    person_id: uuid.UUID,
    client_id: str,
    client_name: str,
    fields: Sequence[str],
    purpose: str,
    request_id: str = "",
    person: Person | None = None,
) -> DataUsage:
    """Record a release of a person's data to a client service (ID token, userinfo,
    token exchange), for the person's data-usage log. Called by the OpenID Connect
    provider inside or outside its own transaction; writes one row and its audit entry.
    A caller that holds the person already passes it (no lookup). Inside a caller's
    transaction no savepoint is made: a failure here fails the release as a whole.
    """
    errors = Errors()
    chosen = _fields(errors, fields)
    reason = _purpose(errors, purpose)
    if not client_id or len(client_id) > 100:
        errors.add("client_id", _("A client id is 1 to 100 characters."), "invalid")
    errors.raise_if_any()
    if person is None or person.pk != person_id:
        person = Person.objects.filter(pk=person_id).only("id").first()
    if person is None:
        raise NotFound(_("No person has this id."), code=PERSON_NOT_FOUND)
    with transaction.atomic(savepoint=False):
        usage = DataUsage.objects.create(
            person=person,
            occurred_at=timezone.now(),
            kind=DataUsage.Kind.CLIENT_RELEASE,
            fields=chosen,
            purpose=reason,
            client_id=client_id,
            client_name=clean(client_name or "")[:255],
            request_id=request_id[:128],
        )
        auditing.record(
            actor=Actor.client(client_id),
            action="identity.person.release",
            subject_type="identity.person",
            subject=str(person.pk),
            summary={"fields": chosen},
        )
    return usage
