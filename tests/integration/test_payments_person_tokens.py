"""A wallet holder calls the payments API with an access token of their own e-ID
(scope ``payments``), obtained by a relying party written with Authlib through our
provider's code flow: they reach their own wallet and nothing else — another person's
wallet, transactions and quotations are "not found", whichever id is tried — and the
operations of a provider's systems (deposits, withdrawals, batches, reversals,
callbacks) are refused.

Given Nguyễn Văn An and Trần Thị Bình (both level 2, each with a wallet), a shop and
an agent; the app "Ví An Tâm" holds An's token, the provider's back end a machine
token."""

from __future__ import annotations

import ipaddress
import uuid
from typing import Any

import httpx
import pytest

from nentang.audit.services import security_defaults_install
from nentang.identity import services as identity
from nentang.identity.oidc.services import client_register
from nentang.identity.tests import support
from nentang.identity.tests.oidc_support import CALLBACK, Browser, RelyingParty, callback_params
from nentang.kernel.auditing import Actor
from nentang.payments import services as payments
from nentang.payments.models import Quotation, Transfer

pytestmark = pytest.mark.django_db(transaction=True)
TESTS = Actor.system("tests")
SECRET = "provider-back-end-secret-2026"
AN_PHONE, BINH_PHONE = "+84903123456", "+84987654321"


@pytest.fixture
def world(live_server: Any, settings: Any) -> dict[str, Any]:
    support.administrative_units()
    security_defaults_install()
    base = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = base
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    admin = support.administrator()
    support.agency(admin)
    officer = support.officer(admin)
    wallets = {}
    for form in (support.an_form(), support.binh_form(residence=support.SAI_GON)):
        person = identity.person_register(**form)
        support.verify(person, officer)
        wallets[person.full_name] = payments.wallet_open(
            actor=Actor.person(str(person.id)), person_id=person.id
        )
    agent = payments.agent_open(actor=TESTS, code="co-ba", name="Tạp hóa Cô Ba",
                                float_amount=10**8)  # fmt: skip
    shop = payments.merchant_account_open(actor=TESTS, code="banh-mi", name="Bánh mì Sài Gòn")
    for name, amount in (("Nguyễn Văn An", 1_000_000), ("Trần Thị Bình", 500_000)):
        payments.cash_in(actor=TESTS, agent=agent, wallet=wallets[name], amount=amount,
                         idempotency_key=f"top-up-{name}")  # fmt: skip
    bought = payments.merchant_pay(actor=TESTS, payer=wallets["Trần Thị Bình"], merchant=shop,
                                   amount=30_000, idempotency_key="binh-banh-mi")  # fmt: skip

    app = client_register(actor=TESTS, name="Ví An Tâm", redirect_uris=[CALLBACK],
                          purpose="Ví điện tử của tôi", scopes=["openid", "payments"])  # fmt: skip
    client_register(actor=TESTS, name="Nhà cung cấp ví", grant="client_credentials",
                    client_id="provider", client_secret=SECRET, scopes=["payments"],
                    purpose="Hệ thống của nhà cung cấp")  # fmt: skip
    return {"base": base, "app": app, "wallets": wallets, "binh_purchase": bought}


def person_api(world: dict[str, Any], scope: str = "openid payments") -> httpx.Client:
    rp = RelyingParty(world["base"], world["app"].application.client_id,
                      world["app"].client_secret, scope=scope)  # fmt: skip
    browser = Browser(world["base"])
    params = callback_params(
        browser.authorize(rp.authorization_url(), login=(support.AN_ID, support.PASSWORD))
    )
    token = rp.exchange(params)["access_token"]
    return client(world, token)


def machine_api(world: dict[str, Any]) -> httpx.Client:
    token = httpx.post(f"{world['base']}/oidc/token",
                       data={"grant_type": "client_credentials", "scope": "payments"},
                       auth=("provider", SECRET)).json()["access_token"]  # fmt: skip
    return client(world, token)


def client(world: dict[str, Any], token: str) -> httpx.Client:
    return httpx.Client(base_url=f"{world['base']}/api/v1/payments",
                        headers={"Authorization": f"Bearer {token}"}, timeout=30)  # fmt: skip


def transfer(api: httpx.Client, kind: str, debit: tuple[str, str], credit: tuple[str, str],
             amount: str = "50000", correlation: str = "") -> httpx.Response:  # fmt: skip
    return api.post(
        f"/transactions/type/{kind}",
        json={"amount": amount, "debitParty": [{"key": debit[0], "value": debit[1]}],
              "creditParty": [{"key": credit[0], "value": credit[1]}]},
        headers={"X-CorrelationID": correlation or str(uuid.uuid4())},
    )  # fmt: skip


def problem(response: httpx.Response) -> tuple[int, str]:
    assert response.headers["Content-Type"].startswith("application/problem+json")
    return response.status_code, response.json()["code"]


def test_a_person_pays_and_reads_only_their_own_wallet(world: dict[str, Any]) -> None:
    an = person_api(world)
    binh_wallet = world["wallets"]["Trần Thị Bình"]

    paid = transfer(an, "transfer", ("msisdn", AN_PHONE), ("msisdn", BINH_PHONE))
    assert paid.status_code == 201, paid.text
    mine = an.get(f"/transactions/{paid.json()['transactionReference']}")
    assert mine.status_code == 200
    assert an.get(f"/accounts/msisdn/{AN_PHONE}/balance").json()["currentBalance"] == "950000"
    statement = an.get(f"/accounts/walletid/{world['wallets']['Nguyễn Văn An'].id}"
                       "/statemententries").json()  # fmt: skip
    assert [e["type"] for e in statement["items"]] == ["transfer", "deposit"]

    # Bình's wallet, by each kind of id, and a transaction An has no part in.
    for path in (f"/accounts/msisdn/{BINH_PHONE}/balance",
                 f"/accounts/walletid/{binh_wallet.id}/balance",
                 f"/accounts/accountid/{binh_wallet.account.code}/statemententries"):  # fmt: skip
        assert problem(an.get(path)) == (404, "payment_account_not_found"), path
    foreign = an.get(f"/transactions/{world['binh_purchase'].id}")
    assert problem(foreign) == (404, "transaction_not_found")


def test_a_person_cannot_pay_from_another_persons_wallet(world: dict[str, Any]) -> None:
    an = person_api(world)
    before = Transfer.objects.count()

    for debit in (("msisdn", BINH_PHONE), ("walletid", str(world["wallets"]["Trần Thị Bình"].id))):
        for kind, credit in (("transfer", ("msisdn", AN_PHONE)),
                             ("merchantpay", ("accountid", "merchant:banh-mi"))):  # fmt: skip
            answer = transfer(an, kind, debit, credit)
            assert problem(answer) == (404, "payment_account_not_found"), (kind, debit)
        quoted = an.post("/quotations", json={
            "requestAmount": "1000", "type": "transfer",
            "debitParty": [{"key": debit[0], "value": debit[1]}],
            "creditParty": [{"key": "msisdn", "value": AN_PHONE}]})  # fmt: skip
        assert problem(quoted) == (404, "payment_account_not_found")

    assert Transfer.objects.count() == before
    assert Quotation.objects.count() == 0


def test_provider_operations_are_refused_to_a_persons_token(world: dict[str, Any]) -> None:
    an = person_api(world)
    original = transfer(an, "transfer", ("msisdn", AN_PHONE), ("msisdn", BINH_PHONE))
    before = Transfer.objects.count()
    gift = {
        "id": str(uuid.uuid4()),
        "debitAccount": "agent:co-ba",
        "amount": 10**6,
        "creditAccount": world["wallets"]["Nguyễn Văn An"].account.code,
        "code": "gift",
    }
    reverse = f"/transactions/{original.json()['transactionReference']}/reversals"
    refused = [
        transfer(an, "deposit", ("accountid", "agent:co-ba"), ("msisdn", AN_PHONE)),
        transfer(an, "withdrawal", ("msisdn", AN_PHONE), ("accountid", "agent:co-ba")),
        an.post("/batchtransactions", json={"transfers": [gift]}),
        an.post(reverse, json={}, headers={"X-CorrelationID": str(uuid.uuid4())}),
        an.post("/callbacks", json={"url": "http://127.0.0.1:9/cb"}),
    ]
    for answer in refused:
        assert problem(answer) == (403, "payments_machine_client_only"), answer.request.url
    assert Transfer.objects.count() == before


def test_correlation_ids_and_quotations_belong_to_who_made_them(world: dict[str, Any]) -> None:
    an, provider = person_api(world), machine_api(world)
    correlation = str(uuid.uuid4())
    mine = transfer(an, "transfer", ("msisdn", AN_PHONE), ("msisdn", BINH_PHONE),
                    correlation=correlation)  # fmt: skip
    quotation = an.post("/quotations", json={
        "requestAmount": "1000", "type": "transfer",
        "debitParty": [{"key": "msisdn", "value": AN_PHONE}],
        "creditParty": [{"key": "msisdn", "value": BINH_PHONE}]}).json()  # fmt: skip

    assert (
        an.get(f"/responses/{correlation}").json()["objectReference"]
        == (mine.json()["transactionReference"])
    )
    # The same app's machine side, or the provider, do not see the person's requests.
    assert problem(provider.get(f"/responses/{correlation}")) == (404, "request_state_not_found")
    assert problem(provider.get(f"/quotations/{quotation['quotationReference']}")) == (
        404, "quotation_not_found",
    )  # fmt: skip
    # The provider's own request with the same correlation id is another transaction.
    theirs = transfer(provider, "transfer", ("msisdn", BINH_PHONE), ("msisdn", AN_PHONE),
                      correlation=correlation)  # fmt: skip
    assert theirs.status_code == 201, theirs.text
    assert theirs.json()["transactionReference"] != mine.json()["transactionReference"]


def test_a_token_without_the_payments_scope_is_refused(world: dict[str, Any]) -> None:
    an = person_api(world, scope="openid")

    answer = an.get(f"/accounts/msisdn/{AN_PHONE}/balance")

    assert problem(answer) == (401, "invalid_token")
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
