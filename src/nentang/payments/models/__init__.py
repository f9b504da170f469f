"""Tables of the payments context, by topic: the double-entry ledger (accounts,
transfers, entries) and the wallets on top of it (policies, monthly usage).

Ids: UUIDv7 (``kernel.ids.new_id``) for public ids; a transfer's id is chosen by its
client (idempotency, as TigerBeetle's); money in integer đồng (``BigIntegerField``);
times in UTC.
"""

from nentang.payments.models.ledger import Account, AccountKind, Entry, Transfer, TransferKind
from nentang.payments.models.quotations import Quotation
from nentang.payments.models.requests import RequestState
from nentang.payments.models.wallets import Wallet, WalletUsage, WithdrawalCodeFailure

__all__ = [
    "Account",
    "AccountKind",
    "Entry",
    "Quotation",
    "RequestState",
    "Transfer",
    "TransferKind",
    "Wallet",
    "WalletUsage",
    "WithdrawalCodeFailure",
]
