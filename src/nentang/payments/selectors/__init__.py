"""Read operations of the payments context, with their permission checks (no BOLA):
a reader sees only what they may see, and every read of a person's data by someone
else is logged for that person (``identity.services.data_usage_record``).
"""

from nentang.payments.selectors.ledger import (
    STATEMENT_ORDER,
    Difference,
    Reconciliation,
    account_statement,
    ledger_reconcile,
    party_account,
    pending_state,
    transfer_get,
)

__all__ = [
    "STATEMENT_ORDER",
    "Difference",
    "Reconciliation",
    "account_statement",
    "ledger_reconcile",
    "party_account",
    "pending_state",
    "transfer_get",
]
