"""A newborn's personal identification number, issued when a civil-status officer
registers the birth (Law on Identification 2023, Art. 12; Decree 69/2024/NĐ-CP): the
child becomes a ``Person`` attached to the parent or guardian who declared the birth.

The number is ``PPP G YY RRRRRR`` (Circular 07/2016/TT-BCA): the place of birth
registration (the registering agency's province), century and sex, the year of birth,
and a serial one above the highest already given under the same first six digits. A
number is never given twice: persons are never deleted, the column is unique, and two
registrations that draw the same serial at once meet on that unique index — the loser
draws again. The structure is checked by ``validators.parse_personal_id``, the one
place the rules live.
"""

from __future__ import annotations

import datetime
import uuid

from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, Person
from nentang.identity.problems import ID_NUMBER_TAKEN, ID_NUMBER_UNAVAILABLE, PERSON_NOT_FOUND
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors, officer_with_role
from nentang.identity.services.people import (
    CITIZEN_MIN_AGE,
    Residence,
    _create_person,
    child_fields,
)
from nentang.identity.validators import IdentifierError, parse_personal_id
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed

# Concurrent registrations under one prefix retry on the unique index this many times.
_DRAWS = 20


def birth_place_code(province_code: str) -> str:
    """The ``PPP`` of a birth registered in ``province_code``: provinces merged in 2025
    kept the code of one of their predecessors, whose three-digit form is the place code
    (checked against the table of ``validators``)."""
    return f"{int(province_code):03d}" if province_code.isdigit() else ""


def _next_number(prefix: str) -> str:
    highest = Person.objects.filter(id_number__startswith=prefix).aggregate(top=Max("id_number"))
    serial = int(str(highest["top"])[6:]) + 1 if highest["top"] else 1
    if serial > 999_999:
        raise Conflict(
            _("No personal ID number is left under %(p)s.") % {"p": prefix},
            code=ID_NUMBER_UNAVAILABLE,
        )
    return f"{prefix}{serial:06d}"


def child_register_at_birth(
    *,
    actor: Account,
    guardian_id: uuid.UUID,
    full_name: str,
    date_of_birth: datetime.date | None,
    sex: str,
) -> Person:
    """Register a newborn declared to the actor's agency and issue its personal ID
    number. The actor is an approving officer; the child lives with the guardian."""
    officer = officer_with_role(actor, "approval", what="identity.person.register_birth")
    guardian = Person.objects.filter(pk=guardian_id).first()
    if guardian is None:
        raise NotFound(_("No person has this id."), code=PERSON_NOT_FOUND)
    today = timezone.localdate()
    errors = Errors()
    name = inputs.full_name(errors, full_name)
    born = inputs.date_of_birth_check(errors, date_of_birth, today=today)
    sex = inputs.sex_check(errors, sex)
    if born is not None and inputs.age_on(born, today) >= CITIZEN_MIN_AGE:
        errors.add(
            "date_of_birth", _("From 14 years of age a child registers an own account."), "too_old"
        )
    errors.raise_if_any()
    assert born is not None
    place = birth_place_code(officer.agency.province_code)
    century = (born.year - 1900) // 100 * 2 + (1 if sex == "female" else 0)
    prefix = f"{place}{century}{born.year % 100:02d}"
    try:
        parse_personal_id(f"{prefix}000001", today=today)
    except IdentifierError as error:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError(
                    "place",
                    _("This agency's province has no place code for birth registration."),
                    error.code,
                )
            ],
        ) from None
    for _attempt in range(_DRAWS):
        number = _next_number(prefix)
        try:
            return _create_person(
                fields=child_fields(
                    number=number,
                    name=name,
                    born=born,
                    sex=sex,
                    residence=Residence(
                        guardian.province_code, guardian.commune_code, guardian.street
                    ),
                    guardian=guardian,
                ),
                portrait=None,
                account=None,
                action="identity.person.register_birth",
                actor_of=Actor.officer(actor.username),
                summary={"guardian": str(guardian.id), "agency": str(officer.agency_id)},
            )
        except Conflict as error:
            if error.code != ID_NUMBER_TAKEN:
                raise
    raise Conflict(
        _("Too many births are being registered at once; try again."), code=ID_NUMBER_UNAVAILABLE
    )
