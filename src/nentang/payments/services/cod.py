"""Cash on delivery in the ledger, and the adapter of postal's ``CodLedger`` port.

The money of one COD parcel: a **pending** transfer from ``system:cod-clearing`` (cash
still at the recipient's door) to the merchant's COD payable account
``cod-payable:<merchant>`` when the shipment is created; **posted** when the postman
collects the cash; **voided** when the parcel goes back. A remittance then moves the
collected sum from the payable account to the merchant's account. Every transfer id is
derived from the shipment's (or remittance's) id, so postal's retries are harmless.
"""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from nentang.kernel.auditing import Actor
from nentang.kernel.errors import NotFound
from nentang.payments.models import Account, AccountKind, Transfer, TransferKind
from nentang.payments.problems import (
    COD_HOLD_NOT_FOUND,
)
from nentang.payments.services.ledger import (
    MAX_BATCH,
    TransferInput,
    account_open,
    problem_for,
    system_account,
    transfer_id,
    transfers_create,
)
from nentang.postal.services import LocalCodLedger

POSTAL = Actor.system("postal-cod")


def cod_payable_account(*, merchant_code: str, merchant_name: str = "") -> Account:
    return account_open(
        actor=POSTAL,
        code=f"cod-payable:{merchant_code}",
        kind=AccountKind.MERCHANT,
        name=f"COD chờ trả {merchant_name or merchant_code}",
        owner=f"postal-merchant:{merchant_code}",
    )


def merchant_account_for(*, merchant_code: str, merchant_name: str = "") -> Account:
    return account_open(
        actor=POSTAL,
        code=f"merchant:{merchant_code}",
        kind=AccountKind.MERCHANT,
        name=merchant_name or merchant_code,
        owner=f"postal-merchant:{merchant_code}",
    )


def _one(actor: Actor, item: TransferInput) -> Transfer:
    [result] = transfers_create(actor=actor, transfers=[item])
    if not result.ok:
        raise problem_for(result.status)
    assert result.transfer is not None
    return result.transfer


def cod_hold_create(
    *,
    actor: Actor,
    shipment_id: uuid.UUID | str,
    merchant_code: str,
    amount: int,
    merchant_name: str = "",
) -> Transfer:
    """Hold ``amount`` of cash to collect for the merchant (a pending transfer)."""
    payable = cod_payable_account(merchant_code=merchant_code, merchant_name=merchant_name)
    clearing = system_account("system:cod-clearing")
    return _one(
        actor,
        TransferInput(
            id=transfer_id("cod-hold", shipment_id),
            debit_account_id=clearing.id,
            credit_account_id=payable.id,
            amount=amount,
            kind=TransferKind.PENDING,
            code="cod",
            reference=str(shipment_id),
        ),
    )


@dataclass(frozen=True)
class CodHold:
    """One parcel's cash to hold (see :func:`cod_holds_create`)."""

    shipment_id: uuid.UUID | str
    merchant_code: str
    amount: int
    merchant_name: str = ""


def cod_holds_create(*, actor: Actor, holds: Sequence[CodHold]) -> list[Transfer]:
    """:func:`cod_hold_create` for many parcels (a bulk import) in one ledger batch per
    :data:`MAX_BATCH` holds: the payable accounts opened once per merchant, the pending
    transfers written with the ledger's set-based SQL. Same ids, checks and errors as
    holding them one by one: the first refused hold, in order, is raised (its own
    problem) and nothing of the call is written; holds that exist with the same
    parameters come back as they are."""
    if not holds:
        return []
    clearing = system_account("system:cod-clearing")
    payable: dict[str, Account] = {}
    items = []
    for hold in holds:
        if hold.merchant_code not in payable:
            payable[hold.merchant_code] = cod_payable_account(
                merchant_code=hold.merchant_code, merchant_name=hold.merchant_name
            )
        items.append(
            TransferInput(
                id=transfer_id("cod-hold", hold.shipment_id),
                debit_account_id=clearing.id,
                credit_account_id=payable[hold.merchant_code].id,
                amount=hold.amount,
                kind=TransferKind.PENDING,
                code="cod",
                reference=str(hold.shipment_id),
            )
        )
    done: list[Transfer] = []
    with transaction.atomic():
        for start in range(0, len(items), MAX_BATCH):
            for result in transfers_create(actor=actor, transfers=items[start : start + MAX_BATCH]):
                if not result.ok:
                    raise problem_for(result.status)
                assert result.transfer is not None
                done.append(result.transfer)
    return done


def _hold(shipment_id: uuid.UUID | str) -> uuid.UUID:
    hold = transfer_id("cod-hold", shipment_id)
    if not Transfer.objects.filter(id=hold).exists():
        raise NotFound(_("No cash-on-delivery hold for this shipment."), code=COD_HOLD_NOT_FOUND)
    return hold


def _resolve(actor: Actor, shipment_id: uuid.UUID | str, step: str, kind: str) -> Transfer:
    hold = _hold(shipment_id)
    return _one(
        actor,
        TransferInput(
            id=transfer_id(f"cod-{step}", shipment_id),
            kind=kind,
            pending_id=hold,
            code="cod",
            reference=str(shipment_id),
        ),
    )


def cod_post(*, actor: Actor, shipment_id: uuid.UUID | str) -> Transfer:
    """The cash was collected: post the hold in full."""
    return _resolve(actor, shipment_id, "post", TransferKind.POST)


def cod_void(*, actor: Actor, shipment_id: uuid.UUID | str) -> Transfer:
    """The parcel goes back to its sender: release the hold."""
    return _resolve(actor, shipment_id, "void", TransferKind.VOID)


def cod_remit(
    *,
    actor: Actor,
    remittance_id: uuid.UUID | str,
    merchant_code: str,
    amount: int,
    merchant_name: str = "",
) -> Transfer:
    """Pay collected cash out to the merchant's account."""
    payable = cod_payable_account(merchant_code=merchant_code, merchant_name=merchant_name)
    merchant = merchant_account_for(merchant_code=merchant_code, merchant_name=merchant_name)
    return _one(
        actor,
        TransferInput(
            id=transfer_id("cod-remit", remittance_id),
            debit_account_id=payable.id,
            credit_account_id=merchant.id,
            amount=amount,
            code="cod_remit",
            reference=str(remittance_id),
        ),
    )


class PaymentsCodLedger(LocalCodLedger):
    """Postal's ``CodLedger`` port, moving the money in the ledger (installed at start-up
    by ``nentang.config``). Runs inside postal's transaction: a refused transfer raises
    and postal's change rolls back with it."""

    def hold(self, *, shipment: Any) -> None:
        super().hold(shipment=shipment)
        if shipment.cod_amount > 0 and shipment.merchant_id is not None:
            cod_hold_create(
                actor=POSTAL,
                shipment_id=shipment.id,
                merchant_code=shipment.merchant.code,
                merchant_name=shipment.merchant.name,
                amount=shipment.cod_amount,
            )

    def hold_many(self, *, shipments: list[Any]) -> None:
        """The holds of a bulk import in one ledger batch (:func:`cod_holds_create`)
        instead of one transfer call per parcel."""
        for shipment in shipments:
            LocalCodLedger.hold(self, shipment=shipment)
        cod_holds_create(
            actor=POSTAL,
            holds=[
                CodHold(
                    shipment_id=shipment.id,
                    merchant_code=shipment.merchant.code,
                    amount=shipment.cod_amount,
                    merchant_name=shipment.merchant.name,
                )
                for shipment in shipments
                if shipment.cod_amount > 0 and shipment.merchant_id is not None
            ],
        )

    def collected(self, *, shipment: Any, at: datetime.datetime) -> None:
        super().collected(shipment=shipment, at=at)
        if shipment.cod_amount > 0 and shipment.merchant_id is not None:
            cod_post(actor=POSTAL, shipment_id=shipment.id)

    def voided(self, *, shipment: Any, at: datetime.datetime) -> None:
        super().voided(shipment=shipment, at=at)
        if shipment.cod_amount > 0 and shipment.merchant_id is not None:
            cod_void(actor=POSTAL, shipment_id=shipment.id)

    def remitted(self, *, remittance: Any) -> None:
        cod_remit(
            actor=POSTAL,
            remittance_id=remittance.id,
            merchant_code=remittance.merchant.code,
            merchant_name=remittance.merchant.name,
            amount=remittance.amount,
        )
