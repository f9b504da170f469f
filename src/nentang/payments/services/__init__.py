"""Write operations of the payments context, by topic:

* ledger — accounts and ``transfers_create`` (single, batch, two-phase, linked): the one
  service interface of the double-entry ledger;
* wallets — ``wallet_open`` (KYC rules), ``cash_in``/``cash_out`` at agents,
  ``p2p_transfer``, ``merchant_pay``, ``fee_payment_create`` (public-service fees), all
  under the monthly limits of the policy in force;
* vietqr — NAPAS/EMVCo payloads: build, parse with precise errors, PNG and SVG;
  vietqr_image reads one from a photo (OpenCV);
* fee_schedule — the operator's tariff as data (validated on load), and quotations —
  ``POST /quotations``: the fee quoted is the fee charged;
* requests — the GSMA asynchronous mode: request states, callbacks through the outbox;
* reversals — ``transfer_reverse``: refunds and reversals as new transfers;
* cod — ``cod_hold_create`` (``cod_holds_create``: many in one batch), ``cod_post``,
  ``cod_void``, ``cod_remit`` and ``PaymentsCodLedger``, the adapter of postal's COD port.

Each function is keyword-only, takes the actor explicitly, is its own transaction and
writes its audit entry inside it.
"""

from nentang.payments.services.accounts import account_owner_set
from nentang.payments.services.agents import agent_cash_out, withdrawal_code
from nentang.payments.services.cod import (
    CodHold,
    PaymentsCodLedger,
    cod_hold_create,
    cod_holds_create,
    cod_post,
    cod_remit,
    cod_void,
    merchant_account_for,
)
from nentang.payments.services.fee_schedule import Fee, FeeScheduleError, fee_for
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
from nentang.payments.services.quotations import (
    QUOTATION_TTL,
    quotation_create,
    quotation_fee,
    quotation_get,
)
from nentang.payments.services.requests import (
    CALLBACK_TOPIC,
    callback_register,
    request_accept,
    request_process,
    request_state_get,
    request_state_out,
    request_submit,
    requests_resume,
)
from nentang.payments.services.reversals import reversed_amount, transfer_reverse
from nentang.payments.services.transactions import (
    GSMA_TYPE,
    TransactionOrder,
    transaction_execute,
    transaction_order,
    transaction_out,
)
from nentang.payments.services.vietqr import (
    VietQR,
    crc16_ccitt_false,
    vietqr_parse,
    vietqr_payload,
    vietqr_png,
    vietqr_svg,
)
from nentang.payments.services.vietqr_image import vietqr_text_from_image
from nentang.payments.services.wallet_policies import policies, policy_in_force
from nentang.payments.services.wallets import (
    FeePayment,
    Usage,
    agency_fee_account,
    agent_open,
    cash_in,
    cash_out,
    fee_of,
    fee_payment_create,
    merchant_account_open,
    merchant_pay,
    p2p_transfer,
    wallet_of_person,
    wallet_open,
    wallet_usage,
)

__all__ = [
    "CALLBACK_TOPIC",
    "GSMA_TYPE",
    "MAX_BATCH",
    "QUOTATION_TTL",
    "CodHold",
    "Fee",
    "FeePayment",
    "FeeScheduleError",
    "PaymentsCodLedger",
    "TransactionOrder",
    "TransferInput",
    "TransferResult",
    "Usage",
    "VietQR",
    "account_open",
    "account_owner_set",
    "account_set_status",
    "agency_fee_account",
    "agent_cash_out",
    "agent_open",
    "callback_register",
    "cash_in",
    "cash_out",
    "cod_hold_create",
    "cod_holds_create",
    "cod_post",
    "cod_remit",
    "cod_void",
    "crc16_ccitt_false",
    "fee_for",
    "fee_of",
    "fee_payment_create",
    "merchant_account_for",
    "merchant_account_open",
    "merchant_pay",
    "p2p_transfer",
    "pending_expire",
    "policies",
    "policy_in_force",
    "problem_for",
    "quotation_create",
    "quotation_fee",
    "quotation_get",
    "request_accept",
    "request_process",
    "request_state_get",
    "request_state_out",
    "request_submit",
    "requests_resume",
    "reversed_amount",
    "system_account",
    "transaction_execute",
    "transaction_order",
    "transaction_out",
    "transfer_create",
    "transfer_id",
    "transfer_reverse",
    "transfers_create",
    "vietqr_parse",
    "vietqr_payload",
    "vietqr_png",
    "vietqr_svg",
    "vietqr_text_from_image",
    "wallet_of_person",
    "wallet_open",
    "wallet_usage",
    "withdrawal_code",
]
