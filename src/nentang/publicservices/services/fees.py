"""Paying a dossier's fee online. Public services do not move money: a fee collector
(the payments context's, installed by ``nentang.config.wiring``) takes the fee from the
applicant's wallet to the receiving agency's fee account, and the dossier moves on in
the same transaction (``dossier_fee_paid``). Without a collector installed the page
says the fee is paid at the counter."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from django.db import transaction
from django.utils.translation import gettext as _

from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict
from nentang.publicservices.models import Dossier
from nentang.publicservices.problems import FEE_PAYMENT_UNAVAILABLE
from nentang.publicservices.services.common import (
    as_applicant,
    gate,
    lock,
    refuse_unseen,
    refused,
)
from nentang.publicservices.services.seams import dossier_fee_paid


class FeeCollector(Protocol):
    """What public services ask of payments: take ``amount`` đồng from the payer to the
    agency, idempotently per key; return the payment's reference."""

    def collect(
        self,
        *,
        payer_person_id: uuid.UUID,
        agency_code: str,
        amount: int,
        reference: str,
        idempotency_key: str,
    ) -> str: ...


_collector: FeeCollector | None = None


def fee_collector_install(collector: FeeCollector | None) -> None:
    """Put the payments adapter in place (from the wiring, at start-up)."""
    global _collector
    _collector = collector


def fee_online_payment_available() -> bool:
    return _collector is not None


def dossier_fee_pay(*, actor: Any, dossier_id: Any) -> Dossier:
    """The applicant pays the fee of their dossier waiting for it, from their wallet.
    Idempotent per dossier: paying twice takes the money once."""
    gate(actor, dossier_id, what="publicservices.dossier.fee_pay", applicant=True)
    if _collector is None:
        raise Conflict(
            _("Online payment is not available here: pay the fee at the one-stop shop."),
            code=FEE_PAYMENT_UNAVAILABLE,
        )
    with transaction.atomic():
        dossier = lock(dossier_id)
        if dossier is None:
            raise refuse_unseen(actor, what="publicservices.dossier.fee_pay", dossier_id=dossier_id)
        as_applicant(actor, dossier, what="publicservices.dossier.fee_pay", dossier_id=dossier_id)
        if dossier.state != "fee_due" or dossier.agency_id is None or not dossier.receipt_code:
            raise refused("fee_paid", dossier.state)
        payment = _collector.collect(
            payer_person_id=dossier.applicant_id,
            agency_code=str(dossier.agency_id),
            amount=dossier.fee_amount,
            reference=dossier.receipt_code,
            idempotency_key=f"dossier-fee:{dossier.pk}",
        )
        return dossier_fee_paid(
            actor=Actor.system("payments"),
            dossier_reference=dossier.receipt_code,
            payment_reference=payment,
            amount=dossier.fee_amount,
        )
