"""JSON API of the payments context at ``/api/v1/payments/``, in the shapes of the GSMA
Mobile Money API v1.2:

* ``POST /transactions/type/{transfer|merchantpay|billpay|deposit|withdrawal}`` with an
  ``X-CorrelationID`` (a UUID): the transaction's id is derived from the caller and it,
  so a retry returns the original and a replay with other content is refused
  (``transfer_exists_with_different_parameters``). Synchronous: 201 with the
  transaction, ``transactionStatus: completed``.
* ``GET /transactions/{reference}``; ``GET /accounts/{identifierType}/{identifier}/balance``
  and ``…/statemententries`` (cursor pagination) for ``msisdn``, ``walletid`` and
  ``accountid``.
* ``POST /batchtransactions``: the ledger's batch (up to 8,000 transfers, one result each).
* ``POST /vietqr/generate`` and ``POST /vietqr/parse``.

Authenticated by an access token of our OpenID provider issued to a machine client with
the scope ``payments`` (a provider's back end, an agent network, an operator's tools).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal, cast

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from pydantic import Field

from nentang.identity import selectors as identity
from nentang.kernel.api import Problem
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import (
    BadRequest,
    FieldError,
    Forbidden,
    NotFound,
    Unauthorized,
    ValidationFailed,
)
from nentang.kernel.idempotency import OncePerRequestBearer
from nentang.kernel.pagination import CursorQuery, LimitQuery
from nentang.payments import selectors, services
from nentang.payments.models import Account, AccountKind, Transfer
from nentang.payments.problems import (
    AMOUNT_NOT_WHOLE,
    CORRELATION_ID_REQUIRED,
    MACHINE_CLIENT_ONLY,
    PARTY_INVALID,
    PAYMENT_ACCOUNT_NOT_FOUND,
    TRANSACTION_NOT_FOUND,
    WRONG_CURRENCY,
)

router = Router(tags=["payments"])


@dataclass(frozen=True)
class Caller:
    """Who calls: a machine client, or a person (the wallet holder) through a client
    with their own access token."""

    client_id: str
    person_id: str = ""

    @property
    def actor(self) -> Actor:
        return Actor.person(self.person_id) if self.person_id else Actor.client(self.client_id)

    @property
    def scope(self) -> str:
        """Owner of correlation ids, request states and quotations: two people using
        the same app never see each other's."""
        return f"{self.client_id}/person:{self.person_id}" if self.person_id else self.client_id

    @property
    def idempotency_scope(self) -> str:
        return f"payments:{self.scope}"


class PaymentsAuth(OncePerRequestBearer):
    """An access token with the scope ``payments``: a machine client's (a provider's
    back end, an agent network), or a person's own (their wallet only)."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        challenge = {"WWW-Authenticate": 'Bearer realm="nentang", error="invalid_token"'}
        machine = identity.machine_token(token=token)
        if machine is not None:
            if "payments" not in machine.scopes:
                raise Forbidden(
                    _("The access token does not carry the scope “payments”."),
                    code="insufficient_scope",
                )
            return Caller(machine.client_id)
        held = identity.person_token_caller(token=token, scope="payments")
        if held is None:
            raise Unauthorized(
                _("The access token is unknown, expired, revoked or lacks the scope “%(s)s”.")
                % {"s": "payments"},
                code="invalid_token",
                headers=challenge,
            )
        if held.person is None:
            raise Forbidden(
                _("Wallets are for people: this account is not a person's."),
                code=MACHINE_CLIENT_ONLY,
            )
        return Caller(held.client_id, person_id=str(held.person.id))


AUTH = [PaymentsAuth()]


def caller_of(request: HttpRequest) -> Caller:
    return cast(Caller, cast(Any, request).auth)


def machine_of(request: HttpRequest) -> Caller:
    """The caller of an operation for machine clients only (403 for a person's token)."""
    caller = caller_of(request)
    if caller.person_id:
        raise Forbidden(
            _("A person's token cannot do this: it is for the provider's systems."),
            code=MACHINE_CLIENT_ONLY,
        )
    return caller


def own_account(caller: Caller, account: Account) -> Account:
    """``account`` if the caller may see it: anything for a machine client, only the
    wallet they hold (or operate as a guardian) for a person — any other is "not
    found", so ids cannot be probed."""
    if caller.person_id and selectors.wallet_operator(account=account) != caller.person_id:
        raise NotFound(_("No wallet you may use has this id."), code=PAYMENT_ACCOUNT_NOT_FOUND)
    return account


# ----------------------------------------------------------------------------- schemas


class PartyIn(Schema):
    key: Literal["msisdn", "walletid", "accountid"]
    value: str = Field(max_length=120)


class TransactionIn(Schema):
    amount: str = Field(description="Whole đồng, as a string of digits (GSMA: a string).")
    currency: str = "VND"
    debitParty: list[PartyIn] = Field(min_length=1, max_length=1)  # noqa: N815 - GSMA
    creditParty: list[PartyIn] = Field(min_length=1, max_length=1)  # noqa: N815
    descriptionText: str = Field(default="", max_length=140)  # noqa: N815
    requestingOrganisationTransactionReference: str = Field(default="", max_length=140)  # noqa: N815
    quotationReference: str = Field(  # noqa: N815
        default="", max_length=64, description="Charge the fee of this quotation."
    )


class FeeOut(Schema):
    feeType: str  # noqa: N815
    feeAmount: str  # noqa: N815
    feeCurrency: str  # noqa: N815


class TransactionOut(Schema):
    transactionReference: str  # noqa: N815
    transactionStatus: str  # noqa: N815
    type: str
    amount: str
    currency: str
    debitParty: list[dict[str, str]]  # noqa: N815
    creditParty: list[dict[str, str]]  # noqa: N815
    requestingOrganisationTransactionReference: str  # noqa: N815
    creationDate: str  # noqa: N815
    fees: list[FeeOut] = []


class BalanceOut(Schema):
    currentBalance: str  # noqa: N815
    availableBalance: str  # noqa: N815
    reservedBalance: str  # noqa: N815
    unClearedBalance: str  # noqa: N815
    currency: str
    accountStatus: str  # noqa: N815


class ErrorReferenceOut(Schema):
    errorCategory: str  # noqa: N815
    errorCode: str  # noqa: N815
    errorDescription: str  # noqa: N815


class RequestStateOut(Schema):
    serverCorrelationId: str  # noqa: N815
    clientCorrelationId: str  # noqa: N815
    status: Literal["pending", "completed", "failed"]
    notificationMethod: Literal["callback", "polling"]  # noqa: N815
    objectReference: str  # noqa: N815
    pollLimit: int  # noqa: N815
    errorReference: ErrorReferenceOut | None = None  # noqa: N815


class StatementEntryOut(Schema):
    transactionReference: str  # noqa: N815
    type: str
    amount: str
    currency: str
    direction: Literal["debit", "credit"]
    balanceAfter: str  # noqa: N815
    creationDate: str  # noqa: N815


class StatementOut(Schema):
    items: list[StatementEntryOut]
    next_cursor: str | None


class BatchTransferIn(Schema):
    id: uuid.UUID
    debitAccount: str = Field(default="", max_length=120)  # noqa: N815
    creditAccount: str = Field(default="", max_length=120)  # noqa: N815
    amount: int | None = None
    kind: Literal["posted", "pending", "post", "void"] = "posted"
    pendingId: uuid.UUID | None = None  # noqa: N815
    linked: bool = False
    timeout: int = Field(default=0, ge=0, le=30 * 86400)
    code: str = Field(max_length=20)
    reference: str = Field(default="", max_length=140)


class BatchIn(Schema):
    transfers: list[BatchTransferIn] = Field(max_length=services.MAX_BATCH)


class BatchResultOut(Schema):
    id: str
    status: str


class BatchOut(Schema):
    results: list[BatchResultOut]
    created: int


class VietQRIn(Schema):
    bank_bin: str = Field(max_length=6)
    account: str = Field(max_length=19)
    service: str = "QRIBFTTA"
    amount: int | None = None
    mcc: str = ""
    merchant_name: str = Field(default="", max_length=25)
    city: str = Field(default="", max_length=15)
    purpose: str = Field(default="", max_length=50)
    bill_number: str = Field(default="", max_length=25)
    reference: str = Field(default="", max_length=25)
    terminal: str = Field(default="", max_length=25)


class VietQROut(VietQRIn):
    payload: str
    svg: str = ""


class PayloadIn(Schema):
    payload: str = Field(max_length=512)


# ----------------------------------------------------------------------------- helpers

DIGITS = re.compile(r"^[0-9]{1,15}$")


def _amount(text: str, field: str = "amount") -> int:
    if not DIGITS.fullmatch(text.strip()):
        raise ValidationFailed(
            _("The amount is a whole number of đồng, digits only."),
            code=AMOUNT_NOT_WHOLE,
            errors=[FieldError(field, _("Digits only, e.g. 150000."), AMOUNT_NOT_WHOLE)],
        )
    return int(text)


def _correlation(request: HttpRequest) -> str:
    raw = request.headers.get("X-CorrelationID", "").strip()
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise BadRequest(
            _("Send a UUID in the X-CorrelationID header."), code=CORRELATION_ID_REQUIRED
        ) from None


def _currency(currency: str, field: str = "currency") -> None:
    if currency != "VND":
        raise ValidationFailed(
            _("Only VND."),
            code=WRONG_CURRENCY,
            errors=[FieldError(field, _("Only VND."), WRONG_CURRENCY)],
        )


def parties(caller: Caller, kind: str, debit_party: PartyIn,
            credit_party: PartyIn) -> tuple[Account, Account]:  # fmt: skip
    """The accounts a transaction's parties name; a person pays only from a wallet they
    operate. A bill is paid to an agency's fee account."""
    found = selectors.party_accounts(
        parties=[(debit_party.key, debit_party.value), (credit_party.key, credit_party.value)]
    )
    debit = own_account(caller, _found(found[0]))
    credit = _found(found[1])
    if kind == "billpay" and credit.kind != AccountKind.AGENCY:
        raise ValidationFailed(
            _("Bills are paid to an agency's fee account."),
            code=PARTY_INVALID,
            errors=[FieldError("creditParty", _("An agency account (agency:CODE)."))],
        )
    return debit, credit


def _found(account: Account | None) -> Account:
    if account is None:
        raise NotFound(
            _("No account you may use has this identifier."), code=PAYMENT_ACCOUNT_NOT_FOUND
        )
    return account


def _wallet_of(account: Account) -> Any:
    wallet = getattr(account, "wallet", None)
    if wallet is None:
        raise ValidationFailed(
            _("This party is not a wallet."),
            code=PARTY_INVALID,
            errors=[FieldError("debitParty", _("A wallet is needed here."))],
        )
    return wallet


def _party(account: Account) -> list[dict[str, str]]:
    wallet = getattr(account, "wallet", None)
    if wallet is not None:
        return [{"key": "walletid", "value": str(wallet.id)}]
    return [{"key": "accountid", "value": account.code}]


def _out(transfer: Transfer, kind: str) -> dict[str, Any]:
    return services.transaction_out(transfer, kind)


GSMA_TYPE = services.GSMA_TYPE


# --------------------------------------------------------------------------- endpoints


@router.post(
    "/transactions/type/{kind}",
    auth=AUTH,
    response={201: TransactionOut, 202: RequestStateOut, 400: Problem, 401: Problem,
              403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Create a transaction (GSMA MMAPI v1.2; X-Callback-URL: asynchronous)",
)  # fmt: skip
def transaction_create(
    request: HttpRequest,
    kind: Literal["transfer", "merchantpay", "billpay", "deposit", "withdrawal"],
    payload: TransactionIn,
) -> Status[dict[str, Any]]:
    caller = machine_of(request) if kind in ("deposit", "withdrawal") else caller_of(request)
    correlation = _correlation(request)
    key = f"{caller.scope}:{correlation}"
    _currency(payload.currency)
    amount = _amount(payload.amount)
    debit, credit = parties(caller, kind, payload.debitParty[0], payload.creditParty[0])
    reference = payload.requestingOrganisationTransactionReference or payload.descriptionText
    actor = caller.actor
    fee = None
    if payload.quotationReference:
        fee = services.quotation_fee(
            client_id=caller.scope, reference=payload.quotationReference, kind=kind,
            debit=debit, credit=credit, amount=amount,
        )  # fmt: skip

    # The parties each kind needs as wallets (422 now, not a refusal in the worker).
    if kind in ("transfer", "merchantpay", "billpay", "withdrawal"):
        _wallet_of(debit)
    if kind in ("transfer", "deposit"):
        _wallet_of(credit)
    order = services.transaction_order(
        actor=actor, kind=kind, key=key, amount=amount, debit=debit, credit=credit,
        reference=reference, fee=fee,
    )  # fmt: skip
    return submit(
        request, caller, correlation, order, accounts={debit.id: debit, credit.id: credit}
    )


def submit(
    request: HttpRequest,
    caller: Caller,
    correlation: str,
    order: services.TransactionOrder,
    accounts: dict[int, Account] | None = None,
) -> Status[dict[str, Any]]:
    """Run a transaction request now: 201 with the transaction; or, with
    ``X-Callback-URL``, accept it for the worker: 202 with its pending request state
    (the outcome goes to the callback, and to polling). ``accounts``: the order's
    accounts as the caller read them (with their wallets), not read again."""
    callback = request.headers.get("X-Callback-URL", "").strip()[:2000]
    if callback:
        state = services.request_accept(
            client_id=caller.scope, correlation_id=uuid.UUID(correlation),
            callback_url=callback, order=order,
        )  # fmt: skip
        return Status(202, services.request_state_out(state))
    _state, done = services.request_submit(
        client_id=caller.scope,
        correlation_id=uuid.UUID(correlation),
        kind=order.kind,
        operation=lambda: services.transaction_execute(order, accounts),
    )
    if accounts is None:  # a reversal: its accounts are the original transaction's
        done = selectors.transfer_get(reference=str(done.id))
    return Status(201, services.transaction_out(done, order.kind, accounts))


@router.get(
    "/transactions/{reference}",
    auth=AUTH,
    response={200: TransactionOut, 401: Problem, 403: Problem, 404: Problem},
    summary="Read a transaction",
)
def transaction_get(request: HttpRequest, reference: str) -> dict[str, Any]:
    caller = caller_of(request)
    transfer = selectors.transfer_get(reference=reference)
    if caller.person_id and caller.person_id not in (
        selectors.wallet_operator(account=transfer.debit_account),
        selectors.wallet_operator(account=transfer.credit_account),
    ):
        raise NotFound(_("No transaction has this reference."), code=TRANSACTION_NOT_FOUND)
    return _out(transfer, GSMA_TYPE.get(transfer.code, transfer.code))


@router.get(
    "/accounts/{identifier_type}/{identifier}/balance",
    auth=AUTH,
    response={200: BalanceOut, 401: Problem, 403: Problem, 404: Problem},
    summary="Balance of an account",
)
def account_balance(
    request: HttpRequest,
    identifier_type: Literal["msisdn", "walletid", "accountid"],
    identifier: str,
) -> dict[str, Any]:
    account = own_account(
        caller_of(request),
        selectors.party_account(identifier_type=identifier_type, identifier=identifier),
    )
    return {
        "currentBalance": str(account.balance),
        "availableBalance": str(account.available),
        "reservedBalance": str(account.debits_pending),
        "unClearedBalance": str(account.credits_pending),
        "currency": "VND",
        "accountStatus": {"active": "available", "frozen": "unavailable"}.get(
            account.status, "unregistered"
        ),
    }


@router.get(
    "/accounts/{identifier_type}/{identifier}/statemententries",
    auth=AUTH,
    response={200: StatementOut, 400: Problem, 401: Problem, 403: Problem, 404: Problem},
    summary="Statement entries of an account, newest first",
)
def account_statement(
    request: HttpRequest,
    identifier_type: Literal["msisdn", "walletid", "accountid"],
    identifier: str,
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> dict[str, Any]:
    account = own_account(
        caller_of(request),
        selectors.party_account(identifier_type=identifier_type, identifier=identifier),
    )
    page = selectors.account_statement(account=account, cursor=cursor, limit=limit)
    items = []
    for entry in page.items:
        debit = entry.debits_posted + entry.debits_pending
        credit = entry.credits_posted + entry.credits_pending
        items.append(
            {
                "transactionReference": str(entry.transfer_id),
                "type": GSMA_TYPE.get(entry.transfer.code, entry.transfer.code),
                "amount": str(abs(debit or credit)),
                "currency": "VND",
                "direction": "debit" if debit else "credit",
                "balanceAfter": str(entry.balance_after),
                "creationDate": entry.created_at.isoformat(),
            }
        )
    return {"items": items, "next_cursor": page.next_cursor}


@router.post(
    "/batchtransactions",
    auth=AUTH,
    response={200: BatchOut, 401: Problem, 403: Problem, 404: Problem, 413: Problem,
              422: Problem},
    summary="A batch of up to 8,000 ledger transfers, one result each",
)  # fmt: skip
def batch_create(request: HttpRequest, payload: BatchIn) -> dict[str, Any]:
    machine_of(request)
    codes = {t.debitAccount for t in payload.transfers} | {
        t.creditAccount for t in payload.transfers
    }
    codes.discard("")
    ids = dict(Account.objects.filter(code__in=codes).values_list("code", "id"))
    inputs = [
        services.TransferInput(
            id=t.id,
            debit_account_id=ids.get(t.debitAccount, -1) if t.debitAccount else 0,
            credit_account_id=ids.get(t.creditAccount, -1) if t.creditAccount else 0,
            amount=t.amount,
            kind=t.kind,
            pending_id=t.pendingId,
            linked=t.linked,
            timeout=t.timeout,
            code=t.code,
            reference=t.reference,
        )
        for t in payload.transfers
    ]
    results = services.transfers_create(actor=machine_of(request).actor, transfers=inputs)
    return {
        "results": [{"id": str(r.id), "status": r.status} for r in results],
        "created": sum(1 for r in results if r.status == "created"),
    }


@router.post(
    "/vietqr/generate",
    auth=AUTH,
    response={200: VietQROut, 401: Problem, 403: Problem, 422: Problem},
    summary="Build a VietQR payload (and its SVG)",
)
def vietqr_generate(request: HttpRequest, payload: VietQRIn) -> dict[str, Any]:
    qr = services.VietQR(**payload.dict())
    text = services.vietqr_payload(qr)
    return {**payload.dict(), "payload": text, "svg": services.vietqr_svg(text)}


@router.post(
    "/vietqr/parse",
    auth=AUTH,
    response={200: VietQROut, 401: Problem, 403: Problem, 422: Problem},
    summary="Read and validate a VietQR payload",
)
def vietqr_parse(request: HttpRequest, payload: PayloadIn) -> dict[str, Any]:
    qr = services.vietqr_parse(payload.payload)
    fields = {name: getattr(qr, name) for name in VietQRIn.model_fields}
    return {**fields, "payload": payload.payload.strip()}


# The asynchronous mode, polling, reversals and quotations (same router).
from nentang.payments import api_quotations, api_requests  # noqa: E402, F401
