"""The GSMA asynchronous mode over real HTTP: a request with a registered
X-Callback-URL is accepted (202, pending), run by django-tasks-db's real worker, and its
outcome (success or failure) sent as a signed callback through the kernel outbox to a
real HTTP receiver, retried after a failure; requeststates and responses poll it (only
the caller's own); a retry with the same X-CorrelationID runs nothing and sends no
second callback; a request whose task was lost runs when a worker starts; reversals are
new transfers, never more than the original."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.utils import timezone
from tests.support.http import Receiver, Reply

from nentang.kernel.webhooks import webhook_dispatch
from nentang.payments.models import Account, Transfer
from nentang.payments.tests.test_api import api, send

__all__ = ["api"]

pytestmark = pytest.mark.django_db(transaction=True)
AN, BINH = ("msisdn", "+84903123456"), ("msisdn", "+84912345678")
AGENT, SHOP = ("accountid", "agent:co-ba"), ("accountid", "merchant:banh-mi")


@pytest.fixture
def receiver(settings: Any) -> Iterator[Receiver]:
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    server = Receiver()
    yield server
    server.close()


def run_worker() -> None:
    """The real task worker of django-tasks-db, until both queues are empty."""
    call_command("db_worker", queue_name="default,webhooks", batch=True,
                 startup_delay=False, reload=False, interval=0, verbosity=0)  # fmt: skip


def verified(secret: str, request: Any) -> dict[str, Any]:
    """The callback's body, after checking its Standard Webhooks signature."""
    key = base64.b64decode(secret.split("_", 1)[1])
    headers = request.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{request.body.decode()}"
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in headers["webhook-signature"].split(" ")
    return dict(json.loads(request.body))


def asynchronous(api: httpx.Client, kind: str, amount: str, debit: Any, credit: Any,
                 url: str, correlation: str) -> httpx.Response:  # fmt: skip
    return api.post(
        f"/transactions/type/{kind}",
        json={"amount": amount, "currency": "VND",
              "debitParty": [{"key": debit[0], "value": debit[1]}],
              "creditParty": [{"key": credit[0], "value": credit[1]}]},
        headers={"X-CorrelationID": correlation, "X-Callback-URL": url},
    )  # fmt: skip


def test_callback_success_failure_retry_and_polling(api: httpx.Client, receiver: Receiver) -> None:
    url = receiver.url + "/gsma/callback"
    unregistered = asynchronous(api, "deposit", "1000", AGENT, AN, url, str(uuid.uuid4()))
    assert unregistered.status_code == 422
    assert unregistered.json()["code"] == "callback_url_not_registered"

    registered = api.post("/callbacks", json={"url": url})
    assert registered.status_code == 201
    secret = registered.json()["secret"]

    correlation = str(uuid.uuid4())
    accepted = asynchronous(api, "deposit", "300000", AGENT, AN, url, correlation)
    assert accepted.status_code == 202
    state = accepted.json()
    assert (state["status"], state["notificationMethod"]) == ("pending", "callback")
    assert state["objectReference"] == ""
    again = asynchronous(api, "deposit", "300000", AGENT, AN, url, correlation)
    assert again.json()["serverCorrelationId"] == state["serverCorrelationId"]
    other = asynchronous(api, "deposit", "300001", AGENT, AN, url, correlation)
    assert other.json()["code"] == "transfer_exists_with_different_parameters"
    assert Transfer.objects.filter(code="cash_in").count() == 0  # nothing ran yet

    receiver.reply(Reply(status=503))  # the first delivery fails, the retry succeeds
    run_worker()  # runs the request, then delivers its callback (which fails once)
    polled = api.get(f"/requeststates/{state['serverCorrelationId']}").json()
    assert polled["status"] == "completed"
    webhook_dispatch(now=timezone.now() + timedelta(hours=2))
    assert [r.path for r in receiver.requests] == ["/gsma/callback"] * 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    body = verified(secret, receiver.requests[1])
    assert body["topic"] == "payments.request.completed"
    data = body["data"]
    assert (data["serverCorrelationId"], data["status"]) == (state["serverCorrelationId"],
                                                              "completed")  # fmt: skip
    assert data["transaction"]["amount"] == "300000"
    assert data["transaction"]["transactionReference"] == polled["objectReference"]
    state = polled

    # A refusal in asynchronous mode: 202, then the error in the callback and the poll.
    refused = asynchronous(api, "transfer", "900000", AN, BINH, url, str(uuid.uuid4()))
    assert (refused.status_code, refused.json()["status"]) == (202, "pending")
    run_worker()
    refusal = api.get(f"/requeststates/{refused.json()['serverCorrelationId']}").json()
    assert refusal["status"] == "failed"
    assert refusal["errorReference"]["errorCode"] == "insufficient_funds"
    failed = verified(secret, receiver.requests[-1])["data"]
    assert failed["status"] == "failed"
    assert "transaction" not in failed
    run_worker()  # a task run again, or a retried request, sends nothing more
    asynchronous(api, "deposit", "300000", AGENT, AN, url, correlation)
    run_worker()
    assert len(receiver.requests) == 3
    assert Transfer.objects.filter(code="cash_in").count() == 1

    polled = api.get(f"/requeststates/{state['serverCorrelationId']}")
    assert polled.json()["objectReference"] == state["objectReference"]
    response = api.get(f"/responses/{correlation}").json()
    assert response["link"] == f"/api/v1/payments/transactions/{state['objectReference']}"
    assert api.get(f"/responses/{uuid.uuid4()}").status_code == 404
    assert api.get("/requeststates/not-a-uuid").status_code == 404


def test_reversals_are_new_transfers_and_never_exceed_the_original(api: httpx.Client) -> None:
    assert send(api, "deposit", "500000", AGENT, AN).status_code == 201
    paid = send(api, "merchantpay", "100000", AN, SHOP).json()
    reference = paid["transactionReference"]

    def reverse(amount: str | None, correlation: str | None = None) -> httpx.Response:
        return api.post(
            f"/transactions/{reference}/reversals",
            json={} if amount is None else {"amount": amount},
            headers={"X-CorrelationID": correlation or str(uuid.uuid4())},
        )

    key = str(uuid.uuid4())
    first = reverse("30000", key)
    assert first.status_code == 201
    assert first.json()["type"] == "reversal"
    assert first.json()["creditParty"] == paid["debitParty"]
    assert reverse("30000", key).json() == first.json()  # a retry: the same reversal
    assert reverse("30001", key).json()["code"] == "transfer_exists_with_different_parameters"
    too_much = reverse("70001")
    assert (too_much.status_code, too_much.json()["code"]) == (409, "reversal_exceeds_original")
    rest = reverse(None)
    assert (rest.status_code, rest.json()["amount"]) == (201, "70000")
    assert reverse(None).json()["code"] == "reversal_exceeds_original"
    assert reverse("0").status_code == 422
    assert reverse("-5").json()["code"] == "amount_not_whole"
    nothing = api.post(f"/transactions/{uuid.uuid4()}/reversals", json={},
                       headers={"X-CorrelationID": str(uuid.uuid4())})  # fmt: skip
    assert nothing.status_code == 404
    reversal_of_reversal = api.post(
        f"/transactions/{first.json()['transactionReference']}/reversals", json={},
        headers={"X-CorrelationID": str(uuid.uuid4())},
    )  # fmt: skip
    assert reversal_of_reversal.json()["code"] == "reversal_not_allowed"

    # The original is untouched; the money is back; the ledger still sums to zero.
    assert Transfer.objects.get(id=reference).amount == 100_000
    assert Account.objects.get(code="merchant:banh-mi").balance == 0
    wallet = api.get("/accounts/msisdn/+84903123456/balance").json()
    assert wallet["currentBalance"] == "500000"
    totals = [(a.credits_posted - a.debits_posted) for a in Account.objects.all()]
    assert sum(totals) == 0


def test_a_request_whose_task_was_lost_runs_when_a_worker_starts(
    api: httpx.Client, receiver: Receiver
) -> None:
    from django_tasks_db.models import DBTaskResult

    from nentang.kernel.worker import _start_hooks
    from nentang.payments import services

    url = receiver.url + "/gsma/callback"
    api.post("/callbacks", json={"url": url})
    accepted = asynchronous(api, "deposit", "1000", AGENT, AN, url, str(uuid.uuid4())).json()
    DBTaskResult.objects.all().delete()  # the after-commit enqueue lost with its connection
    run_worker()
    assert api.get(f"/requeststates/{accepted['serverCorrelationId']}").json()["status"] == (
        "pending"
    )

    assert services.requests_resume in _start_hooks  # run on every worker start
    assert services.requests_resume() == 1
    run_worker()

    polled = api.get(f"/requeststates/{accepted['serverCorrelationId']}").json()
    assert polled["status"] == "completed"
    assert [r.path for r in receiver.requests] == ["/gsma/callback"]
