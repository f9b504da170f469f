"""Checks of the fields people type when they register: each adds clear field errors to
an :class:`~nentang.identity.services.common.Errors` and returns the normalised value.

Nothing here writes: a service runs every check first, so a form with three mistakes
gets three errors and the database is not touched.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

import phonenumbers
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.identity.models import Account
from nentang.identity.services.common import Errors
from nentang.identity.validators import (
    IdentifierError,
    check_personal_id_matches,
    parse_personal_id,
)
from nentang.kernel.errors import NotFound, ValidationFailed
from nentang.kernel.text import clean

MAX_PORTRAIT_BYTES = 2 * 1024 * 1024
# Magic bytes of the accepted portrait formats (the extension and the declared type are
# not trusted: only the content says what a file is).
_PORTRAIT_TYPES = (
    (b"\xff\xd8\xff", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
)
_RESIDENCE_CARD = re.compile(r"[A-Z0-9]{6,20}")
_NATIONALITY = re.compile(r"[A-Z]{2}")
_FOREIGNER_ID = re.compile(r"[0-9]{12}")
_NAME_MARKS = {" ", "'", "’", "-", "."}


def age_on(date_of_birth: datetime.date, today: datetime.date) -> int:
    """Full years of age on ``today`` (a person born on 29 February turns a year older
    on 1 March in common years)."""
    years = today.year - date_of_birth.year
    if (today.month, today.day) < (date_of_birth.month, date_of_birth.day):
        years -= 1
    return years


def full_name(errors: Errors, value: str, *, field: str = "full_name") -> str:
    """NFC, single spaces; letters with their marks, spaces, apostrophes and hyphens."""
    name = clean(value or "")
    if not name:
        errors.add(field, _("Enter the full name as written on the identity card."), "required")
    elif len(name) > 150:
        errors.add(field, _("A full name is at most 150 characters."), "too_long")
    elif any(
        not (ch.isalpha() or ch in _NAME_MARKS or unicodedata.category(ch) == "Mn") for ch in name
    ):
        errors.add(field, _("A name holds letters, spaces and hyphens only."), "invalid_characters")
    return name


def personal_id(
    errors: Errors,
    *,
    id_number: str,
    date_of_birth: datetime.date | None,
    sex: str,
    nationality: str,
    today: datetime.date,
) -> str:
    """A Vietnamese citizen's number is checked by its structure and must agree with the
    declared date of birth and sex (Circular 07/2016/TT-BCA). The identification number
    of a foreigner has no published structure (verify): 12 digits are required."""
    text = (id_number or "").strip()
    if nationality != "VN":
        if not _FOREIGNER_ID.fullmatch(text):
            errors.add(
                "id_number", _("An identification number is exactly 12 digits."), "invalid_length"
            )
        return text
    try:
        parsed = parse_personal_id(text, today=today)
    except IdentifierError as error:
        errors.add("id_number", _id_error_message(error, text), error.code)
        return text
    if date_of_birth is not None and sex:
        for field, _code, _message in check_personal_id_matches(
            parsed, date_of_birth=date_of_birth, sex=sex
        ):
            if field == "date_of_birth":
                message = _(
                    "The ID number says born in %(number_year)s, but the date of birth is in "
                    "%(year)s."
                ) % {"number_year": parsed.birth_year, "year": date_of_birth.year}
            else:
                message = (
                    _("The ID number is that of a man.")
                    if parsed.sex == "male"
                    else _("The ID number is that of a woman.")
                )
            errors.add(field, message, "id_number_mismatch")
    return parsed.value


def _id_error_message(error: IdentifierError, text: str) -> str:
    if error.code == "unknown_place_code":
        return _("%(code)s is not a known code of a place of birth registration.") % {
            "code": text[:3]
        }
    if error.code == "birth_year_in_future":
        return _("The century digit and the year of this ID number give a year to come.")
    return _("A personal ID number is exactly 12 digits.")


def date_of_birth_check(
    errors: Errors, value: datetime.date | None, *, today: datetime.date
) -> datetime.date | None:
    if value is None:
        errors.add("date_of_birth", _("Enter the date of birth."), "required")
        return None
    if value > today:
        errors.add("date_of_birth", _("The date of birth cannot be in the future."), "in_future")
        return None
    if value.year < 1900:
        errors.add("date_of_birth", _("The date of birth is before 1900."), "too_early")
        return None
    return value


def sex_check(errors: Errors, value: str) -> str:
    if value not in ("male", "female"):
        errors.add("sex", _("Choose male or female, as on the identity card."), "invalid_choice")
        return ""
    return value


def nationality_check(errors: Errors, value: str) -> str:
    code = (value or "VN").strip().upper()
    if not _NATIONALITY.fullmatch(code):
        errors.add(
            "nationality",
            _("A nationality is a two-letter country code (ISO 3166-1), e.g. VN."),
            "invalid_format",
        )
    return code


def residence_card(errors: Errors, value: str, *, nationality: str) -> str:
    """Foreigners register with their residence card (thẻ thường trú / tạm trú)."""
    text = "".join((value or "").split()).upper()
    if nationality == "VN":
        return ""
    if not text:
        errors.add(
            "residence_card_number",
            _("Foreigners register with the number of their residence card."),
            "required",
        )
    elif not _RESIDENCE_CARD.fullmatch(text):
        errors.add(
            "residence_card_number",
            _("A residence card number is 6 to 20 letters and digits."),
            "invalid_format",
        )
    return text


def mobile_phone(errors: Errors, value: str, *, field: str = "phone") -> str:
    """A Vietnamese mobile number in any usual writing (0912 345 678, +84 912345678 …),
    returned in E.164: ``+84912345678``."""
    text = (value or "").strip()
    if not text:
        errors.add(field, _("Enter a mobile phone number."), "required")
        return ""
    try:
        number = phonenumbers.parse(text, "VN")
    except phonenumbers.NumberParseException:
        number = None
    if (
        number is None
        or number.country_code != 84
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number)
        not in (
            phonenumbers.PhoneNumberType.MOBILE,
            phonenumbers.PhoneNumberType.FIXED_LINE_OR_MOBILE,
        )
    ):
        errors.add(
            field,
            _("Enter a Vietnamese mobile number, e.g. 0912 345 678."),
            "invalid_phone",
        )
        return text
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def email_address(errors: Errors, value: str) -> str:
    text = (value or "").strip()
    if not text:
        return ""
    local, _at, domain = text.rpartition("@")
    normalised = f"{local}@{domain.lower()}" if local else text
    try:
        validate_email(normalised)
    except ValidationError:
        errors.add("email", _("Enter a valid e-mail address."), "invalid_email")
        return text
    if len(normalised) > 254:
        errors.add("email", _("An e-mail address is at most 254 characters."), "too_long")
    return normalised


def portrait_type(errors: Errors, content: bytes | None, *, required: bool) -> str:
    """The file extension of a portrait (``jpg``/``png``), judged by its magic bytes; at
    most 2 MB. Returns "" when there is none or it was refused."""
    if not content:
        if required:
            errors.add("portrait", _("Add a portrait photo (JPEG or PNG)."), "required")
        return ""
    if len(content) > MAX_PORTRAIT_BYTES:
        errors.add("portrait", _("The portrait photo is larger than 2 MB."), "too_large")
        return ""
    for magic, extension in _PORTRAIT_TYPES:
        if content.startswith(magic):
            return extension
    errors.add("portrait", _("The portrait photo must be a JPEG or PNG image."), "invalid_type")
    return ""


def administrative_place(
    errors: Errors,
    *,
    province_code: str,
    commune_code: str,
    today: datetime.date,
    commune_required: bool = True,
    prefix: str = "",
) -> tuple[str, str]:
    """Province and commune codes in force in the administrative-unit reference, the
    commune inside the province (a province alone when ``commune_required`` is false
    and no commune is given)."""
    province_field, commune_field = f"{prefix}province_code", f"{prefix}commune_code"
    province = (province_code or "").strip()
    commune = (commune_code or "").strip()
    try:
        found = addresses.province_get(code=province)
    except (NotFound, ValidationFailed):
        errors.add(
            province_field, _("Choose a province or city from the list."), "unknown_province"
        )
        found = None
    if found is not None and found.effective_to is not None and found.effective_to <= today:
        errors.add(province_field, _("This province no longer exists."), "unknown_province")
    if not commune and not commune_required:
        return province, ""
    try:
        ward = addresses.commune_get(code=commune)
    except (NotFound, ValidationFailed):
        errors.add(commune_field, _("Choose a ward or commune from the list."), "unknown_commune")
        ward = None
    if ward is not None:
        if ward.effective_to is not None and ward.effective_to <= today:
            errors.add(
                commune_field, _("This ward or commune no longer exists."), "unknown_commune"
            )
        elif found is not None and ward.province_id != found.code:
            errors.add(
                commune_field,
                _("This ward or commune is not in the chosen province."),
                "commune_not_in_province",
            )
    return province, commune


def residence_address(
    errors: Errors,
    *,
    province_code: str,
    commune_code: str,
    street: str,
    today: datetime.date,
    prefix: str = "",
) -> tuple[str, str, str]:
    """A place of the administrative-unit reference and a street line."""
    province, commune = administrative_place(
        errors, province_code=province_code, commune_code=commune_code, today=today, prefix=prefix
    )
    line = clean(street or "")
    if not line:
        errors.add(f"{prefix}street", _("Enter the house number and street."), "required")
    elif len(line) > 200:
        errors.add(f"{prefix}street", _("The street line is at most 200 characters."), "too_long")
    return province, commune, line


def password_check(errors: Errors, password: str, *, username: str) -> None:
    """Django's validators of settings.AUTH_PASSWORD_VALIDATORS: at least 12 characters,
    not a common password, not like the login (OWASP ASVS 5.0 V6.2, level 2)."""
    if not password:
        errors.add("password", _("Choose a password."), "required")
        return
    try:
        validate_password(password, user=Account(username=username))
    except ValidationError as error:
        for item in error.error_list:
            errors.add("password", " ".join(item.messages), item.code or "weak_password")
