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
    party_accounts,
    pending_state,
    transfer_get,
)
from nentang.payments.selectors.statistics import transfer_statistics
from nentang.payments.selectors.wallets import (
    account_by_code,
    accounts_frozen,
    accounts_operated_by,
    merchant_for_vietqr,
    merchant_qr_account,
    normalise_phone,
    platform_bin,
    wallet_by_phone,
    wallet_operator,
)

__all__ = [
    "STATEMENT_ORDER",
    "Difference",
    "Reconciliation",
    "account_by_code",
    "account_statement",
    "accounts_frozen",
    "accounts_operated_by",
    "ledger_reconcile",
    "merchant_for_vietqr",
    "merchant_qr_account",
    "normalise_phone",
    "party_account",
    "party_accounts",
    "pending_state",
    "platform_bin",
    "transfer_get",
    "transfer_statistics",
    "wallet_by_phone",
    "wallet_operator",
]
