"""Shared set-up of the payments tests: accounts and transfer shorthands."""

from __future__ import annotations

import uuid

from nentang.kernel.auditing import Actor
from nentang.payments import services
from nentang.payments.models import Account, AccountKind, Transfer
from nentang.payments.services import TransferInput

OPERATOR = Actor.system("payments-test")


def account(code: str, kind: str = AccountKind.WALLET) -> Account:
    return services.account_open(actor=OPERATOR, code=code, kind=kind, name=code)


def fund(target: Account, amount: int) -> Transfer:
    """Money into ``target`` from the bank settlement account (a system account)."""
    bank = services.system_account("system:bank-settlement")
    return services.transfer_create(
        actor=OPERATOR,
        transfer=TransferInput(
            id=uuid.uuid4(),
            debit_account_id=bank.id,
            credit_account_id=target.id,
            amount=amount,
            code="fund",
        ),
    )


def move(debit: Account, credit: Account, amount: int | None, **options: object) -> TransferInput:
    options.setdefault("id", uuid.uuid4())
    options.setdefault("code", "p2p")
    return TransferInput(
        debit_account_id=debit.id,
        credit_account_id=credit.id,
        amount=amount,
        **options,  # type: ignore[arg-type]
    )


def fresh(target: Account) -> Account:
    return Account.objects.get(pk=target.pk)
