"""GSMA transaction requests as data: what ``POST /transactions/type/{kind}`` (and
``…/reversals``) asks for, run now (synchronous mode) or later by the worker
(asynchronous mode, ``services.requests``), through the same function.

A :class:`TransactionOrder` holds only plain values (account ids, amount, keys, the
quoted fee), so it is stored with a pending request state and the worker runs exactly
what was accepted.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from nentang.kernel.auditing import Actor
from nentang.payments.models import Account, Transfer
from nentang.payments.services.fee_schedule import Fee
from nentang.payments.services.reversals import transfer_reverse
from nentang.payments.services.wallets import (
    FEE_CODE,
    cash_in,
    cash_out,
    fee_payment_create,
    merchant_pay,
    p2p_transfer,
)

KINDS = ("transfer", "merchantpay", "billpay", "deposit", "withdrawal", "reversal")
GSMA_TYPE = {
    "p2p": "transfer",
    "merchant": "merchantpay",
    "fee": "billpay",
    "cash_in": "deposit",
    "cash_out": "withdrawal",
    "reversal": "reversal",
}


@dataclass(frozen=True)
class TransactionOrder:
    """One transaction request: ``kind`` with its accounts (ids), ``amount`` (None: a
    reversal of all that is left), the caller's idempotency ``key``, ``reference`` (for
    a reversal: the original transaction's id), the quoted fee if any, and who asks."""

    kind: str
    actor_type: str
    actor_id: str
    key: str
    amount: int | None
    debit_account_id: int = 0
    credit_account_id: int = 0
    reference: str = ""
    fee: dict[str, Any] | None = None

    @property
    def actor(self) -> Actor:
        return Actor(self.actor_type, self.actor_id)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TransactionOrder:
        return cls(**data)


def transaction_order(*, actor: Actor, kind: str, key: str, amount: int | None,
                      debit: Account | None = None, credit: Account | None = None,
                      reference: str = "", fee: Fee | None = None) -> TransactionOrder:  # fmt: skip
    return TransactionOrder(
        kind=kind,
        actor_type=actor.type,
        actor_id=actor.id,
        key=key,
        amount=amount,
        debit_account_id=debit.id if debit else 0,
        credit_account_id=credit.id if credit else 0,
        reference=reference,
        fee=asdict(fee) if fee else None,
    )


def transaction_execute(
    order: TransactionOrder, accounts: dict[int, Account] | None = None
) -> Transfer:
    """Run ``order`` through the wallet (or reversal) service of its kind; each checks
    its own rules (holder, limits, funds, idempotency). ``accounts``: the order's two
    accounts (with their wallets) when the caller already read them, else they are
    read here (their totals and status are read under the ledger's locks either way)."""
    actor, key, amount = order.actor, order.key, order.amount
    fee = Fee(**order.fee) if order.fee else None
    if order.kind == "reversal":
        return transfer_reverse(actor=actor, reference=order.reference, amount=amount,
                                idempotency_key=key)  # fmt: skip
    wanted = {order.debit_account_id, order.credit_account_id}
    if accounts is None or not wanted <= accounts.keys():
        accounts = Account.objects.select_related("wallet").in_bulk(list(wanted))
    debit, credit = accounts[order.debit_account_id], accounts[order.credit_account_id]
    if order.kind == "transfer":
        return p2p_transfer(actor=actor, payer=debit.wallet, payee=credit.wallet, amount=amount,
                            idempotency_key=key, note=order.reference, fee=fee)  # fmt: skip
    if order.kind == "merchantpay":
        return merchant_pay(actor=actor, payer=debit.wallet, merchant=credit, amount=amount,
                            idempotency_key=key, reference=order.reference, fee=fee)  # fmt: skip
    if order.kind == "billpay":
        paid = fee_payment_create(
            actor=actor, payer_person_id=debit.wallet.person_id,
            agency_id_or_code=credit.code.removeprefix("agency:"), amount=int(amount or 0),
            reference=order.reference, idempotency_key=key, fee=fee,
        )  # fmt: skip
        return Transfer.objects.get(id=paid.transfer_id)
    if order.kind == "deposit":
        return cash_in(actor=actor, agent=debit, wallet=credit.wallet, amount=amount,
                       idempotency_key=key, fee=fee)  # fmt: skip
    return cash_out(actor=actor, wallet=debit.wallet, agent=credit, amount=amount,
                    idempotency_key=key, fee=fee)  # fmt: skip


def _party(account: Account) -> list[dict[str, str]]:
    wallet = getattr(account, "wallet", None)
    if wallet is not None:
        return [{"key": "walletid", "value": str(wallet.id)}]
    return [{"key": "accountid", "value": account.code}]


def transaction_out(
    transfer: Transfer, kind: str = "", accounts: dict[int, Account] | None = None
) -> dict[str, Any]:
    """The GSMA transaction object of ``transfer`` (its service fee in ``fees``);
    ``accounts``: its accounts (with their wallets) when the caller has them."""
    from nentang.payments.services.ledger import transfer_id

    accounts = accounts or {}
    debit = accounts.get(transfer.debit_account_id) or transfer.debit_account
    credit = accounts.get(transfer.credit_account_id) or transfer.credit_account

    charged = (
        Transfer.objects.filter(id=transfer_id(transfer.id, FEE_CODE))
        .values_list("amount", flat=True)
        .first()
    )
    fees = [{"feeType": "serviceFee", "feeAmount": str(charged), "feeCurrency": "VND"}]
    return {
        "fees": fees if charged else [],
        "transactionReference": str(transfer.id),
        "transactionStatus": "completed",
        "type": kind or GSMA_TYPE.get(transfer.code, transfer.code),
        "amount": str(transfer.amount),
        "currency": "VND",
        "debitParty": _party(debit),
        "creditParty": _party(credit),
        "requestingOrganisationTransactionReference": transfer.reference,
        "creationDate": transfer.created_at.isoformat(),
    }
