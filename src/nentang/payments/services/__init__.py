"""Write operations of the payments context, by topic:

* ledger — accounts and ``transfers_create`` (single, batch, two-phase, linked): the one
  service interface of the double-entry ledger;

Each function is keyword-only, takes the actor explicitly, is its own transaction and
writes its audit entry inside it.
"""

from nentang.payments.services.ledger import (
    MAX_BATCH,
    TransferInput,
    TransferResult,
    account_open,
    account_set_status,
    pending_expire,
    problem_for,
    system_account,
    transfer_create,
    transfer_id,
    transfers_create,
)

__all__ = [
    "MAX_BATCH",
    "TransferInput",
    "TransferResult",
    "account_open",
    "account_set_status",
    "pending_expire",
    "problem_for",
    "system_account",
    "transfer_create",
    "transfer_id",
    "transfers_create",
]
