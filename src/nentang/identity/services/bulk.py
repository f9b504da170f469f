"""Loading many level-1 persons at once (demo data, a migration from another register).

Every row passes the same checks as an online registration — ID number structure
agreeing with the date of birth and sex, Vietnamese mobile number, a place of the
administrative-unit reference — and gets its own audit entry. Rows whose ID number
exists already are skipped, so loading the same rows twice adds nothing. Accounts get
the given password hash: Argon2 is slow on purpose, so a caller that loads thousands
of accounts hashes one password once.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, Person
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.kernel.text import fold


@dataclass(frozen=True)
class PersonRecord:
    """One person to load, with the same fields as an online registration."""

    id_number: str
    full_name: str
    date_of_birth: datetime.date
    sex: str
    phone: str
    province_code: str
    commune_code: str
    street: str
    email: str = ""


def persons_import(
    *, created_by: Actor, records: Sequence[PersonRecord], password_hash: str
) -> int:
    """Create the persons (level 1, each with an account) whose ID numbers are new, in
    one transaction; returns how many were created. A row that breaks a rule stops the
    whole batch with a 422 naming the row (``rows.<index>.<field>``): nothing is written.
    """
    today = timezone.localdate()
    errors: list[FieldError] = []
    cleaned: list[dict[str, object]] = []
    for index, record in enumerate(records):
        row = Errors()
        name = inputs.full_name(row, record.full_name)
        number = inputs.personal_id(
            row,
            id_number=record.id_number,
            date_of_birth=record.date_of_birth,
            sex=record.sex,
            nationality="VN",
            today=today,
        )
        if inputs.age_on(record.date_of_birth, today) < 14:
            row.add(
                "date_of_birth", _("An own account is possible from 14 years of age."), "too_young"
            )
        phone = inputs.mobile_phone(row, record.phone)
        email = inputs.email_address(row, record.email)
        province, commune, street = inputs.residence_address(
            row,
            province_code=record.province_code,
            commune_code=record.commune_code,
            street=record.street,
            today=today,
        )
        errors += [
            FieldError(f"rows.{index}.{error.field}", error.message, error.code)
            for error in row.items
        ]
        cleaned.append(
            {
                "id_number": number,
                "full_name": name,
                "full_name_folded": fold(name),
                "date_of_birth": record.date_of_birth,
                "sex": record.sex,
                "phone": phone,
                "email": email,
                "province_code": province,
                "commune_code": commune,
                "street": street,
            }
        )
    if errors:
        raise ValidationFailed(_("Some rows are invalid."), errors=errors)
    with transaction.atomic():
        numbers = [str(row["id_number"]) for row in cleaned]
        existing = set(
            Person.objects.filter(id_number__in=numbers).values_list("id_number", flat=True)
        ) | set(Account.objects.filter(username__in=numbers).values_list("username", flat=True))
        unique = {str(row["id_number"]): row for row in cleaned}
        new_rows = [row for number, row in unique.items() if number not in existing]
        accounts = [
            Account(
                username=str(row["id_number"]), kind=Account.Kind.PERSON, password=password_hash
            )
            for row in new_rows
        ]
        Account.objects.bulk_create(accounts)
        moment = timezone.now()
        persons = [
            Person(account=account, level=1, created_at=moment, updated_at=moment, **row)
            for account, row in zip(accounts, new_rows, strict=True)
        ]
        Person.objects.bulk_create(persons)
        for person in persons:
            auditing.record(
                actor=created_by,
                action="identity.person.import",
                subject_type="identity.person",
                subject=str(person.id),
                summary={"level": 1},
            )
    return len(persons)
