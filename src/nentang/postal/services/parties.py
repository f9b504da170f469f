"""What a shipment is given, checked: parties (names, phones, addresses normalised to
a ward in force), parcel, money and order fields. ``validate`` collects every field
error with the address candidates; ``raise_problems`` turns them into one refusal.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import phonenumbers
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.kernel.text import clean
from nentang.postal.models import Merchant
from nentang.postal.models.shipments import Service
from nentang.postal.problems import ADDRESS_UNRESOLVED
from nentang.postal.services import tariff

MAX_NAME = 150
MAX_LINE = 200


@dataclass(frozen=True)
class Party:
    """A sender or recipient as given: an address in any written form, or a line with
    a ward code (a candidate chosen after an ambiguous answer), or both."""

    name: str
    phone: str
    address: str = ""
    ward_code: str = ""
    digital_code: str = ""  # e.g. 70000-7P28QPG2+Q96 (addresses.digitalcode)


@dataclass(frozen=True)
class ShipmentInput:
    recipient: Party
    service: str
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int
    sender: Party | None = None  # default: the merchant's pickup address
    declared_value: int = 0
    insured: bool = False
    cod_amount: int = 0
    client_order_code: str = ""
    note: str = ""


@dataclass
class Resolved:
    name: str
    phone: str
    line: str
    ward_code: str
    ward_name: str
    province_code: str
    province_name: str
    postal_code: str
    digital_code: str = ""


@dataclass
class Problems:
    errors: list[FieldError] = field(default_factory=list)
    candidates: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def _phone(value: str, field_name: str, problems: Problems) -> str:
    try:
        number = phonenumbers.parse(value or "", "VN")
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        problems.errors.append(
            FieldError(
                field_name, _("Give a Vietnamese phone number, e.g. 0912 345 678."), "invalid_phone"
            )
        )
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _text(
    value: str, field_name: str, limit: int, problems: Problems, *, required: bool = True
) -> str:
    text = clean(value or "")
    if any(ord(ch) < 32 for ch in text):
        problems.errors.append(
            FieldError(field_name, _("Must not contain control characters."), "invalid_characters")
        )
        return ""
    if required and not text:
        problems.errors.append(FieldError(field_name, _("This field is required."), "required"))
    elif len(text) > limit:
        problems.errors.append(
            FieldError(field_name, _("At most %(n)s characters.") % {"n": limit}, "too_long")
        )
    return text


def resolve_party(party: Party, prefix: str, problems: Problems) -> Resolved | None:
    """Normalise a party's address; record field errors and candidates in ``problems``."""
    name = _text(party.name, f"{prefix}.name", MAX_NAME, problems)
    phone = _phone(party.phone, f"{prefix}.phone", problems)
    address = _text(party.address, f"{prefix}.address", 500, problems, required=False)
    ward_code = (party.ward_code or "").strip()
    digital = ""
    if party.digital_code:
        try:
            digital = addresses.digital_code_decode(code=party.digital_code).code
        except addresses.InvalidDigitalCode:
            problems.errors.append(
                FieldError(
                    f"{prefix}.digital_code",
                    _("A digital address code is 5 digits, a hyphen and a plus code."),
                    "invalid_format",
                )
            )
    if not address and not ward_code:
        problems.errors.append(
            FieldError(
                f"{prefix}.address",
                _("Give the address (house, street, ward, province)."),
                "required",
            )
        )
        return None
    result = addresses.address_normalize(text=address) if address else None
    if ward_code:
        if not (len(ward_code) == 5 and ward_code.isascii() and ward_code.isdigit()):
            problems.errors.append(
                FieldError(
                    f"{prefix}.ward_code", _("A ward code is exactly 5 digits."), "invalid_format"
                )
            )
            return None
        candidates = {c.ward_code for c in result.candidates} if result else set()
        if (
            result is not None
            and result.status != addresses.UNRESOLVED
            and ward_code not in candidates
        ):
            problems.errors.append(
                FieldError(
                    f"{prefix}.ward_code",
                    _("This ward does not match the address: choose one of the candidates."),
                    "ward_mismatch",
                )
            )
            problems.candidates[prefix] = [c.as_dict() for c in result.candidates]
            return None
        ward = _ward(ward_code)
        if ward is None:
            problems.errors.append(
                FieldError(
                    f"{prefix}.ward_code", _("No ward in force has this code."), "unknown_ward"
                )
            )
            return None
        line = result.line if result is not None and result.line else address
        if not line:
            problems.errors.append(
                FieldError(f"{prefix}.address", _("Give the house and street."), "required")
            )
            return None
        return Resolved(name, phone, line[:MAX_LINE], *ward, digital_code=digital)
    assert result is not None
    if result.status == addresses.RESOLVED:
        if not result.line:
            problems.errors.append(
                FieldError(
                    f"{prefix}.address",
                    _("Add the house number and street, or village."),
                    "no_street",
                )
            )
            return None
        return Resolved(
            name,
            phone,
            result.line[:MAX_LINE],
            result.ward_code,
            result.ward_name,
            result.province_code,
            result.province_name,
            result.postal_code,
            digital_code=digital,
        )
    if result.status == addresses.AMBIGUOUS:
        problems.errors.append(
            FieldError(
                f"{prefix}.address",
                _("Several wards fit this address (%(n)s): give the ward_code of the right one.")
                % {"n": len(result.candidates)},
                "ambiguous_address",
            )
        )
        problems.candidates[prefix] = [c.as_dict() for c in result.candidates]
        return None
    reasons = {
        "no_ward": _("The ward of this address was not found: check its name."),
        "no_province": _("The province of this address was not found."),
    }
    problems.errors.append(
        FieldError(
            f"{prefix}.address",
            str(reasons.get(result.reason, _("This address could not be recognised."))),
            "unresolved_address",
        )
    )
    return None


def _ward(code: str) -> tuple[str, str, str, str, str] | None:
    """(code, name, province code, province name, postal code) of a ward in force."""
    from nentang.addresses.selectors import ward_postal_code

    try:
        ward = addresses.commune_get(code=code)
    except Exception:
        return None
    if ward.effective_to is not None:
        return None
    return (
        ward.code,
        ward.name,
        ward.province_id,
        ward.province.name,
        ward_postal_code(ward_code=ward.code),
    )


def validate(
    merchant: Merchant | None, data: ShipmentInput, prefix: str = ""
) -> tuple[Problems, Resolved | None, Resolved | None]:
    problems = Problems()
    if data.service not in Service.values:
        problems.errors.append(
            FieldError(
                f"{prefix}service", _("Choose express, standard or ecommerce."), "invalid_choice"
            )
        )
    parcel = tariff.Parcel(data.weight_g, data.length_cm, data.width_cm, data.height_cm)
    problems.errors += tariff.parcel_errors(parcel, prefix=prefix)
    problems.errors += tariff.money_errors(
        declared_value=data.declared_value,
        insured=data.insured,
        cod_amount=data.cod_amount,
        prefix=prefix,
    )
    order = data.client_order_code or ""
    if len(order) > 50 or any(ord(ch) < 32 for ch in order):
        problems.errors.append(
            FieldError(
                f"{prefix}client_order_code", _("At most 50 printable characters."), "invalid"
            )
        )
    _text(data.note, f"{prefix}note", 300, problems, required=False)
    recipient = resolve_party(data.recipient, f"{prefix}recipient", problems)
    sender: Resolved | None
    if data.sender is not None:
        sender = resolve_party(data.sender, f"{prefix}sender", problems)
    elif merchant is not None:
        sender = Resolved(
            merchant.name,
            merchant.phone,
            merchant.pickup_line,
            merchant.pickup_ward_code,
            "",
            merchant.pickup_province_code,
            "",
            "",
        )
    else:
        problems.errors.append(FieldError(f"{prefix}sender", _("Give the sender."), "required"))
        sender = None
    return problems, sender, recipient


def raise_problems(problems: Problems) -> None:
    if problems.candidates:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=problems.errors,
            extra={"candidates": problems.candidates},
            code=ADDRESS_UNRESOLVED,
        )
    raise ValidationFailed(_("Some fields are invalid."), errors=problems.errors)
