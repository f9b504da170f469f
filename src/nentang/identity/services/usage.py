"""Uses of a person's data, recorded for the person to see ("my personal data usage",
GovStack; Law 91/2025/QH15 on personal data protection): officers' reads and releases
to client services (ID tokens, userinfo).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import date

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, DataUsage, Officer, Person
from nentang.identity.problems import PERSON_NOT_FOUND
from nentang.identity.services.common import Errors, actor_for, officer_with_role
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import NotFound
from nentang.kernel.rowinserts import insert_statement, mark_saved
from nentang.kernel.text import clean, fold

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
# What an officer's lookup returns unless fewer fields are asked for: the card with the
# portrait, which the officer compares with the face in front of them.
OFFICER_READ_FIELDS: tuple[str, ...] = (
    "id_number",
    "full_name",
    "date_of_birth",
    "sex",
    "address",
    "portrait",
    "level",
)
# A search by name and date of birth shows at most this many people; more, and the
# officer is asked to narrow it (nothing is shown or logged).
NAME_SEARCH_MAX = 10
# Front-office roles that identify people at the counter; processing and approval work
# on dossiers that already carry the applicant's data.
READ_ROLES: tuple[str, ...] = ("enrolment", "identity_admin", "reception")
_ID_NUMBER = re.compile(r"[0-9]{12}")
_PROVINCE = re.compile(r"[0-9]{2}")


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
    _log_reads(actor, officer, [person], chosen, reason, by="id_number")
    return person


def person_find_by_name(
    *,
    actor: Account,
    full_name: str,
    date_of_birth: date | None,
    province_code: str = "",
    purpose: str,
) -> list[Person]:
    """An officer looks a person up by full name and date of birth (narrowed by the
    province of residence), for a stated purpose: for someone without their card.

    A name typed with tone marks must match them (case and spacing aside); without
    marks it matches any marks. Every person shown is logged as read, as by ID number;
    more than ``NAME_SEARCH_MAX`` matches show nobody and ask for the province.
    """
    officer = officer_with_role(actor, *READ_ROLES, what="identity.person.read")
    errors = Errors()
    name = clean(full_name or "")
    if len(name) < 2 or len(name) > 150 or "\x00" in name:
        errors.add("full_name", _("Enter the person's full name."), "required")
    if date_of_birth is None:
        errors.add("date_of_birth", _("Enter the person's date of birth."), "required")
    province = (province_code or "").strip()
    if province and not _PROVINCE.fullmatch(province):
        errors.add("province_code", _("Choose a province or city from the list."), "invalid")
    reason = _purpose(errors, purpose)
    errors.raise_if_any()
    assert date_of_birth is not None
    rows = Person.objects.filter(full_name_folded=fold(name), date_of_birth=date_of_birth)
    if province:
        rows = rows.filter(province_code=province)
    marked = fold(name) != name.casefold()
    found = [
        person
        for person in rows.order_by("id_number")[: NAME_SEARCH_MAX * 20]
        if not marked or clean(person.full_name).casefold() == name.casefold()
    ]
    if not found:
        raise NotFound(_("No person has this name and date of birth."), code=PERSON_NOT_FOUND)
    if len(found) > NAME_SEARCH_MAX:
        errors.add(
            "province_code" if not province else "full_name",
            _(
                "More than %(n)s people have this name and date of birth: choose the "
                "province or city of residence, or look the person up by ID number."
            )
            % {"n": NAME_SEARCH_MAX},
            "too_many_matches",
        )
        errors.raise_if_any()
    _log_reads(actor, officer, found, list(OFFICER_READ_FIELDS), reason, by="name_and_birth")
    return found


def _log_reads(
    actor: Account,
    officer: Officer,
    people: Sequence[Person],
    fields: list[str],
    purpose: str,
    *,
    by: str,
) -> None:
    """One data-usage entry (and audit entry) per person shown, in one transaction."""
    now = timezone.now()
    with transaction.atomic():
        for person in people:
            DataUsage.objects.create(
                person=person,
                occurred_at=now,
                kind=DataUsage.Kind.OFFICER_READ,
                fields=fields,
                purpose=purpose,
                officer=officer,
                agency=officer.agency,
            )
            auditing.record(
                actor=actor_for(actor),
                action="identity.person.read",
                subject_type="identity.person",
                subject=str(person.pk),
                summary={"agency": officer.agency_id, "fields": fields, "by": by},
            )


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
    usage = DataUsage(
        person=person,
        occurred_at=timezone.now(),
        kind=DataUsage.Kind.CLIENT_RELEASE,
        fields=chosen,
        purpose=reason,
        client_id=client_id,
        client_name=clean(client_name or "")[:255],
        request_id=request_id[:128],
    )
    # The row and its audit entry are written together (one statement on PostgreSQL,
    # its own transaction when the caller has none).
    entry = auditing.record(
        actor=Actor.client(client_id),
        action="identity.person.release",
        subject_type="identity.person",
        subject=str(person.pk),
        summary={"fields": chosen},
        alongside=insert_statement(usage),
    )
    mark_saved(usage, entry.alongside_id)
    return usage
