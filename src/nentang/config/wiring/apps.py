"""Wiring between contexts that may not import each other's insides: the configuration
may import anything, so it installs the adapters when Django starts.

* postal's cash-on-delivery port (``postal.services.cod_ledger_install``) gets the
  payments adapter (``payments.services.PaymentsCodLedger``): COD money moves in the
  ledger.
* public services' fee port (``publicservices.services.fee_collector_install``) gets a
  payments adapter: the applicant pays a dossier's fee from their wallet to the
  receiving agency's fee account, and the dossier moves on in the same transaction.
* results by post (Decision 45/2016/QĐ-TTg): when a dossier's result is issued for
  postal delivery (``publicservices.dossier.result_issued`` with ``by_post``), a
  registered item to the applicant is created in the same transaction; when the post
  delivers it (``postal.shipment.delivered``), the dossier is completed.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from django.apps import AppConfig

logger = logging.getLogger("nentang.wiring")


class PaymentsFeeCollector:
    """Public-service fees through the payments ledger (``fee_payment_create``)."""

    def collect(
        self,
        *,
        payer_person_id: uuid.UUID,
        agency_code: str,
        amount: int,
        reference: str,
        idempotency_key: str,
    ) -> str:
        from nentang.kernel.auditing import Actor
        from nentang.payments.services import fee_payment_create

        payment = fee_payment_create(
            actor=Actor.person(str(payer_person_id)),
            payer_person_id=payer_person_id,
            agency_id_or_code=agency_code,
            amount=amount,
            reference=reference,
            idempotency_key=idempotency_key,
        )
        return str(payment.transfer_id)


def ship_result(payload: Mapping[str, Any]) -> None:
    """``publicservices.dossier.result_issued``: a paper result by post gets its item."""
    if not payload.get("by_post"):
        return
    from nentang.kernel.auditing import Actor
    from nentang.postal.services import Party, shipment_create_for_result
    from nentang.publicservices.selectors import dossier_result_delivery

    facts = dossier_result_delivery(dossier_id=payload["dossier"])
    sender_phone = _installation_phone() or facts.recipient_phone
    shipment_create_for_result(
        actor=Actor.system("publicservices"),
        dossier_reference=facts.reference,
        recipient=Party(
            name=facts.recipient_name,
            phone=facts.recipient_phone,
            address=facts.recipient_street,
            ward_code=facts.recipient_ward_code,
        ),
        sender=Party(
            name=facts.sender_name,
            phone=sender_phone,
            address=facts.sender_name,
            ward_code=facts.sender_ward_code,
        ),
    )


def _installation_phone() -> str:
    """The installation's hotline (Administration → Installation) when it is a number the
    post can call; the agencies of the register have no phone of their own yet."""
    import phonenumbers

    from nentang.web.selectors import installation

    hotline = installation().hotline
    try:
        number = phonenumbers.parse(hotline or "", "VN")
    except phonenumbers.NumberParseException:
        return ""
    return hotline if phonenumbers.is_valid_number(number) else ""


def complete_delivered_dossier(payload: Mapping[str, Any]) -> None:
    """``postal.shipment.delivered`` of a result: the dossier is completed. A dossier
    that cannot take it (withdrawn meanwhile, an unknown reference) does not undo the
    delivery: it is logged for the one-stop shop."""
    import datetime

    from nentang.kernel.auditing import Actor
    from nentang.kernel.errors import ProblemError
    from nentang.publicservices.services import dossier_result_delivered

    reference = str(payload.get("dossier_reference") or "")
    if not reference:
        return
    delivered = payload.get("delivered_at")
    at = (
        datetime.datetime.fromisoformat(delivered)
        if isinstance(delivered, str) and delivered
        else datetime.datetime.now(datetime.UTC)
    )
    try:
        dossier_result_delivered(actor=Actor.system("postal"), dossier_reference=reference, at=at)
    except ProblemError as problem:
        logger.warning(
            "a delivered result did not complete dossier %s: %s", reference, problem.code
        )


class WiringConfig(AppConfig):
    name = "nentang.config.wiring"
    label = "wiring"
    verbose_name = "Wiring between contexts"

    def ready(self) -> None:
        from nentang.kernel import events
        from nentang.payments.services import PaymentsCodLedger
        from nentang.postal.services import cod_ledger_install
        from nentang.publicservices.services import fee_collector_install

        cod_ledger_install(PaymentsCodLedger())
        fee_collector_install(PaymentsFeeCollector())
        events.subscribe("publicservices.dossier.result_issued", ship_result)
        events.subscribe("postal.shipment.delivered", complete_delivered_dossier)
