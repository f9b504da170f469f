"""The GSMA-shaped API over real HTTP with a real access token of our provider:
deposit at an agent, transfer by phone number, merchant payment, bill payment, balance,
statement, X-CorrelationID replays, bad input as problem+json, batch and VietQR."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from nentang.identity import services as identity
from nentang.payments import services
from nentang.payments.models import Account, Transfer
from nentang.payments.tests.support import OPERATOR, as_person, person

pytestmark = pytest.mark.django_db(transaction=True)

SECRET = "payments-secret-for-tests-2026"


@pytest.fixture
def api(live_server: Any, settings: Any) -> httpx.Client:
    from django.apps import apps

    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    base = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = base
    identity.client_register(actor=OPERATOR, name="Ví nền tảng", grant="client_credentials",
                             client_id="vi-app", client_secret=SECRET, scopes=["payments"],
                             purpose="Ví điện tử")  # fmt: skip
    services.agent_open(actor=OPERATOR, code="co-ba", name="Tạp hoá Cô Ba", float_amount=10**8)
    services.merchant_account_open(actor=OPERATOR, code="banh-mi", name="Bánh mì Sài Gòn")
    for name, phone in (("Nguyễn Văn An", "+84903123456"), ("Trần Thị Bình", "+84912345678")):
        who = person(name, phone=phone)
        services.wallet_open(actor=as_person(who), person_id=who.id)
    apps.get_model("identity", "Agency").objects.create(
        code="ubnd-sai-gon", name="UBND phường Sài Gòn", kind="commune", province_code="79"
    )
    services.agency_fee_account(agency_id_or_code="ubnd-sai-gon")
    token = httpx.post(
        f"{base}/oidc/token",
        data={"grant_type": "client_credentials", "scope": "payments"},
        auth=("vi-app", SECRET),
        timeout=30,
    ).json()["access_token"]
    return httpx.Client(
        base_url=f"{base}/api/v1/payments",
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )


def send(api: httpx.Client, kind: str, amount: str, debit: tuple[str, str],
         credit: tuple[str, str], correlation: str | None = None) -> httpx.Response:  # fmt: skip
    return api.post(
        f"/transactions/type/{kind}",
        json={
            "amount": amount,
            "currency": "VND",
            "debitParty": [{"key": debit[0], "value": debit[1]}],
            "creditParty": [{"key": credit[0], "value": credit[1]}],
            "requestingOrganisationTransactionReference": "REF-1",
        },
        headers={"X-CorrelationID": correlation or str(uuid.uuid4())},
    )


def test_a_citizen_tops_up_pays_and_reads_the_statement(api: httpx.Client) -> None:
    an, binh = ("msisdn", "0903123456"), ("msisdn", "+84912345678")
    deposit = send(api, "deposit", "500000", ("accountid", "agent:co-ba"), an)
    assert deposit.status_code == 201, deposit.text
    assert deposit.json()["transactionStatus"] == "completed"

    correlation = str(uuid.uuid4())
    first = send(api, "transfer", "120000", an, binh, correlation)
    again = send(api, "transfer", "120000", an, binh, correlation)
    assert first.status_code == again.status_code == 201
    assert first.json()["transactionReference"] == again.json()["transactionReference"]
    changed = send(api, "transfer", "120001", an, binh, correlation)
    assert (changed.status_code, changed.json()["code"]) == (
        409,
        "transfer_exists_with_different_parameters",
    )
    assert (
        send(api, "merchantpay", "35000", an, ("accountid", "merchant:banh-mi")).status_code == 201
    )
    bill = send(api, "billpay", "50000", an, ("accountid", "agency:ubnd-sai-gon"))
    assert bill.status_code == 201, bill.text

    balance = api.get("/accounts/msisdn/0903123456/balance").json()
    assert balance["currentBalance"] == str(500_000 - 120_000 - 35_000 - 50_000)
    statement = api.get("/accounts/msisdn/0903123456/statemententries", params={"limit": 2})
    page = statement.json()
    assert [e["type"] for e in page["items"]] == ["billpay", "merchantpay"]
    rest = api.get("/accounts/msisdn/0903123456/statemententries",
                   params={"cursor": page["next_cursor"]}).json()  # fmt: skip
    assert [e["type"] for e in rest["items"]] == ["transfer", "deposit"]
    read = api.get(f"/transactions/{first.json()['transactionReference']}").json()
    assert (read["type"], read["amount"]) == ("transfer", "120000")


@pytest.mark.parametrize(
    ("amount", "currency", "header", "status", "code"),
    [
        ("0", "VND", True, 422, "amount_must_be_positive"),
        ("12.5", "VND", True, 422, "amount_not_whole"),
        ("1000", "USD", True, 422, "wrong_currency"),
        ("1000", "VND", False, 400, "correlation_id_required"),
        ("99000000", "VND", True, 409, "insufficient_funds"),
    ],
)
def test_bad_input_is_problem_json_and_writes_nothing(
    api: httpx.Client, amount: str, currency: str, header: bool, status: int, code: str
) -> None:
    before = Transfer.objects.count()
    answer = api.post(
        "/transactions/type/transfer",
        json={"amount": amount, "currency": currency,
              "debitParty": [{"key": "msisdn", "value": "0903123456"}],
              "creditParty": [{"key": "msisdn", "value": "0912345678"}]},
        headers={"X-CorrelationID": str(uuid.uuid4())} if header else {},
    )  # fmt: skip
    assert answer.status_code == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == code
    assert Transfer.objects.count() == before
    unknown = send(api, "transfer", "1", ("msisdn", "0900000000"), ("msisdn", "0912345678"))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "payment_account_not_found")


def test_batch_and_vietqr_endpoints(api: httpx.Client) -> None:
    ids = [str(uuid.uuid4()) for _ in range(3)]
    batch = api.post("/batchtransactions", json={"transfers": [
        {"id": ids[0], "debitAccount": "agent:co-ba", "creditAccount": "merchant:banh-mi",
         "amount": 1000, "code": "settle"},
        {"id": ids[1], "debitAccount": "merchant:banh-mi", "creditAccount": "agent:co-ba",
         "amount": 5000, "code": "settle"},
        {"id": ids[2], "debitAccount": "nope", "creditAccount": "agent:co-ba",
         "amount": 1, "code": "settle"},
    ]})  # fmt: skip
    assert batch.status_code == 200, batch.text
    assert [r["status"] for r in batch.json()["results"]] == [
        "created",
        "insufficient_funds",
        "debit_account_not_found",
    ]
    assert Account.objects.get(code="merchant:banh-mi").balance == 1000

    made = api.post("/vietqr/generate", json={"bank_bin": "970415", "account": "0011001932418",
                    "amount": 120000, "purpose": "ung ho lu lut"})  # fmt: skip
    payload = made.json()["payload"]
    assert payload.endswith("6304C15C")
    assert made.json()["svg"].startswith("<svg")
    parsed = api.post("/vietqr/parse", json={"payload": payload[:-1] + "D"})
    assert (parsed.status_code, parsed.json()["code"]) == (422, "qr_bad_crc")
    assert api.post("/vietqr/parse", json={"payload": payload}).json()["amount"] == 120000
    assert httpx.get(f"{api.base_url}transactions/x").status_code == 401
