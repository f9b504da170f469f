"""Where two contexts meet, end to end through their public doors and the wiring of
``nentang.config``: a dossier's fee paid from the applicant's wallet on the dossier page
(public services ↔ payments), and a paper result sent by post whose delivery completes
the dossier (public services ↔ post). Cash on delivery (post ↔ payments) is tested in
payments' own suite."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.apps import apps
from django.test import Client

from nentang.audit.services import security_defaults_install
from nentang.kernel.auditing import Actor
from nentang.payments import selectors as payments_selectors
from nentang.payments import services as payments
from nentang.postal import services as postal
from nentang.postal.tests import support as postal_support
from nentang.publicservices import services as publicservices
from nentang.publicservices.tests import support as ps_support

pytestmark = pytest.mark.django_db

Dossier = apps.get_model("publicservices", "Dossier")
Shipment = apps.get_model("postal", "Shipment")
DataUsage = apps.get_model("identity", "DataUsage")
FEE = 205_000  # judicial record certificate, form 1 (the catalogue's fee table)


@pytest.fixture
def cast() -> ps_support.Cast:
    security_defaults_install()
    return ps_support.cast()


def person_id(account: Any) -> Any:
    return account.person.pk


def wallet_with(cast: ps_support.Cast, amount: int) -> Any:
    an = person_id(cast.an)
    wallet = payments.wallet_open(actor=Actor.person(str(an)), person_id=an)
    agent = payments.agent_open(
        actor=Actor.system("tests"),
        code="dai-ly-ben-thanh",
        name="Đại lý Bến Thành",
        float_amount=10_000_000,
    )
    payments.cash_in(
        actor=Actor.system("tests"),
        agent=agent,
        wallet=wallet,
        amount=amount,
        idempotency_key="nap-tien-1",
    )
    return wallet


def dossier_waiting_for_its_fee(cast: ps_support.Cast) -> Any:
    dossier = publicservices.dossier_submit(
        actor=cast.an,
        procedure_slug="cap-phieu-ly-lich-tu-phap",
        agency_code="so-tu-phap-tp-hcm",
        data=ps_support.judicial_record(),
        documents=ps_support.papers("cap-phieu-ly-lich-tu-phap"),
    )
    publicservices.dossier_receive(actor=cast.justice, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert (dossier.state, dossier.fee_amount) == ("fee_due", FEE)
    return dossier


def balance(account_id: Any) -> int:
    account = apps.get_model("payments", "Account").objects.get(pk=account_id)
    return int(account.credits_posted - account.debits_posted)


def test_the_applicant_pays_the_fee_from_the_dossier_page(cast: ps_support.Cast) -> None:
    wallet = wallet_with(cast, 500_000)
    dossier = dossier_waiting_for_its_fee(cast)
    browser = Client()
    browser.force_login(cast.an)

    page = browser.get(f"/dossiers/{dossier.pk}").content.decode()
    assert "Thanh toán 205.000" in page  # the button names the amount

    paid = browser.post(f"/dossiers/{dossier.pk}", {"action": "pay_fee"})
    assert paid.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "processing"
    assert dossier.payment_reference
    fees = payments.agency_fee_account(agency_id_or_code="so-tu-phap-tp-hcm")
    assert balance(wallet.account_id) == 500_000 - FEE
    assert balance(fees.pk) == FEE
    assert payments_selectors.ledger_reconcile().ok

    # A second click (a double submit, a replay) takes nothing more.
    again = browser.post(f"/dossiers/{dossier.pk}", {"action": "pay_fee"})
    assert again.status_code == 302
    assert balance(wallet.account_id) == 500_000 - FEE
    assert balance(fees.pk) == FEE


def test_the_applicants_copy_of_his_data_holds_the_dossier_and_the_fee(
    cast: ps_support.Cast,
) -> None:
    """“Your data” gathers the sections of every context (kernel.personaldata)."""
    wallet_with(cast, 500_000)
    dossier = dossier_waiting_for_its_fee(cast)
    browser = Client()
    browser.force_login(cast.an)
    browser.post(f"/dossiers/{dossier.pk}", {"action": "pay_fee"})

    data = browser.get("/account/my-data/download").json()["sections"]

    [filed] = data["publicservices.dossiers"]
    assert filed["receipt_code"] == dossier.receipt_code
    assert [step["action"] for step in filed["steps"]][-1] == "fee_paid"
    [wallet] = data["payments.wallets"]
    assert wallet["balance_vnd"] == 500_000 - FEE
    assert [t["amount_vnd"] for t in wallet["transfers"]] == [500_000, -FEE]
    assert wallet["transfers"][-1]["other_party"] == "Sở Tư pháp TP Hồ Chí Minh"


def test_too_little_money_changes_nothing_and_says_why(cast: ps_support.Cast) -> None:
    wallet = wallet_with(cast, 100_000)
    dossier = dossier_waiting_for_its_fee(cast)
    browser = Client()
    browser.force_login(cast.an)

    response = browser.post(f"/dossiers/{dossier.pk}", {"action": "pay_fee"}, follow=True)

    assert response.status_code == 200
    dossier.refresh_from_db()
    assert dossier.state == "fee_due"
    assert not dossier.payment_reference
    assert balance(wallet.account_id) == 100_000
    assert "Thanh toán 205.000" in response.content.decode()  # still offered, nothing taken


def test_someone_else_cannot_pay_or_see_the_dossier(cast: ps_support.Cast) -> None:
    wallet_with(cast, 500_000)
    dossier = dossier_waiting_for_its_fee(cast)
    stranger = Client()
    stranger.force_login(cast.binh)

    assert stranger.post(f"/dossiers/{dossier.pk}", {"action": "pay_fee"}).status_code == 404
    dossier.refresh_from_db()
    assert dossier.state == "fee_due"


def test_a_result_by_post_is_shipped_and_its_delivery_completes_the_dossier(
    cast: ps_support.Cast,
) -> None:
    postal_support.network()
    dossier = dossier_waiting_for_its_fee(cast)
    publicservices.dossier_fee_paid(
        actor=Actor.system("payments"),
        dossier_reference=dossier.receipt_code,
        payment_reference="PAY-1",
        amount=FEE,
    )
    publicservices.dossier_process(actor=cast.justice, dossier_id=dossier.pk)
    publicservices.dossier_approve(actor=cast.justice, dossier_id=dossier.pk)

    publicservices.dossier_issue_result(actor=cast.justice, dossier_id=dossier.pk)

    shipment = Shipment.objects.get(dossier_reference=dossier.receipt_code)
    assert shipment.recipient_name == "Nguyễn Văn An"
    assert (
        DataUsage.objects.filter(
            person_id=person_id(cast.an), purpose__startswith="Gửi kết quả"
        ).exists()
        or DataUsage.objects.filter(person_id=person_id(cast.an)).count() >= 1
    )
    dossier.refresh_from_db()
    assert dossier.state == "delivery"

    # Scans of "yesterday" (the postal tests' convention): every time stays in the past.
    at = shipment.created_at - datetime.timedelta(days=1)
    outcomes = postal.scans_record(
        actor=Actor.system("tests"),
        items=[
            postal.ScanInput(shipment.s10, "EMA", at, "", ""),
            postal.ScanInput(shipment.s10, "EMI", at + datetime.timedelta(hours=6), "", ""),
        ],
    )
    assert [(o.result, o.status) for o in outcomes][-1] == ("recorded", "delivered"), outcomes

    dossier.refresh_from_db()
    assert dossier.state == "completed"
