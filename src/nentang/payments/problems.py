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
# The most a single transfer moves: far above any payment (a wallet's yearly limit is in
# the hundreds of millions), far below what a 64-bit total holds, so no client's number
# reaches the database's integer overflow.
MAX_AMOUNT = 10**15
AMOUNT_TOO_LARGE = register(
    "amount_too_large",
    status=422,
    title=_("The amount is too large"),
    meaning=_("A transfer moves at most 1,000,000,000,000,000 đồng."),
    advice=_("Check the amount: it has too many digits."),
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

# ----------------------------------------------------------------------------- wallets
WALLET_LEVEL2_REQUIRED = register(
    "wallet_level2_required",
    status=403,
    title=_("A wallet needs a level-2 electronic identity"),
    meaning=_("Mobile money accounts are opened only for e-IDs verified in person."),
    advice=_("Have your identity verified at a commune office or police station first."),
)
WALLET_PHONE_REQUIRED = register(
    "wallet_phone_required",
    status=422,
    title=_("No phone number on the e-ID"),
    meaning=_("A wallet is tied to the phone number recorded on the e-ID."),
    advice=_("Add your phone number to your e-ID."),
)
GUARDIAN_REQUIRED = register(
    "wallet_guardian_required",
    status=403,
    title=_("Only a guardian opens a child's wallet"),
    meaning=_("A child under 14 has a wallet only through their guardian."),
    advice=_("The child's guardian opens and operates the wallet."),
)
NOT_YOUR_WALLET = register(
    "not_your_wallet",
    status=403,
    title=_("Not your wallet"),
    meaning=_("Only the holder (or a child's guardian) opens and uses a wallet."),
    advice=_("Sign in as the holder."),
)
WALLET_LIMIT_EXCEEDED = register(
    "wallet_limit_exceeded",
    status=409,
    title=_("Above the wallet's monthly limit"),
    meaning=_(
        "Mobile money wallets have monthly limits by law (Decision 316/2021 during the "
        "pilot, Decree 368/2025 since 2026): this payment would pass one."
    ),
    advice=_("Pay a smaller amount, or wait for next month."),
)
COD_HOLD_NOT_FOUND = register(
    "cod_hold_not_found",
    status=404,
    title=_("No cash-on-delivery hold for this shipment"),
    meaning=_("The shipment's cash on delivery was never held in payments."),
    advice=_("Create the hold when the shipment is created."),
)

# ------------------------------------------------------------------------------ VietQR
QR_BAD_CRC = register(
    "qr_bad_crc",
    status=422,
    title=_("The QR code's checksum is wrong"),
    meaning=_("Field 63 is not the CRC-16/CCITT-FALSE of the payload: it is damaged."),
    advice=_("Scan the code again or ask the merchant for a new one."),
)
QR_WRONG_CURRENCY = register(
    "qr_wrong_currency",
    status=422,
    title=_("The QR code is not in Vietnamese đồng"),
    meaning=_("Field 53 must be 704."),
    advice=_("Only VND payments are accepted."),
)
QR_MALFORMED_TLV = register(
    "qr_malformed_tlv",
    status=422,
    title=_("The QR payload is malformed"),
    meaning=_("A field is not a 2-digit id, a 2-digit length and that many characters."),
    advice=_("Scan the code again."),
)
QR_MISSING_TAG = register(
    "qr_missing_tag",
    status=422,
    title=_("A mandatory field of the QR code is missing"),
    meaning=_("Fields 00, 01, 38, 53, 58 and 63 are mandatory in a VietQR code."),
    advice=_("Ask the merchant for a valid VietQR code."),
)
QR_AMOUNT_NOT_INTEGER = register(
    "qr_amount_not_integer",
    status=422,
    title=_("The QR amount is not a whole number of đồng"),
    meaning=_("Field 54 holds a positive integer of đồng, without decimals."),
    advice=_("Ask the merchant for a new code."),
)
QR_NON_ASCII = register(
    "qr_non_ascii",
    status=422,
    title=_("The QR code holds non-ASCII text"),
    meaning=_("VietQR free-text fields are plain ASCII (no diacritics)."),
    advice=_("Write the text without diacritics, e.g. 'Banh mi Sai Gon'."),
)
QR_INVALID_FIELD = register(
    "qr_invalid_field",
    status=422,
    title=_("A field of the QR code is invalid"),
    meaning=_("The field does not follow the NAPAS VietQR rules."),
    advice=_("See the field named in the error."),
)
TRANSACTION_NOT_FOUND = register(
    "transaction_not_found",
    status=404,
    title=_("Transaction not found"),
    meaning=_("No transaction has this reference."),
    advice=_("Use the transactionReference returned when it was created."),
)
CORRELATION_ID_REQUIRED = register(
    "correlation_id_required",
    status=400,
    title=_("X-CorrelationID is required"),
    meaning=_("Every transaction request carries a UUID in X-CorrelationID; a retry reuses it."),
    advice=_("Send a new UUID for each new transaction, the same one for its retries."),
)
WRONG_CURRENCY = register(
    "wrong_currency",
    status=422,
    title=_("Only Vietnamese đồng"),
    meaning=_("Wallets and accounts hold VND only."),
    advice=_("Send currency 'VND'."),
)
PARTY_INVALID = register(
    "payment_party_invalid",
    status=422,
    title=_("This party cannot take part in this transaction"),
    meaning=_("A transfer needs two wallets, a bill payment an agency's fee account."),
    advice=_("Check the party named in the error."),
)
QR_IMAGE_INVALID = register(
    "qr_image_invalid",
    status=422,
    title=_("The picture cannot be read"),
    meaning=_("A QR picture is a PNG, JPEG or WebP file of at most 5 MB and 4,000 × 4,000 pixels."),
    advice=_("Take a new photo of the code, or save it as PNG or JPEG."),
)
QR_NOT_FOUND = register(
    "qr_not_found",
    status=422,
    title=_("No QR code in the picture"),
    meaning=_("The picture was read but no QR code could be found or decoded in it."),
    advice=_("Photograph the whole code, flat, sharp and well lit, or paste its text."),
)
QR_NOT_VIETQR = register(
    "qr_not_vietqr",
    status=422,
    title=_("The QR code is not a VietQR payment code"),
    meaning=_(
        "A VietQR code starts with 000201 (EMVCo payload format); this one holds other content."
    ),
    advice=_("Scan the shop's VietQR payment code, not a link or another kind of code."),
)

# ----------------------------------------------------------- reversals and callbacks
REVERSAL_NOT_ALLOWED = register(
    "reversal_not_allowed",
    status=409,
    title=_("This transaction cannot be reversed"),
    meaning=_("Only completed transfers, payments, fees, top-ups and cash-outs are reversed."),
    advice=_("Reverse the original transaction, not a hold or a reversal."),
)
REVERSAL_EXCEEDS_ORIGINAL = register(
    "reversal_exceeds_original",
    status=409,
    title=_("The reversal is larger than what is left of the transaction"),
    meaning=_("All reversals of a transaction together never exceed its amount."),
    advice=_("Reverse at most the amount not yet reversed."),
)
CALLBACK_URL_NOT_REGISTERED = register(
    "callback_url_not_registered",
    status=422,
    title=_("The callback URL is not registered"),
    meaning=_(
        "X-Callback-URL must be a URL this client registered at /callbacks "
        "(its secret signs the callbacks)."
    ),
    advice=_("Register the URL first with POST /api/v1/payments/callbacks."),
)
REQUEST_STATE_NOT_FOUND = register(
    "request_state_not_found",
    status=404,
    title=_("Request not found"),
    meaning=_("This client made no request with this correlation id."),
    advice=_("Use the serverCorrelationId or X-CorrelationID of one of your requests."),
)
WITHDRAWAL_CODE_INVALID = register(
    "withdrawal_code_invalid",
    status=422,
    title=_("The customer's withdrawal code is wrong or expired"),
    meaning=_(
        "A cash-out needs the 6-digit code the customer's own wallet page shows (10 minutes)."
    ),
    advice=_("Ask the customer to open their wallet and read the current code."),
)

# ------------------------------------------------------------ quotations and callers
QUOTATION_NOT_FOUND = register(
    "quotation_not_found",
    status=404,
    title=_("Quotation not found"),
    meaning=_("You asked for no quotation with this reference."),
    advice=_("Use the quotationReference returned by POST /quotations."),
)
QUOTATION_EXPIRED = register(
    "quotation_expired",
    status=409,
    title=_("The quotation has expired"),
    meaning=_("A quotation holds for 15 minutes; its fee is not guaranteed after that."),
    advice=_("Ask for a new quotation, or send the transaction without one."),
)
QUOTATION_MISMATCH = register(
    "quotation_mismatch",
    status=422,
    title=_("The transaction differs from its quotation"),
    meaning=_("A quotation is for one type, amount, payer and payee."),
    advice=_("Send the quoted type, amount and parties, or ask for a new quotation."),
)
MACHINE_CLIENT_ONLY = register(
    "payments_machine_client_only",
    status=403,
    title=_("Only a provider's or agent's system may do this"),
    meaning=_(
        "A person's own access token reaches their own wallet: pay, transfer, read the "
        "balance and history. Deposits, withdrawals, batches, reversals and callbacks "
        "are for machine clients."
    ),
    advice=_("Use the wallet's pages, or ask the provider."),
)
