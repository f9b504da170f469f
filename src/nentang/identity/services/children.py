"""Children under 14 attached to a parent or guardian (Decree 69/2024/NĐ-CP), and the
evidence the adult gives for the tie (issue 8 item 19).

The rule, until the population database can be asked who a child's parents are:

* who: an adult (18 or older: Civil Code 2015, art. 49 for a guardian; the same age for
  a parent acting alone on the child's behalf) holding a level-2 e-ID;
* the tie: ``mother`` or ``father`` — the birth certificate (giấy khai sinh) names the
  parent, so its number and registration date are given, and the parent's sex as
  verified at level 2 must be the one the tie implies; ``guardian`` — the guardianship
  registration extract (trích lục đăng ký giám hộ, Law on Civil Status 2014, art. 20)
  or the court decision that appoints the guardian, with its number and date;
* the document's date is on or after the child's birth and not in the future;
* the document's number is kept as a keyed hash (never in clear), with its type and
  date, on the child's record, so an officer can match it against the paper later;
* at most ``CHILDREN_PER_WINDOW`` children in ``CHILDREN_WINDOW`` per adult (multiple
  births fit; more is done in person): attaching strangers' ID numbers does not scale.
"""

from __future__ import annotations

import datetime
import math
import re
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, Person
from nentang.identity.problems import GUARDIAN_NOT_ADULT, LEVEL2_REQUIRED
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors, denied
from nentang.identity.services.people import (
    CITIZEN_MIN_AGE,
    Residence,
    _create_person,
    _id_number_taken,
    child_fields,
    document_reference,
)
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Forbidden, RateLimited

ADULT_AGE = 18
CHILDREN_PER_WINDOW = 4
CHILDREN_WINDOW = timedelta(days=30)
# What each tie is proven by (the document type stored with the child).
EVIDENCE = {
    "mother": "birth_certificate",
    "father": "birth_certificate",
    "guardian": "guardianship_record",
}
_EVIDENCE_NUMBER = re.compile(r"^[0-9A-Za-zĐđ][0-9A-Za-zĐđ/.\-]{0,29}$")


def _relationship_check(errors: Errors, value: str, guardian: Person) -> str:
    relationship = (value or "").strip().lower()
    if relationship not in EVIDENCE:
        errors.add(
            "relationship",
            _("Choose whether you are the child's mother, father or guardian."),
            "required" if not relationship else "invalid",
        )
        return ""
    implied = {"mother": "female", "father": "male"}.get(relationship)
    if implied is not None and guardian.sex != implied:
        errors.add(
            "relationship",
            _(
                "Your verified e-ID does not match this tie. A parent registers their "
                "child as the mother or the father named on the birth certificate."
            ),
            "relationship_mismatch",
        )
    return relationship


def _evidence_check(
    errors: Errors,
    *,
    number: str,
    issued_on: datetime.date | None,
    born: datetime.date | None,
    today: datetime.date,
) -> str:
    cleaned = (number or "").strip()
    if not cleaned:
        errors.add(
            "evidence_number",
            _("Enter the number of the birth certificate or of the guardianship record."),
            "required",
        )
    elif not _EVIDENCE_NUMBER.match(cleaned):
        errors.add(
            "evidence_number",
            _(
                "Enter the number as written on the document: up to 30 letters and "
                "digits, with / . or - between them."
            ),
        )
    if issued_on is None:
        errors.add(
            "evidence_date",
            _("Enter the date the birth or the guardianship was registered."),
            "required",
        )
    elif issued_on > today:
        errors.add("evidence_date", _("The registration date cannot be in the future."), "future")
    elif born is not None and issued_on < born:
        errors.add(
            "evidence_date",
            _("The registration date cannot be before the child's date of birth."),
            "before_birth",
        )
    return cleaned


def _guardian_or_refuse(actor: Account, today: datetime.date) -> Person:
    guardian = Person.objects.filter(account=actor).first()
    if guardian is None or guardian.level < 2 or actor.is_locked or not actor.is_active:
        denied(actor, what="identity.child.register", detail={"reason": "level2_required"})
        raise Forbidden(
            _("Only a guardian with a level-2 electronic identification can register a child."),
            code=LEVEL2_REQUIRED,
        )
    if inputs.age_on(guardian.date_of_birth, today) < ADULT_AGE:
        denied(actor, what="identity.child.register", detail={"reason": "guardian_not_adult"})
        raise Forbidden(
            _("Only an adult (18 or older) can register a child online."),
            code=GUARDIAN_NOT_ADULT,
        )
    return guardian


def _within_limit(guardian: Person, now: datetime.datetime) -> None:
    """Serialise one adult's registrations on their row, then count the recent ones."""
    Person.objects.select_for_update().filter(pk=guardian.pk).update(updated_at=now)
    recent = list(
        Person.objects.filter(guardian=guardian, created_at__gt=now - CHILDREN_WINDOW)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) >= CHILDREN_PER_WINDOW:
        wait = recent[-CHILDREN_PER_WINDOW] + CHILDREN_WINDOW - now
        raise RateLimited(
            _(
                "You have registered %(count)d children in the last 30 days. Register "
                "more at the police of your ward or commune."
            )
            % {"count": len(recent)},
            retry_after=max(1, math.ceil(wait.total_seconds())),
        )


def child_register(
    *,
    actor: Account,
    id_number: str,
    full_name: str,
    date_of_birth: datetime.date | None,
    sex: str,
    relationship: str,
    evidence_number: str,
    evidence_date: datetime.date | None,
    residence: Residence | None = None,
    portrait: bytes | None = None,
) -> Person:
    """A Vietnamese child under 14 is attached to a parent or guardian, without an own
    account (Decree 69/2024/NĐ-CP). The adult registers the child from their own level-2
    account with the evidence of the tie (see the module's rule); the child lives with
    the adult unless another residence is given. Every field mistake is one 422."""
    today = timezone.localdate()
    guardian = _guardian_or_refuse(actor, today)
    errors = Errors()
    name = inputs.full_name(errors, full_name)
    born = inputs.date_of_birth_check(errors, date_of_birth, today=today)
    sex = inputs.sex_check(errors, sex)
    number = inputs.personal_id(
        errors, id_number=id_number, date_of_birth=born, sex=sex, nationality="VN", today=today
    )
    if (
        born is not None
        and not errors.has("date_of_birth")
        and inputs.age_on(born, today) >= CITIZEN_MIN_AGE
    ):
        errors.add(
            "date_of_birth",
            _("From 14 years of age a child registers an own account."),
            "too_old",
        )
    tie = _relationship_check(errors, relationship, guardian)
    document = _evidence_check(
        errors,
        number=evidence_number,
        issued_on=evidence_date,
        born=None if errors.has("date_of_birth") else born,
        today=today,
    )
    place = residence or Residence(guardian.province_code, guardian.commune_code, guardian.street)
    province, commune, street = inputs.residence_address(
        errors,
        province_code=place.province_code,
        commune_code=place.commune_code,
        street=place.street,
        today=today,
    )
    extension = inputs.portrait_type(errors, portrait, required=False)
    errors.raise_if_any()
    if Person.objects.filter(id_number=number).exists():
        raise _id_number_taken(number)
    evidence_type = EVIDENCE[tie]
    with transaction.atomic():
        _within_limit(guardian, timezone.now())
        return _create_person(
            fields={
                **child_fields(
                    number=number,
                    name=name,
                    born=born,
                    sex=sex,
                    residence=Residence(province, commune, street),
                    guardian=guardian,
                ),
                "guardian_relationship": tie,
                "guardian_evidence_type": evidence_type,
                "guardian_evidence_reference": document_reference(evidence_type, document),
                "guardian_evidence_date": evidence_date,
            },
            portrait=(portrait, extension) if portrait and extension else None,
            account=None,
            action="identity.person.register_child",
            actor_of=Actor.person(str(guardian.id)),
            summary={"guardian": str(guardian.id), "relationship": tie, "evidence": evidence_type},
        )
