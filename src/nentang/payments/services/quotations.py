"""GSMA Mobile Money API v1.2 quotations: the fee a prospective transaction would be
charged, held for :data:`QUOTATION_TTL`.

``quotation_create`` computes the fee with the same function the wallet operations
charge with (``wallets.fee_of``: the fee schedule in force) and stores it; a transaction
that names the quotation (``quotation_fee``) is charged exactly the quoted fee, even if
the schedule changed in between — provided it is the same type, amount, payer and payee,
by the same caller, before the quotation expires. Without a quotation the schedule in
force at the time of the transaction applies (which is what a fresh quotation says).
"""

from __future__ import annotations

import datetime
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from nentang.payments.models import Account, Quotation
from nentang.payments.problems import (
    QUOTATION_EXPIRED,
    QUOTATION_MISMATCH,
    QUOTATION_NOT_FOUND,
)
from nentang.payments.services.fee_schedule import Fee, fee_for
from nentang.payments.services.wallets import _amount

QUOTATION_TTL = datetime.timedelta(minutes=15)


def quotation_create(
    *,
    actor: Actor,
    client_id: str,
    kind: str,
    debit: Account,
    credit: Account,
    amount: object,
    now: datetime.datetime | None = None,
) -> Quotation:
    """Quote the fee of a ``kind`` transaction (GSMA type) of ``amount`` from ``debit``
    to ``credit`` under the fee schedule in force, and keep the quote."""
    value = _amount(amount)
    now = now or timezone.now()
    fee = fee_for(kind=kind, amount=value, on=timezone.localtime(now).date())
    with transaction.atomic():
        quotation = Quotation.objects.create(
            client_id=client_id,
            kind=kind,
            debit_account_id=debit.id,
            credit_account_id=credit.id,
            amount=value,
            fee=fee.amount,
            fee_borne_by=fee.borne_by,
            schedule=fee.schedule,
            created_at=now,
            expires_at=now + QUOTATION_TTL,
        )
        auditing.record(
            actor=actor,
            action="payments.quotation.create",
            subject_type="payments.quotation",
            subject=str(quotation.reference),
            summary={"kind": kind, "amount": value, "fee": fee.amount},
        )
    return quotation


def quotation_get(*, client_id: str, reference: str) -> Quotation:
    """A quotation of this caller (another caller's is "not found")."""
    try:
        key = uuid.UUID(str(reference))
    except ValueError:
        key = None
    found = Quotation.objects.filter(reference=key, client_id=client_id).first() if key else None
    if found is None:
        raise NotFound(_("No quotation of yours has this reference."), code=QUOTATION_NOT_FOUND)
    return found


def quotation_fee(
    *,
    client_id: str,
    reference: str,
    kind: str,
    debit: Account,
    credit: Account,
    amount: int,
    now: datetime.datetime | None = None,
) -> Fee:
    """The fee a transaction naming quotation ``reference`` is charged: the quoted one,
    if the transaction is the one quoted and the quotation has not expired."""
    quotation = quotation_get(client_id=client_id, reference=reference)
    differs = [
        name
        for name, same in (
            ("type", quotation.kind == kind),
            ("amount", quotation.amount == amount),
            ("debitParty", quotation.debit_account_id == debit.id),
            ("creditParty", quotation.credit_account_id == credit.id),
        )
        if not same
    ]
    if differs:
        raise ValidationFailed(
            _("The transaction is not the one quoted."),
            code=QUOTATION_MISMATCH,
            errors=[
                FieldError(name, _("Differs from the quotation."), QUOTATION_MISMATCH)
                for name in differs
            ],
        )
    if quotation.expires_at <= (now or timezone.now()):
        raise Conflict(
            _("The quotation expired; ask for a new one."),
            code=QUOTATION_EXPIRED,
            extra={"expired_at": quotation.expires_at.isoformat()},
        )
    return Fee(amount=quotation.fee, borne_by=quotation.fee_borne_by, schedule=quotation.schedule)
