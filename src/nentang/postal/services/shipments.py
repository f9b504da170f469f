"""Creating and cancelling shipments.

A shipment is created with normalised addresses (``addresses.selectors``): an address
whose ward cannot be found, or that fits several wards (a pre-reform ward split in
2025, names that differ only by their marks), is refused with the candidates listed —
the caller chooses one by giving its ``ward_code``; nothing is guessed. The price comes
from the tariff table (``services.tariff``), the S10 identifier from ``services.s10``;
the fields are checked by ``services.parties``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, Forbidden, ValidationFailed
from nentang.kernel.text import clean
from nentang.postal.models import Merchant, Shipment
from nentang.postal.models.shipments import CodStatus, Service, Status
from nentang.postal.problems import (
    CLIENT_ORDER_CODE_TAKEN,
    MERCHANT_REQUIRED,
    SHIPMENT_NOT_CANCELLABLE,
)
from nentang.postal.services import cod, s10, tariff, tracking
from nentang.postal.services.parties import (
    Party,
    Resolved,
    ShipmentInput,
    raise_problems,
    validate,
)

__all__ = [
    "ImportRecord",
    "Party",
    "RowOutcome",
    "ShipmentInput",
    "shipment_cancel",
    "shipment_create",
    "shipment_create_for_result",
    "shipment_quote",
    "shipments_create_many",
    "shipments_import",
]


def shipment_quote(*, merchant: Merchant | None, data: ShipmentInput) -> tariff.Quote:
    """The price and promised transit of a shipment, without creating it."""
    problems, sender, recipient = validate(merchant, data)
    if problems.errors:
        raise_problems(problems)
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
    problems, sender, recipient = validate(merchant, data)
    if problems.errors:
        raise_problems(problems)
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
        problems, sender, recipient = validate(merchant, data)
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


def _refuse_taken_order_codes(merchant: Merchant, codes: list[str | None]) -> None:
    """An import's client order codes are unique within it and not yet used by the
    merchant, as ``shipment_create`` requires one by one (409 ``client_order_code_taken``,
    naming the record) — rather than the database's unique index failing the insert."""
    first: dict[str, int] = {}
    for number, code in enumerate(codes):
        order = (code or "").strip()
        if not order:
            continue
        if order in first:
            raise Conflict(
                _("Client order code %(code)s is given twice (records %(a)s and %(b)s).")
                % {"code": order, "a": first[order], "b": number},
                code=CLIENT_ORDER_CODE_TAKEN,
                extra={"records": [first[order], number]},
            )
        first[order] = number
    taken = (
        Shipment.objects.filter(merchant=merchant, client_order_code__in=list(first))
        .values_list("client_order_code", "s10")
        .first()
    )
    if taken is not None:
        code, s10_number = taken
        raise Conflict(
            _("Client order code %(code)s is already used by shipment %(s10)s.")
            % {"code": code, "s10": s10_number},
            code=CLIENT_ORDER_CODE_TAKEN,
            extra={"record": first[code], "s10": s10_number},
        )


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
        problems, sender, recipient = validate(merchant, record.data, prefix=f"{number}.")
        if problems.errors:
            raise_problems(problems)
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
    _refuse_taken_order_codes(merchant, [r.data.client_order_code for r in records])
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
                shipments[number] = shipment
        created = [s for s in shipments if s is not None]
        cod.cod_ledger().hold_many(shipments=created)
        Shipment.objects.bulk_create(created, batch_size=500)
        auditing.record(
            actor=actor,
            action="postal.shipment.import",
            subject_type="postal.merchant",
            subject=str(merchant.id),
            summary={"merchant": merchant.code, "shipments": len(created)},
        )
    return created
