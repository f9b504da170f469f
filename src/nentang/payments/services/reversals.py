"""Refunds and reversals: a new transfer in the other direction, never an edit.

A reversal of transaction T moves up to T's amount back from T's credit account to its
debit account (code ``reversal``, reference T's id). All reversals of T together never
exceed T's amount: the reversal locks T's row (transfers are immutable, so the lock
serialises reversals of the same transaction and nothing else) before it sums them.
Its id derives from T and the caller's key, so a retry returns the same reversal.
A reversal does not give back monthly-limit usage (the law counts what was spent).
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, NotFound
from nentang.kernel.money import format_vnd
from nentang.payments.models import Transfer, TransferKind
from nentang.payments.problems import (
    REVERSAL_EXCEEDS_ORIGINAL,
    REVERSAL_NOT_ALLOWED,
    TRANSACTION_NOT_FOUND,
)
from nentang.payments.services.ledger import TransferInput, transfer_create, transfer_id

REVERSAL = "reversal"
REVERSIBLE = ("p2p", "merchant", "fee", "cash_in", "cash_out")


def reversed_amount(*, original: Transfer) -> int:
    """How much of ``original`` was already given back."""
    total = Transfer.objects.filter(code=REVERSAL, reference=str(original.id)).aggregate(
        total=Sum("amount")
    )["total"]
    return int(total or 0)


def transfer_reverse(
    *,
    actor: Actor,
    reference: uuid.UUID | str,
    idempotency_key: str,
    amount: int | None = None,
    credit_account_id: int | None = None,
) -> Transfer:
    """Reverse (refund) ``amount`` of a completed transaction, all of what is left when
    ``amount`` is None. ``credit_account_id``, when given, is the account that must have
    received the original (a merchant refunds only its own sales)."""
    try:
        original_id = uuid.UUID(str(reference))
    except ValueError:
        original_id = None
    with transaction.atomic():
        original = (
            Transfer.objects.select_for_update().filter(id=original_id).first()
            if original_id
            else None
        )
        if original is None or (
            credit_account_id is not None and original.credit_account_id != credit_account_id
        ):
            raise NotFound(_("No transaction has this reference."), code=TRANSACTION_NOT_FOUND)
        if original.code not in REVERSIBLE or original.kind not in (
            TransferKind.POSTED,
            TransferKind.POST,
        ):
            raise Conflict(
                _("Only a completed transfer, payment, fee, top-up or cash-out is reversed."),
                code=REVERSAL_NOT_ALLOWED,
            )
        new_id = transfer_id(REVERSAL, original.id, idempotency_key)
        previous = Transfer.objects.filter(id=new_id).first()
        left = original.amount - reversed_amount(original=original)
        if previous is None and ((amount is None and left <= 0) or (amount or 0) > left):
            raise Conflict(
                _("At most %(left)s of this transaction is left to reverse.")
                % {"left": format_vnd(left)},
                code=REVERSAL_EXCEEDS_ORIGINAL,
            )
        wanted = amount if amount is not None else (previous.amount if previous else left)
        return transfer_create(
            actor=actor,
            transfer=TransferInput(
                id=new_id,
                debit_account_id=original.credit_account_id,
                credit_account_id=original.debit_account_id,
                amount=wanted,
                code=REVERSAL,
                reference=str(original.id),
            ),
        )
