"""GSMA Mobile Money API v1.2 quotations, on the payments router (``api.py`` imports
this module):

* ``POST /quotations`` — the fee of a prospective transaction under the operator's fee
  schedule (``data/fee-schedule.json``), held for 15 minutes; ``Idempotency-Key``
  honoured (same key and body: the same quotation);
* ``GET /quotations/{quotationReference}`` — a quotation of the caller's;
* a transaction that sends ``quotationReference`` is charged the quoted fee.
"""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from nentang.kernel.api import Problem
from nentang.kernel.idempotency import IDEMPOTENCY_OPENAPI, idempotent
from nentang.payments import services
from nentang.payments.api import (
    AUTH,
    FeeOut,
    PartyIn,
    _amount,
    _currency,
    _party,
    caller_of,
    machine_of,
    parties,
    router,
)
from nentang.payments.models import Account, Quotation

TransactionType = Literal["transfer", "merchantpay", "billpay", "deposit", "withdrawal"]


class QuotationIn(Schema):
    requestAmount: str = Field(  # noqa: N815 - GSMA
        description="Whole đồng, as a string of digits."
    )
    requestCurrency: str = "VND"  # noqa: N815
    type: TransactionType
    debitParty: list[PartyIn] = Field(min_length=1, max_length=1)  # noqa: N815
    creditParty: list[PartyIn] = Field(min_length=1, max_length=1)  # noqa: N815


class QuoteOut(Schema):
    quoteId: str  # noqa: N815
    sendingAmount: str  # noqa: N815
    sendingCurrency: str  # noqa: N815
    receivingAmount: str  # noqa: N815
    receivingCurrency: str  # noqa: N815
    fees: list[FeeOut]
    quoteExpiryTime: str  # noqa: N815


class QuotationOut(Schema):
    quotationReference: str  # noqa: N815
    quotationStatus: Literal["completed"]  # noqa: N815
    type: str
    requestAmount: str  # noqa: N815
    requestCurrency: str  # noqa: N815
    debitParty: list[dict[str, str]]  # noqa: N815
    creditParty: list[dict[str, str]]  # noqa: N815
    creationDate: str  # noqa: N815
    quotes: list[QuoteOut]


def _quotation_out(quotation: Quotation) -> dict[str, Any]:
    """GSMA's quotation object: one quote; the payer sends the amount plus a fee it
    bears, the payee receives the amount less a fee it bears."""
    fee = quotation.fee
    payer_pays = fee if quotation.fee_borne_by == "payer" else 0
    payee_pays = fee if quotation.fee_borne_by == "payee" else 0
    accounts = Account.objects.select_related("wallet").in_bulk(
        [quotation.debit_account_id, quotation.credit_account_id]
    )
    return {
        "quotationReference": str(quotation.reference),
        "quotationStatus": "completed",
        "type": quotation.kind,
        "requestAmount": str(quotation.amount),
        "requestCurrency": "VND",
        "debitParty": _party(accounts[quotation.debit_account_id]),
        "creditParty": _party(accounts[quotation.credit_account_id]),
        "creationDate": quotation.created_at.isoformat(),
        "quotes": [
            {
                "quoteId": str(quotation.reference),
                "sendingAmount": str(quotation.amount + payer_pays),
                "sendingCurrency": "VND",
                "receivingAmount": str(quotation.amount - payee_pays),
                "receivingCurrency": "VND",
                "fees": [{"feeType": "serviceFee", "feeAmount": str(fee), "feeCurrency": "VND"}],
                "quoteExpiryTime": quotation.expires_at.isoformat(),
            }
        ],
    }


@router.post(
    "/quotations",
    auth=AUTH,
    response={201: QuotationOut, 400: Problem, 401: Problem, 403: Problem, 404: Problem,
              409: Problem, 422: Problem},
    openapi_extra=IDEMPOTENCY_OPENAPI,
    summary="Quote the fee of a prospective transaction (GSMA MMAPI v1.2)",
)  # fmt: skip
@decorate_view(idempotent)
def quotation_create(request: HttpRequest, payload: QuotationIn) -> Status[dict[str, Any]]:
    kind = payload.type
    caller = machine_of(request) if kind in ("deposit", "withdrawal") else caller_of(request)
    _currency(payload.requestCurrency, "requestCurrency")
    amount = _amount(payload.requestAmount, "requestAmount")
    debit, credit = parties(caller, kind, payload.debitParty[0], payload.creditParty[0])
    quotation = services.quotation_create(
        actor=caller.actor, client_id=caller.scope, kind=kind, debit=debit, credit=credit,
        amount=amount,
    )  # fmt: skip
    return Status(201, _quotation_out(quotation))


@router.get(
    "/quotations/{reference}",
    auth=AUTH,
    response={200: QuotationOut, 401: Problem, 403: Problem, 404: Problem},
    summary="A quotation of yours",
)
def quotation_get(request: HttpRequest, reference: str) -> dict[str, Any]:
    return _quotation_out(
        services.quotation_get(client_id=caller_of(request).scope, reference=reference)
    )
