"""The doors other contexts use: payments says a fee was paid, post says a paper result
was delivered. Both find the dossier by its receipt code, act as the calling system,
and are idempotent (a second identical call returns the dossier unchanged), because
they are driven by events that may arrive twice."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, ValidationFailed
from nentang.kernel.text import clean
from nentang.publicservices.models import Dossier
from nentang.publicservices.problems import FEE_MISMATCH
from nentang.publicservices.services.common import Acting, not_found, record, refused


def _by_reference(reference: str) -> Dossier:
    code = clean(reference or "")
    dossier = (
        Dossier.objects.select_for_update().filter(receipt_code=code).first() if code else None
    )
    if dossier is None:
        raise not_found()
    return dossier


def dossier_fee_paid(
    *, actor: Actor, dossier_reference: str, payment_reference: str, amount: int
) -> Dossier:
    """The fee of a dossier waiting for it was paid (called by the payments context):
    the amount must be the fee asked for; the dossier moves on to processing."""
    payment = clean(payment_reference or "")
    if not payment or len(payment) > 64:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError("payment_reference", _("Give the payment's reference."), "required")
            ],
        )
    with transaction.atomic():
        dossier = _by_reference(dossier_reference)
        if dossier.payment_reference == payment:
            return dossier
        if dossier.state != "fee_due":
            raise refused("fee_paid", dossier.state)
        if amount != dossier.fee_amount:
            raise Conflict(
                _("%(paid)s ₫ were paid; the fee is %(fee)s ₫.")
                % {"paid": amount, "fee": dossier.fee_amount},
                code=FEE_MISMATCH,
            )

        def paid(row: Dossier, state: str) -> None:
            row.fee_paid_at = timezone.now()
            row.payment_reference = payment

        record(
            dossier,
            acting=Acting("system", actor),
            action="fee_paid",
            payload={"payment": payment, "amount": amount},
            change=paid,
        )
    return dossier


def dossier_result_delivered(
    *, actor: Actor, dossier_reference: str, at: datetime.datetime
) -> Dossier:
    """The post delivered the paper result (called on ``postal.shipment.delivered``):
    the dossier is completed, its SLA outcome fixed."""
    with transaction.atomic():
        dossier = _by_reference(dossier_reference)
        if dossier.state == "completed" and dossier.result_delivery == Dossier.Delivery.POST:
            return dossier
        if dossier.result_delivery != Dossier.Delivery.POST:
            raise refused("deliver", dossier.state)
        record(
            dossier,
            acting=Acting("system", actor),
            action="deliver",
            payload={"delivered_at": at.isoformat()},
        )
    return dossier
