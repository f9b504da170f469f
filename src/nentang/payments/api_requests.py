"""The GSMA Mobile Money API's asynchronous mode, polling and reversals, on the payments
router (``api.py`` imports this module):

* ``POST /callbacks`` registers a callback URL of the calling client and returns the
  secret that signs its callbacks (once);
* any transaction request with ``X-Callback-URL`` (a registered URL) is checked, then
  answered 202 with a ``pending`` request state; the worker runs it
  (``tasks.request_process``) and the outcome is delivered to the URL through the
  kernel outbox (signed, retried with back-off);
* ``GET /requeststates/{serverCorrelationId}`` and ``GET /responses/{clientCorrelationId}``
  poll it (a client sees only its own requests);
* ``POST /transactions/{reference}/reversals`` reverses (refunds) a transaction, all of
  it or ``amount`` of it, as a new transfer.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema, Status
from pydantic import Field

from nentang.kernel.api import Problem
from nentang.payments import services
from nentang.payments.api import (
    AUTH,
    RequestStateOut,
    TransactionOut,
    _amount,
    _correlation,
    caller_of,
    machine_of,
    router,
    submit,
)


class CallbackIn(Schema):
    url: str = Field(max_length=2000)


class CallbackOut(Schema):
    id: str
    url: str
    secret: str = Field(description="Signs every callback (Standard Webhooks); shown once.")


class ReversalIn(Schema):
    amount: str | None = Field(
        default=None, description="Whole đồng as digits; absent: all that is left."
    )


class ResponseOut(Schema):
    clientCorrelationId: str  # noqa: N815
    objectReference: str  # noqa: N815
    link: str


@router.post(
    "/callbacks",
    auth=AUTH,
    response={201: CallbackOut, 401: Problem, 403: Problem, 422: Problem},
    summary="Register a callback URL (X-Callback-URL) of this client",
)
def callback_register(request: HttpRequest, payload: CallbackIn) -> Status[dict[str, Any]]:
    caller = machine_of(request)
    subscription, secret = services.callback_register(
        actor=caller.actor, client_id=caller.client_id, url=payload.url
    )
    return Status(201, {"id": str(subscription.id), "url": subscription.url, "secret": secret})


@router.get(
    "/requeststates/{server_correlation_id}",
    auth=AUTH,
    response={200: RequestStateOut, 401: Problem, 403: Problem, 404: Problem},
    summary="Poll the state of an asynchronous request",
)
def request_state(request: HttpRequest, server_correlation_id: str) -> dict[str, Any]:
    state = services.request_state_get(
        client_id=caller_of(request).scope, server_correlation_id=server_correlation_id
    )
    return services.request_state_out(state)


@router.get(
    "/responses/{client_correlation_id}",
    auth=AUTH,
    response={200: ResponseOut, 401: Problem, 403: Problem, 404: Problem},
    summary="The outcome of a request, by the X-CorrelationID it was sent with",
)
def response_get(request: HttpRequest, client_correlation_id: str) -> dict[str, Any]:
    state = services.request_state_get(
        client_id=caller_of(request).scope, client_correlation_id=client_correlation_id
    )
    reference = str(state.object_reference) if state.object_reference else ""
    link = (
        f"/api/v1/payments/transactions/{reference}"
        if reference
        else f"/api/v1/payments/requeststates/{state.server_correlation_id}"
    )
    return {
        "clientCorrelationId": str(state.client_correlation_id),
        "objectReference": reference,
        "link": link,
    }


@router.post(
    "/transactions/{reference}/reversals",
    auth=AUTH,
    response={201: TransactionOut, 202: RequestStateOut, 400: Problem, 401: Problem,
              403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Reverse (refund) a transaction as a new transfer",
)  # fmt: skip
def reversal_create(
    request: HttpRequest, reference: str, payload: ReversalIn
) -> Status[dict[str, Any]]:
    caller = machine_of(request)
    correlation = _correlation(request)
    amount = _amount(payload.amount) if payload.amount is not None else None

    order = services.transaction_order(
        actor=caller.actor, kind="reversal", key=f"{caller.client_id}:{correlation}",
        amount=amount, reference=reference[:64],
    )  # fmt: skip
    return submit(request, caller, correlation, order)
