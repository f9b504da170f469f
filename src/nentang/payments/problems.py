"""Problem codes of the payments context (see kernel/errors/registry.py): each code a
service raises is registered here with its status, title, meaning and advice.

The ledger's codes follow TigerBeetle's result codes (docs/payments.md): a batch returns
one of them per transfer, a single transfer raises it as problem+json.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

# ------------------------------------------------------------------------------ ledger
TRANSFER_BATCH_TOO_LARGE = register(
    "transfer_batch_too_large",
    status=413,
    title=_("Too many transfers in one batch"),
    meaning=_("A batch holds at most 8,000 transfers."),
    advice=_("Split the batch."),
)
ACCOUNT_FROZEN = register(
    "payment_account_frozen",
    status=409,
    title=_("The account is frozen"),
    meaning=_("A frozen account neither pays nor receives until it is unfrozen."),
    advice=_("Ask the operator why the account was frozen."),
)
ACCOUNT_CLOSED = register(
    "payment_account_closed",
    status=409,
    title=_("The account is closed"),
    meaning=_("A closed account takes no more transfers."),
    advice=_("Use another account."),
)
ACCOUNT_NOT_EMPTY = register(
    "payment_account_not_empty",
    status=409,
    title=_("The account is not empty"),
    meaning=_("Only an account with a zero balance and nothing pending can be closed."),
    advice=_("Move the balance out and settle pending transfers first."),
)
PAYMENT_ACCOUNT_NOT_FOUND = register(
    "payment_account_not_found",
    status=404,
    title=_("Payment account not found"),
    meaning=_("No account you may use has this identifier."),
    advice=_("Check the phone number, wallet id or account code."),
)
DEBIT_ACCOUNT_NOT_FOUND = register(
    "debit_account_not_found",
    status=404,
    title=_("Debit account not found"),
    meaning=_("The account to debit does not exist."),
    advice=_("Check the account id."),
)
CREDIT_ACCOUNT_NOT_FOUND = register(
    "credit_account_not_found",
    status=404,
    title=_("Credit account not found"),
    meaning=_("The account to credit does not exist."),
    advice=_("Check the account id."),
)
ACCOUNTS_MUST_BE_DIFFERENT = register(
    "accounts_must_be_different",
    status=422,
    title=_("Debit and credit accounts are the same"),
    meaning=_("A transfer moves money between two different accounts."),
    advice=_("Choose another account to credit."),
)
AMOUNT_MUST_BE_POSITIVE = register(
    "amount_must_be_positive",
    status=422,
    title=_("The amount must be greater than zero"),
    meaning=_("Transfers move a positive whole number of đồng."),
    advice=_("Enter an amount above 0 ₫."),
)
AMOUNT_NOT_WHOLE = register(
    "amount_not_whole",
    status=422,
    title=_("The amount is not a whole number of đồng"),
    meaning=_("Amounts are integers of đồng: no fractions, no floats."),
    advice=_("Send the amount as an integer, e.g. 150000."),
)
TRANSFER_CODE_REQUIRED = register(
    "transfer_code_required",
    status=422,
    title=_("The transfer's purpose code is missing"),
    meaning=_("Every transfer says what it is for (p2p, merchant, fee, cod …)."),
    advice=_("Give a code."),
)
TRANSFER_KIND_INVALID = register(
    "transfer_kind_invalid",
    status=422,
    title=_("Unknown kind of transfer"),
    meaning=_("A transfer is posted, pending, post, void or expire."),
    advice=_("Use one of these kinds."),
)
TIMEOUT_INVALID = register(
    "transfer_timeout_invalid",
    status=422,
    title=_("Invalid timeout"),
    meaning=_("A pending transfer's timeout is a number of seconds, 0 for none."),
    advice=_("Give a whole number of seconds."),
)
TRANSFER_EXISTS_DIFFERENT = register(
    "transfer_exists_with_different_parameters",
    status=409,
    title=_("A transfer with this id exists with other parameters"),
    meaning=_(
        "Transfer ids are chosen by the client and used once: the same id with the same "
        "parameters returns the original transfer, with other parameters it is refused."
    ),
    advice=_("Use a new id for a new transfer; corrections are new transfers."),
)
INSUFFICIENT_FUNDS = register(
    "insufficient_funds",
    status=409,
    title=_("Insufficient funds"),
    meaning=_("The account's available balance is less than the amount."),
    advice=_("Top up the wallet or pay a smaller amount."),
)
PENDING_ID_REQUIRED = register(
    "pending_id_required",
    status=422,
    title=_("Which pending transfer?"),
    meaning=_("Posting, voiding or expiring needs the id of the pending transfer."),
    advice=_("Give pending_id."),
)
PENDING_ID_MUST_BE_EMPTY = register(
    "pending_id_must_be_empty",
    status=422,
    title=_("A pending id on a new transfer"),
    meaning=_("Only post, void and expire refer to a pending transfer."),
    advice=_("Leave pending_id empty or change the kind."),
)
PENDING_TRANSFER_NOT_FOUND = register(
    "pending_transfer_not_found",
    status=404,
    title=_("Pending transfer not found"),
    meaning=_("No transfer has this id."),
    advice=_("Check the pending transfer's id."),
)
PENDING_TRANSFER_NOT_PENDING = register(
    "pending_transfer_not_pending",
    status=422,
    title=_("Not a pending transfer"),
    meaning=_("The referenced transfer was posted at once; only pending ones resolve."),
    advice=_("Refer to a pending transfer."),
)
PENDING_TRANSFER_HAS_DIFFERENT_ACCOUNTS = register(
    "pending_transfer_has_different_accounts",
    status=422,
    title=_("Other accounts than the pending transfer's"),
    meaning=_("A post or void moves money between the pending transfer's accounts."),
    advice=_("Leave the accounts empty or give the pending transfer's."),
)
PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT = register(
    "pending_transfer_has_different_amount",
    status=422,
    title=_("A void releases the whole pending amount"),
    meaning=_("A void cannot release part of a pending transfer."),
    advice=_("Leave the amount empty."),
)
PENDING_TRANSFER_ALREADY_POSTED = register(
    "pending_transfer_already_posted",
    status=409,
    title=_("The pending transfer is already posted"),
    meaning=_("A pending transfer is posted, voided or expired once."),
    advice=_("Nothing to do: fetch the posting transfer."),
)
PENDING_TRANSFER_ALREADY_VOIDED = register(
    "pending_transfer_already_voided",
    status=409,
    title=_("The pending transfer was voided"),
    meaning=_("A voided pending transfer can no longer be posted."),
    advice=_("Create a new transfer."),
)
PENDING_TRANSFER_EXPIRED = register(
    "pending_transfer_expired",
    status=409,
    title=_("The pending transfer expired"),
    meaning=_("Its timeout passed: the reserved funds were (or are being) released."),
    advice=_("Create a new transfer."),
)
PENDING_TRANSFER_NOT_EXPIRED = register(
    "pending_transfer_not_expired",
    status=409,
    title=_("The pending transfer has not expired"),
    meaning=_("Only a pending transfer whose timeout passed can be expired."),
    advice=_("Void it instead."),
)
POST_AMOUNT_EXCEEDS_PENDING = register(
    "post_amount_exceeds_pending",
    status=422,
    title=_("More than the pending amount"),
    meaning=_("A post moves at most the amount the pending transfer reserved."),
    advice=_("Post the pending amount or less."),
)
LINKED_EVENT_FAILED = register(
    "linked_event_failed",
    status=409,
    title=_("Another transfer of the linked chain failed"),
    meaning=_("Linked transfers succeed or fail together."),
    advice=_("Look at the other results of the chain for the cause."),
)
LINKED_CHAIN_OPEN = register(
    "linked_event_chain_open",
    status=422,
    title=_("The linked chain is not closed"),
    meaning=_("The last transfer of a batch cannot be linked to a next one."),
    advice=_("Clear 'linked' on the last transfer of the chain."),
)
