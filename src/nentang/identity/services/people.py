"""Persons: online self-registration (level 1), children attached to a guardian, and the
in-person verification to level 2 (Decree 69/2024/NĐ-CP on electronic identification).
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from nentang.identity.models import Account, LevelVerification, Person
from nentang.identity.problems import (
    ID_NUMBER_TAKEN,
    OUTSIDE_AGENCY_AREA,
    PERSON_ALREADY_LEVEL2,
    PERSON_NOT_FOUND,
)
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors, actor_for, denied, officer_with_role
from nentang.identity.services.throttling import registration_attempt_reserve, source_address
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, Forbidden, NotFound
from nentang.kernel.text import clean, fold

# Decree 69/2024/NĐ-CP: an own e-ID account from 14 for citizens, from 6 for foreigners
# holding a residence card; younger children are attached to a guardian's account.
CITIZEN_MIN_AGE = 14
FOREIGNER_MIN_AGE = 6


@dataclass(frozen=True)
class Residence:
    """A place of residence: codes of the administrative-unit reference and a street."""

    province_code: str
    commune_code: str
    street: str


def _id_number_taken(id_number: str) -> Conflict:
    return Conflict(
        _("An electronic identification account already exists for this ID number."),
        code=ID_NUMBER_TAKEN,
    )


def _store_portrait(content: bytes, extension: str) -> str:
    today = timezone.localdate()
    name = f"portraits/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"
    return default_storage.save(name, ContentFile(content))


def _create_person(
    *,
    fields: dict[str, object],
    portrait: tuple[bytes, str] | None,
    account: Account | None,
    action: str,
    actor_of: Actor | None,
    summary: dict[str, object],
) -> Person:
    """Insert the person (and account), store the portrait, write the audit entry — all
    or nothing: a lost race on the ID number is a 409, and the stored file is removed."""
    stored = _store_portrait(*portrait) if portrait else ""
    try:
        with transaction.atomic():
            if account is not None:
                account.save(force_insert=True)
            moment = timezone.now()
            person = Person.objects.create(
                account=account, portrait=stored, created_at=moment, updated_at=moment, **fields
            )
            auditing.record(
                actor=actor_of or Actor.person(str(person.id)),
                action=action,
                subject_type="identity.person",
                subject=str(person.id),
                summary=summary,
            )
    except IntegrityError:
        if stored:
            default_storage.delete(stored)
        id_number = str(fields["id_number"])
        if (
            Person.objects.filter(id_number=id_number).exists()
            or Account.objects.filter(username=id_number).exists()
        ):
            raise _id_number_taken(id_number) from None
        raise
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    return person


def person_register(
    *,
    id_number: str,
    full_name: str,
    date_of_birth: datetime.date | None,
    sex: str,
    phone: str,
    password: str,
    residence: Residence,
    portrait: bytes | None,
    email: str = "",
    nationality: str = "VN",
    residence_card_number: str = "",
    source_ip: str | None = None,
) -> Person:
    """Online self-registration of an electronic identification at level 1.

    Decree 69/2024/NĐ-CP: personal ID number, full name, date of birth, sex, portrait and
    a mobile phone. The ID number's structure must agree with the date of birth and sex
    (Circular 07/2016/TT-BCA); citizens from 14, foreigners from 6 with a residence
    card; one account per ID number (409 ``id_number_taken``). The password follows
    settings.AUTH_PASSWORD_VALIDATORS (OWASP ASVS 5.0 L2). Every mistake is a field
    error of one 422, and nothing is written. A registration that passes its checks is
    throttled per ``source_ip`` and per ID number before the number is looked up (429
    ``rate_limited``, see ``login.RegistrationPolicy``).

    This creates the account at once (the demo, tests and trusted callers); the public
    page goes through ``registration.registration_start``/``registration_confirm``,
    which first confirm the phone by a one-time code (issue 8 item 6).
    """
    fields, picture = registration_checked(
        id_number=id_number,
        full_name=full_name,
        date_of_birth=date_of_birth,
        sex=sex,
        phone=phone,
        password=password,
        residence=residence,
        portrait=portrait,
        email=email,
        nationality=nationality,
        residence_card_number=residence_card_number,
    )
    number = str(fields["id_number"])
    registration_attempt_reserve(id_number=number, source_ip=source_address(source_ip))
    if id_number_has_eid(number):
        raise _id_number_taken(number)
    # Argon2 is slow on purpose: hash before the transaction, not while holding locks.
    account = Account(username=number, kind=Account.Kind.PERSON, password=make_password(password))
    return person_create_registered(fields, picture, account)


def id_number_has_eid(number: str) -> bool:
    return (
        Person.objects.filter(id_number=number).exists()
        or Account.objects.filter(username=number).exists()
    )


def person_create_registered(
    fields: dict[str, object], portrait: tuple[bytes, str], account: Account
) -> Person:
    """Create the level-1 person and account of a registration whose data was checked."""
    return _create_person(
        fields=dict(fields),
        portrait=portrait,
        account=account,
        action="identity.person.register",
        actor_of=None,
        summary={"level": 1, "channel": "online", "foreigner": fields["nationality"] != "VN"},
    )


def registration_checked(
    *,
    id_number: str,
    full_name: str,
    date_of_birth: datetime.date | None,
    sex: str,
    phone: str,
    password: str,
    residence: Residence,
    portrait: bytes | None,
    email: str = "",
    nationality: str = "VN",
    residence_card_number: str = "",
    name_without_marks: bool = True,
) -> tuple[dict[str, object], tuple[bytes, str]]:
    """Every check of an online registration in one pass (422 with every field error):
    the person's fields as stored, and the portrait with its file extension.

    ``name_without_marks=False`` (the web form, until the person confirms): a citizen's
    name typed without any tone mark ("tran van d") is an error asking to type it as
    on the card, or to confirm that the card has it so (code ``name_without_marks``)."""
    today = timezone.localdate()
    errors = Errors()
    name = inputs.full_name(errors, full_name)
    born = inputs.date_of_birth_check(errors, date_of_birth, today=today)
    sex = inputs.sex_check(errors, sex)
    country = inputs.nationality_check(errors, nationality)
    number = inputs.personal_id(
        errors, id_number=id_number, date_of_birth=born, sex=sex, nationality=country, today=today
    )
    card = inputs.residence_card(errors, residence_card_number, nationality=country)
    if (
        not name_without_marks
        and country == "VN"
        and name
        and not errors.has("full_name")
        and fold(name) == name.casefold()
    ):
        errors.add(
            "full_name",
            _(
                "Type your name with its tone marks, as on your identity card (for example "
                "Trần Văn Đức). If your card writes it without marks, tick the box below."
            ),
            "name_without_marks",
        )
    if born is not None and not errors.has("date_of_birth"):
        minimum = CITIZEN_MIN_AGE if country == "VN" else FOREIGNER_MIN_AGE
        if inputs.age_on(born, today) < minimum:
            message = (
                _(
                    "An own account is possible from 14 years of age. A younger child is "
                    "registered by a parent or guardian from their account."
                )
                if country == "VN"
                else _("Foreigners can have an own account from 6 years of age.")
            )
            errors.add("date_of_birth", message, "too_young")
    phone_e164 = inputs.mobile_phone(errors, phone)
    email_address = inputs.email_address(errors, email)
    extension = inputs.portrait_type(errors, portrait, required=True)
    province, commune, street = inputs.residence_address(
        errors,
        province_code=residence.province_code,
        commune_code=residence.commune_code,
        street=residence.street,
        today=today,
    )
    inputs.password_check(errors, password, username=number)
    errors.raise_if_any()
    assert portrait is not None
    fields: dict[str, object] = {
        "id_number": number,
        "full_name": name,
        "full_name_folded": fold(name),
        "date_of_birth": born,
        "sex": sex,
        "nationality": country,
        "residence_card_number": card,
        "phone": phone_e164,
        "email": email_address,
        "province_code": province,
        "commune_code": commune,
        "street": street,
        "level": 1,
    }
    return fields, (portrait, extension)


def child_fields(
    *,
    number: str,
    name: str,
    born: datetime.date | None,
    sex: str,
    residence: Residence,
    guardian: Person,
) -> dict[str, object]:
    """The row of a Vietnamese child attached to a guardian (level 1, no account)."""
    return {
        "id_number": number,
        "full_name": name,
        "full_name_folded": fold(name),
        "date_of_birth": born,
        "sex": sex,
        "nationality": "VN",
        "province_code": residence.province_code,
        "commune_code": residence.commune_code,
        "street": residence.street,
        "level": 1,
        "guardian": guardian,
    }


def document_reference(document_type: str, number: str) -> str:
    """Keyed hash of a document number (HMAC-SHA256 with the installation's secret): a
    verification can be matched against a document later without storing its number."""
    return salted_hmac(
        f"nentang.identity.document.{document_type}", number, algorithm="sha256"
    ).hexdigest()


def person_verify_level2(
    *,
    actor: Account,
    person_id: uuid.UUID,
    place: str,
    document_type: str,
    document_number: str,
    fingerprint_attested: bool,
) -> LevelVerification:
    """Raise a person's electronic identification to level 2 after an in-person check.

    Decree 69/2024/NĐ-CP: level 2 needs the person in front of an enrolment officer, the
    identity document and a fingerprint check against the population database — here
    the officer's attestation. Records who, when, where and which document (as a keyed
    hash, never the number). Only officers with the ``enrolment`` role, of an agency in
    the person's province of residence (403 ``outside_agency_area`` otherwise).
    """
    officer = officer_with_role(actor, "enrolment", what="identity.person.verify_level2")
    person = Person.objects.filter(pk=person_id, account__isnull=False).first()
    if person is None:
        raise NotFound(_("No person with an account has this id."), code=PERSON_NOT_FOUND)
    if officer.agency.province_code != person.province_code:
        # Issue 8 item 19: an enrolment officer raises only residents of the agency's
        # province (a ward agency serves any resident of its province, who may come to
        # whichever counter is nearest); elsewhere the person goes to a local agency.
        denied(
            actor, what="identity.person.verify_level2", detail={"reason": "outside_agency_area"}
        )
        raise Forbidden(
            _(
                "%(agency)s verifies residents of its own province only: this person lives "
                "in another province."
            )
            % {"agency": officer.agency.name},
            code=OUTSIDE_AGENCY_AREA,
        )
    errors = Errors()
    where = clean(place or "")
    if not where:
        errors.add("place", _("Enter where the verification takes place."), "required")
    elif len(where) > 200:
        errors.add("place", _("The place is at most 200 characters."), "too_long")
    if document_type not in LevelVerification.Document.values:
        errors.add("document_type", _("Choose the type of document shown."), "invalid_choice")
    document = "".join((document_number or "").split()).upper()
    if not document:
        errors.add("document_number", _("Enter the number of the document shown."), "required")
    elif (
        document_type == LevelVerification.Document.CITIZEN_ID_CARD and document != person.id_number
    ):
        errors.add(
            "document_number",
            _("The number of a citizen identity card is the person's ID number."),
            "document_mismatch",
        )
    elif len(document) > 20 or not document.isalnum() or not document.isascii():
        errors.add(
            "document_number",
            _("A document number is at most 20 letters and digits."),
            "invalid_format",
        )
    if fingerprint_attested is not True:
        errors.add(
            "fingerprint_attested",
            _("Level 2 needs the fingerprint check; confirm that it matched."),
            "required",
        )
    errors.raise_if_any()
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if locked.level >= 2:
            raise Conflict(_("This person is already at level 2."), code=PERSON_ALREADY_LEVEL2)
        moment = timezone.now()
        verification = LevelVerification.objects.create(
            person=locked,
            officer=officer,
            agency=officer.agency,
            verified_at=moment,
            place=where,
            document_type=document_type,
            document_reference=document_reference(document_type, document),
            fingerprint_attested=True,
        )
        Person.objects.filter(pk=locked.pk).update(level=2, updated_at=moment)
        auditing.record(
            actor=actor_for(actor),
            action="identity.person.verify_level2",
            subject_type="identity.person",
            subject=str(locked.pk),
            summary={"agency": officer.agency_id, "document_type": document_type},
        )
    return verification
