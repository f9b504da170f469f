"""GSMA quotations over real HTTP, under the example tariff (fee-schedule.example.json):
the fee quoted is the fee charged, with or without the quotation; a quotation holds its
fee when the tariff changes; Idempotency-Key; bad input as problem+json, nothing
written."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.utils import timezone

from nentang.payments import selectors, services
from nentang.payments.models import Account, Quotation, Transfer
from nentang.payments.services.fee_schedule import DEFAULT_FILE
from nentang.payments.tests.support import OPERATOR
from nentang.payments.tests.test_api import api, send

__all__ = ["api"]

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLE = DEFAULT_FILE.with_name("fee-schedule.example.json")
AN, BINH = ("msisdn", "0903123456"), ("msisdn", "0912345678")
SHOP, AGENT = ("accountid", "merchant:banh-mi"), ("accountid", "agent:co-ba")


@pytest.fixture
def priced(api: httpx.Client, settings: Any) -> httpx.Client:
    """The API under the example tariff, An's wallet topped up with 2,000,000 ₫."""
    settings.PAYMENTS_FEE_SCHEDULE = str(EXAMPLE)
    assert send(api, "deposit", "2000000", AGENT, AN).status_code == 201
    return api


def quote(api: httpx.Client, kind: str, amount: str, debit: tuple[str, str],
          credit: tuple[str, str], **headers: str) -> httpx.Response:  # fmt: skip
    return api.post(
        "/quotations",
        json={
            "requestAmount": amount,
            "requestCurrency": "VND",
            "type": kind,
            "debitParty": [{"key": debit[0], "value": debit[1]}],
            "creditParty": [{"key": credit[0], "value": credit[1]}],
        },
        headers=headers,
    )


def pay(api: httpx.Client, kind: str, amount: str, debit: tuple[str, str],
        credit: tuple[str, str], quotation: str = "") -> httpx.Response:  # fmt: skip
    body: dict[str, Any] = {
        "amount": amount,
        "debitParty": [{"key": debit[0], "value": debit[1]}],
        "creditParty": [{"key": credit[0], "value": credit[1]}],
    }
    if quotation:
        body["quotationReference"] = quotation
    return api.post(f"/transactions/type/{kind}", json=body,
                    headers={"X-CorrelationID": str(uuid.uuid4())})  # fmt: skip


def balance(code_or_phone: tuple[str, str]) -> int:
    return selectors.party_account(
        identifier_type=code_or_phone[0], identifier=code_or_phone[1]
    ).balance


def revenue() -> int:
    return services.system_account("system:fee-revenue").balance


def test_a_quoted_transfer_is_charged_the_quoted_fee(priced: httpx.Client) -> None:
    quoted = quote(priced, "transfer", "600000", AN, BINH)

    assert quoted.status_code == 201, quoted.text
    body = quoted.json()
    [offer] = body["quotes"]
    assert (body["quotationStatus"], body["type"], body["requestAmount"]) == (
        "completed", "transfer", "600000",
    )  # fmt: skip
    assert offer["fees"] == [{"feeType": "serviceFee", "feeAmount": "1100", "feeCurrency": "VND"}]
    assert (offer["sendingAmount"], offer["receivingAmount"]) == ("601100", "600000")
    assert priced.get(f"/quotations/{body['quotationReference']}").json() == body

    paid = pay(priced, "transfer", "600000", AN, BINH, body["quotationReference"])

    assert paid.status_code == 201, paid.text
    assert paid.json()["fees"] == offer["fees"]
    assert balance(AN) == 2_000_000 - 601_100
    assert balance(BINH) == 600_000
    assert revenue() == 1_100
    assert selectors.ledger_reconcile().ok


def test_without_a_quotation_the_schedule_charges_what_a_quote_says(priced: httpx.Client) -> None:
    offer = quote(priced, "merchantpay", "1000000", AN, SHOP).json()["quotes"][0]
    assert (offer["sendingAmount"], offer["receivingAmount"]) == ("1000000", "994000")

    paid = pay(priced, "merchantpay", "1000000", AN, SHOP)  # no quotationReference

    assert paid.json()["fees"][0]["feeAmount"] == offer["fees"][0]["feeAmount"] == "6000"
    assert balance(AN) == 1_000_000  # the merchant bears this fee
    assert balance(SHOP) == 994_000
    assert revenue() == 6_000
    cash_out = quote(priced, "withdrawal", "100000", AN, AGENT).json()["quotes"][0]
    assert cash_out["sendingAmount"] == "103300"
    assert pay(priced, "withdrawal", "100000", AN, AGENT).json()["fees"][0]["feeAmount"] == "3300"
    assert balance(AN) == 1_000_000 - 103_300


def test_a_quotation_holds_its_fee_when_the_tariff_changes(
    priced: httpx.Client, settings: Any, tmp_path: Path
) -> None:
    reference = quote(priced, "transfer", "600000", AN, BINH).json()["quotationReference"]
    dearer = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    dearer["schedules"][1]["fees"]["transfer"]["tiers"][1]["fixed"] = 5_500
    settings.PAYMENTS_FEE_SCHEDULE = str(tmp_path / "dearer.json")
    (tmp_path / "dearer.json").write_text(json.dumps(dearer), encoding="utf-8")

    with_quote = pay(priced, "transfer", "600000", AN, BINH, reference)
    without = pay(priced, "transfer", "600000", AN, BINH)

    assert with_quote.json()["fees"][0]["feeAmount"] == "1100"
    assert without.json()["fees"][0]["feeAmount"] == "5500"
    assert revenue() == 6_600


def test_idempotency_key_returns_the_same_quotation(priced: httpx.Client) -> None:
    first = quote(priced, "transfer", "600000", AN, BINH, **{"Idempotency-Key": "q-1"})
    again = quote(priced, "transfer", "600000", AN, BINH, **{"Idempotency-Key": "q-1"})
    other = quote(priced, "transfer", "700000", AN, BINH, **{"Idempotency-Key": "q-1"})

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert (other.status_code, other.json()["code"]) == (409, "idempotency_key_reused")
    assert Quotation.objects.count() == 1


@pytest.mark.parametrize(
    ("change", "status", "code", "field"),
    [
        ({"requestAmount": "12.5"}, 422, "amount_not_whole", "requestAmount"),
        ({"requestAmount": "0"}, 422, "amount_must_be_positive", "amount"),
        ({"requestCurrency": "USD"}, 422, "wrong_currency", "requestCurrency"),
        ({"creditParty": [{"key": "msisdn", "value": "0900000000"}]}, 404,
         "payment_account_not_found", None),
        ({"type": "billpay"}, 422, "payment_party_invalid", "creditParty"),
        ({"type": "lottery"}, 422, "validation_failed", None),
    ],
)  # fmt: skip
def test_bad_quotation_input_is_problem_json_and_writes_nothing(
    priced: httpx.Client, change: dict[str, Any], status: int, code: str, field: str | None
) -> None:
    body = {
        "requestAmount": "600000",
        "requestCurrency": "VND",
        "type": "transfer",
        "debitParty": [{"key": "msisdn", "value": "0903123456"}],
        "creditParty": [{"key": "msisdn", "value": "0912345678"}],
        **change,
    }
    answer = priced.post("/quotations", json=body)

    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == code
    if field:
        assert [e["field"] for e in answer.json()["errors"]] == [field]
    assert Quotation.objects.count() == 0


def test_a_transaction_that_is_not_the_quoted_one_is_refused(priced: httpx.Client) -> None:
    reference = quote(priced, "transfer", "600000", AN, BINH).json()["quotationReference"]
    before = Transfer.objects.count()

    other_amount = pay(priced, "transfer", "600001", AN, BINH, reference)
    other_payee = pay(priced, "merchantpay", "600000", AN, SHOP, reference)
    unknown = pay(priced, "transfer", "600000", AN, BINH, str(uuid.uuid4()))
    expired = services.quotation_create(
        actor=OPERATOR, client_id="vi-app", kind="transfer",
        debit=Account.objects.get(wallet__phone="+84903123456"),
        credit=Account.objects.get(wallet__phone="+84912345678"), amount=600_000,
        now=timezone.now() - timedelta(minutes=16),
    )  # fmt: skip
    late = pay(priced, "transfer", "600000", AN, BINH, str(expired.reference))

    assert (other_amount.status_code, other_amount.json()["code"]) == (422, "quotation_mismatch")
    assert [e["field"] for e in other_amount.json()["errors"]] == ["amount"]
    assert [e["field"] for e in other_payee.json()["errors"]] == ["type", "creditParty"]
    assert (unknown.status_code, unknown.json()["code"]) == (404, "quotation_not_found")
    assert (late.status_code, late.json()["code"]) == (409, "quotation_expired")
    assert Transfer.objects.count() == before


def test_a_fee_the_wallet_cannot_cover_stops_the_payment(priced: httpx.Client) -> None:
    before = Transfer.objects.count()

    # 2,000,000 ₫ in the wallet; 2,000,000 ₫ plus a 1,100 ₫ fee is too much.
    refused = pay(priced, "transfer", "2000000", AN, BINH)

    assert (refused.status_code, refused.json()["code"]) == (409, "insufficient_funds")
    assert Transfer.objects.count() == before
    assert (balance(AN), balance(BINH), revenue()) == (2_000_000, 0, 0)


def test_another_clients_quotation_is_not_found(priced: httpx.Client) -> None:
    theirs = services.quotation_create(
        actor=OPERATOR, client_id="another-app", kind="transfer",
        debit=Account.objects.get(wallet__phone="+84903123456"),
        credit=Account.objects.get(wallet__phone="+84912345678"), amount=600_000,
    )  # fmt: skip

    read = priced.get(f"/quotations/{theirs.reference}")
    used = pay(priced, "transfer", "600000", AN, BINH, str(theirs.reference))

    assert (read.status_code, read.json()["code"]) == (404, "quotation_not_found")
    assert (used.status_code, used.json()["code"]) == (404, "quotation_not_found")
    assert priced.get("/quotations/not-a-uuid").status_code == 404
