"""Creating and cancelling shipments.

A shipment is created with normalised addresses (``addresses.selectors``): an address
whose ward cannot be found, or that fits several wards (a pre-reform ward split in
2025, names that differ only by their marks), is refused with the candidates listed —
the caller chooses one by giving its ``ward_code``; nothing is guessed. The price comes
from the tariff table (``services.tariff``), the S10 identifier from ``services.s10``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, Forbidden, ValidationFailed
from nentang.kernel.text import clean
from nentang.postal.models import Merchant, Shipment
from nentang.postal.models.shipments import CodStatus, Service, Status
from nentang.postal.problems import (
    ADDRESS_UNRESOLVED,
    CLIENT_ORDER_CODE_TAKEN,
    MERCHANT_REQUIRED,
    SHIPMENT_NOT_CANCELLABLE,
)
from nentang.postal.services import cod, s10, tariff, tracking

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


def _validate(
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


def _raise(problems: Problems) -> None:
    if problems.candidates:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=problems.errors,
            extra={"candidates": problems.candidates},
            code=ADDRESS_UNRESOLVED,
        )
    raise ValidationFailed(_("Some fields are invalid."), errors=problems.errors)


def shipment_quote(*, merchant: Merchant | None, data: ShipmentInput) -> tariff.Quote:
    """The price and promised transit of a shipment, without creating it."""
    problems, sender, recipient = _validate(merchant, data)
    if problems.errors:
        _raise(problems)
    assert sender is not None
    assert recipient is not None
    return tariff.quote(
        service=data.service,
        from_province=sender.province_code,
        to_province=recipient.province_code,
        parcel=tariff.Parcel(data.weight_g, data.length_cm, data.width_cm, data.height_cm),
        declared_value=data.declared_value,
        insured=data.insured,
        cod_amount=data.cod_amount,
    )


def _require_merchant(merchant: Merchant | None) -> None:
    if merchant is not None and not merchant.is_active:
        raise Forbidden(_("This merchant account is suspended."), code=MERCHANT_REQUIRED)


def shipment_create(
    *,
    actor: Actor,
    merchant: Merchant | None,
    data: ShipmentInput,
    dossier_reference: str = "",
    now: datetime.datetime | None = None,
) -> Shipment:
    """Create a shipment with its S10 identifier, price and promised date.

    Refused with field errors (nothing written): unknown service, zero or negative
    weight, oversize, COD above the maximum, an address that is unresolved or fits
    several wards (the candidates are returned), a client order code already used by
    this merchant (409 ``client_order_code_taken``).
    """
    _require_merchant(merchant)
    problems, sender, recipient = _validate(merchant, data)
    if problems.errors:
        _raise(problems)
    assert sender is not None
    assert recipient is not None
    return _create(
        actor=actor,
        merchant=merchant,
        data=data,
        sender=sender,
        recipient=recipient,
        dossier_reference=dossier_reference,
        now=now,
    )


def _shipment(
    *,
    s10_number: str,
    cycle: int,
    merchant: Merchant | None,
    order: str,
    dossier_reference: str,
    data: ShipmentInput,
    sender: Resolved,
    recipient: Resolved,
    price: tariff.Quote,
    actor: Actor,
    created_at: datetime.datetime,
) -> Shipment:
    """The unsaved row of a validated, priced shipment (one place for ``_create`` and
    ``shipments_import``)."""
    return Shipment(
        s10=s10_number,
        s10_cycle=cycle,
        merchant=merchant,
        client_order_code=order,
        dossier_reference=dossier_reference,
        service=data.service,
        sender_name=sender.name,
        sender_phone=sender.phone,
        sender_line=sender.line,
        sender_ward_code=sender.ward_code,
        sender_province_code=sender.province_code,
        recipient_name=recipient.name,
        recipient_phone=recipient.phone,
        recipient_line=recipient.line,
        recipient_ward_code=recipient.ward_code,
        recipient_ward_name=recipient.ward_name,
        recipient_province_code=recipient.province_code,
        recipient_province_name=recipient.province_name,
        recipient_postal_code=recipient.postal_code,
        recipient_digital_code=recipient.digital_code,
        weight_g=data.weight_g,
        length_cm=data.length_cm,
        width_cm=data.width_cm,
        height_cm=data.height_cm,
        declared_value=data.declared_value,
        insured=data.insured,
        note=clean(data.note or ""),
        fee_shipping=price.shipping,
        fee_insurance=price.insurance,
        fee_cod=price.cod_fee,
        fee_total=price.total,
        zone=price.zone,
        cod_amount=data.cod_amount,
        created_at=created_at,
        created_by=f"{actor.type}:{actor.id}"[:120],
        promised_by=tariff.promised_date(timezone.localdate(created_at), price.transit_days),
    )


def _create(
    *,
    actor: Actor,
    merchant: Merchant | None,
    data: ShipmentInput,
    sender: Resolved,
    recipient: Resolved,
    dossier_reference: str,
    now: datetime.datetime | None,
) -> Shipment:
    now = now or timezone.now()
    price = tariff.quote(
        service=data.service,
        from_province=sender.province_code,
        to_province=recipient.province_code,
        parcel=tariff.Parcel(data.weight_g, data.length_cm, data.width_cm, data.height_cm),
        declared_value=data.declared_value,
        insured=data.insured,
        cod_amount=data.cod_amount,
    )
    order = (data.client_order_code or "").strip()
    indicator = s10.INDICATORS["result" if dossier_reference else data.service]
    try:
        with transaction.atomic():
            if merchant is not None and order:
                taken = Shipment.objects.filter(merchant=merchant, client_order_code=order).first()
                if taken is not None:
                    raise Conflict(
                        _("Client order code %(code)s is already used by shipment %(s10)s.")
                        % {"code": order, "s10": taken.s10},
                        code=CLIENT_ORDER_CODE_TAKEN,
                        extra={"shipment_id": str(taken.id), "s10": taken.s10},
                    )
            [(number, cycle)] = s10.s10_allocate(indicator=indicator)
            shipment = _shipment(
                s10_number=number,
                cycle=cycle,
                merchant=merchant,
                order=order,
                dossier_reference=dossier_reference,
                data=data,
                sender=sender,
                recipient=recipient,
                price=price,
                actor=actor,
                created_at=now,
            )
            cod.cod_ledger().hold(shipment=shipment)
            shipment.save(force_insert=True)
            auditing.record(
                actor=actor,
                action="postal.shipment.create",
                subject_type="postal.shipment",
                subject=shipment.s10,
                summary={
                    "merchant": merchant.code if merchant else None,
                    "service": shipment.service,
                    "zone": shipment.zone,
                    "fee_total": shipment.fee_total,
                    "cod_amount": shipment.cod_amount,
                    "dossier": bool(dossier_reference),
                },
            )
            tracking.shipment_emit_updated(shipment)
    except IntegrityError:
        # Two requests raced on the same client order code: the second one loses.
        raise Conflict(
            _("Client order code %(code)s is already used.") % {"code": order},
            code=CLIENT_ORDER_CODE_TAKEN,
        ) from None
    return shipment


@dataclass
class RowOutcome:
    row: int
    shipment: Shipment | None = None
    errors: list[FieldError] = field(default_factory=list)
    candidates: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def shipments_create_many(
    *, actor: Actor, merchant: Merchant, rows: list[tuple[int, ShipmentInput | list[FieldError]]]
) -> list[RowOutcome]:
    """Create each valid row, report each invalid one (bulk CSV): a row's errors never
    stop the others. Rows are (number, input) or (number, parse errors)."""
    _require_merchant(merchant)
    outcomes: list[RowOutcome] = []
    for number, data in rows:
        if isinstance(data, list):
            outcomes.append(RowOutcome(number, errors=data))
            continue
        problems, sender, recipient = _validate(merchant, data)
        if problems.errors:
            outcomes.append(
                RowOutcome(number, errors=problems.errors, candidates=problems.candidates)
            )
            continue
        assert sender is not None
        assert recipient is not None
        try:
            shipment = _create(
                actor=actor,
                merchant=merchant,
                data=data,
                sender=sender,
                recipient=recipient,
                dossier_reference="",
                now=None,
            )
        except Conflict as conflict:
            outcomes.append(
                RowOutcome(
                    number,
                    errors=[FieldError("client_order_code", str(conflict.detail), conflict.code)],
                )
            )
            continue
        outcomes.append(RowOutcome(number, shipment=shipment))
    return outcomes


def shipment_cancel(*, actor: Actor, merchant: Merchant, shipment_id: Any) -> Shipment:
    """Cancel a shipment not yet handed to the post (status ``pre_transit``); its COD
    hold is voided. Cancelling a cancelled shipment changes nothing (idempotent)."""
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update().filter(id=shipment_id, merchant=merchant).first()
        )
        if shipment is None:
            from nentang.postal.selectors import shipment_not_found

            raise shipment_not_found()
        if shipment.status == Status.CANCELLED:
            return shipment
        if shipment.status != Status.PRE_TRANSIT:
            raise Conflict(
                _("Shipment %(s10)s was handed to the post: it can no longer be cancelled.")
                % {"s10": shipment.s10},
                code=SHIPMENT_NOT_CANCELLABLE,
            )
        now = timezone.now()
        if shipment.cod_status == CodStatus.PENDING:
            cod.cod_ledger().voided(shipment=shipment, at=now)
        tracking.events_apply(
            actor=actor,
            shipments=[shipment],
            new_events=[tracking.NewEvent(shipment.id, "CAN", now)],
            cod=cod.cod_ledger(),
        )
    return shipment


def shipment_create_for_result(
    *,
    actor: Actor,
    dossier_reference: str,
    recipient: Party,
    sender: Party,
    weight_g: int = 200,
) -> Shipment:
    """A registered item carrying the paper result of a public-service dossier to the
    applicant (Decision 45/2016/QĐ-TTg). Its delivery emits ``postal.shipment.delivered``
    with ``dossier_reference``, so that public services can complete the dossier.
    Idempotent per dossier: a second call returns the first shipment."""
    reference = clean(dossier_reference or "")
    if not reference or len(reference) > 40:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError("dossier_reference", _("Give the dossier's receipt code."), "required")
            ],
        )
    existing = Shipment.objects.filter(dossier_reference=reference, merchant__isnull=True).first()
    if existing is not None:
        return existing
    data = ShipmentInput(
        recipient=recipient,
        sender=sender,
        service=Service.STANDARD,
        weight_g=weight_g,
        length_cm=32,
        width_cm=23,
        height_cm=2,
        client_order_code="",
    )
    return shipment_create(actor=actor, merchant=None, data=data, dossier_reference=reference)


@dataclass(frozen=True)
class ImportRecord:
    """A shipment made elsewhere (a carrier migration, the demo): its data and when it
    was created."""

    data: ShipmentInput
    created_at: datetime.datetime


def shipments_import(
    *, actor: Actor, merchant: Merchant, records: list[ImportRecord]
) -> list[Shipment]:
    """Create many shipments at once with the same rules as ``shipment_create``, for a
    backfill: S10 numbers drawn as one block, one multi-row insert and one audit entry.
    Any invalid record refuses the whole import (nothing written) with its index; a
    backfill sends no webhooks (the merchant already knows these parcels)."""
    _require_merchant(merchant)
    prepared: list[tuple[ImportRecord, Resolved, Resolved, tariff.Quote]] = []
    for number, record in enumerate(records):
        problems, sender, recipient = _validate(merchant, record.data, prefix=f"{number}.")
        if problems.errors:
            _raise(problems)
        assert sender is not None
        assert recipient is not None
        data = record.data
        price = tariff.quote(
            service=data.service,
            from_province=sender.province_code,
            to_province=recipient.province_code,
            parcel=tariff.Parcel(data.weight_g, data.length_cm, data.width_cm, data.height_cm),
            declared_value=data.declared_value,
            insured=data.insured,
            cod_amount=data.cod_amount,
        )
        prepared.append((record, sender, recipient, price))
    by_indicator: dict[str, list[int]] = {}
    for number, (record, *_rest) in enumerate(prepared):
        by_indicator.setdefault(s10.INDICATORS[record.data.service], []).append(number)
    shipments: list[Shipment | None] = [None] * len(prepared)
    with transaction.atomic():
        for indicator, numbers in by_indicator.items():
            drawn = s10.s10_allocate(indicator=indicator, count=len(numbers))
            for number, (identifier, cycle) in zip(numbers, drawn, strict=True):
                record, sender, recipient, price = prepared[number]
                data = record.data
                shipment = _shipment(
                    s10_number=identifier,
                    cycle=cycle,
                    merchant=merchant,
                    order=(data.client_order_code or "").strip(),
                    dossier_reference="",
                    data=data,
                    sender=sender,
                    recipient=recipient,
                    price=price,
                    actor=actor,
                    created_at=record.created_at,
                )
                cod.cod_ledger().hold(shipment=shipment)
                shipments[number] = shipment
        created = [s for s in shipments if s is not None]
        Shipment.objects.bulk_create(created, batch_size=500)
        auditing.record(
            actor=actor,
            action="postal.shipment.import",
            subject_type="postal.merchant",
            subject=str(merchant.id),
            summary={"merchant": merchant.code, "shipments": len(created)},
        )
    return created
