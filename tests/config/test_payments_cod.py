"""Postal and payments wired by the configuration: a merchant's parcel with cash on
delivery created through postal's API holds the amount in the ledger; delivered with the
cash collected and remitted, the money is in the merchant's account; a returned parcel
voids its hold. (The adapter is installed at start-up by config/wiring/apps.py.)"""

from __future__ import annotations

import datetime
import uuid
from typing import Any

import httpx
import pytest
from django.apps import apps
from django.utils import timezone

from nentang.payments import selectors as payments_selectors
from nentang.payments import services as payments
from nentang.postal import services as postal
from nentang.postal.services import cod_ledger
from nentang.postal.tests import support
from nentang.postal.tests.support import CLIENT_ID, CLIENT_SECRET, OPERATOR

pytestmark = pytest.mark.django_db(transaction=True)

ORDER = {
    "service": "ecommerce",
    "weight_g": 1200,
    "length_cm": 30,
    "width_cm": 20,
    "height_cm": 10,
    "cod_amount": 150000,
    "recipient": {
        "name": "Trần Thị Bình",
        "phone": "0912345678",
        "address": "so 5 ngo 10 ton that tung, p khuong thuong, q dong da, hn",
    },
}


@pytest.fixture
def base(live_server: Any, settings: Any) -> str:
    from nentang.audit.services import security_defaults_install

    url = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = url
    security_defaults_install()
    support.cast()
    return url


def balance(code: str) -> tuple[int, int]:
    account = apps.get_model("payments", "Account").objects.get(code=code)
    return account.balance, account.credits_pending


def test_cod_through_postal_api_lands_in_the_merchant_account(base: str) -> None:
    assert isinstance(cod_ledger(), payments.PaymentsCodLedger)
    answer = httpx.post(
        f"{base}/oidc/token",
        data={"grant_type": "client_credentials", "scope": "postal"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    shop = httpx.Client(
        base_url=f"{base}/api/v1/postal",
        headers={"Authorization": f"Bearer {answer.json()['access_token']}"},
        timeout=30,
    )
    paid = shop.post("/shipments", json={**ORDER, "client_order_code": "COD-1"},
                     headers={"Idempotency-Key": "cod-1"})  # fmt: skip
    back = shop.post("/shipments", json={**ORDER, "client_order_code": "COD-2"},
                     headers={"Idempotency-Key": "cod-2"})  # fmt: skip
    assert paid.status_code == back.status_code == 201, paid.text
    merchant_code = "banh-mi-sai-gon"
    payable = f"cod-payable:{merchant_code}"
    assert balance(payable) == (0, 300_000)  # two holds

    yesterday = timezone.now() - datetime.timedelta(days=1)
    postal.scans_record(actor=OPERATOR, items=[
        postal.ScanInput(paid.json()["s10"], "EMI", yesterday, "bc-kim-lien", ""),
        postal.ScanInput(back.json()["s10"], "RTS", yesterday, "bc-kim-lien", "refused"),
    ])  # fmt: skip
    assert balance(payable) == (150_000, 0)  # one collected, one voided

    merchant = apps.get_model("postal", "Merchant").objects.get(code=merchant_code)
    later = timezone.now() + datetime.timedelta(days=2)
    remittance = postal.cod_remittance_run(actor=OPERATOR, merchant=merchant, now=later)
    assert remittance is not None
    assert balance(f"merchant:{merchant_code}") == (150_000, 0)
    assert balance(payable) == (0, 0)
    hold = payments.transfer_id("cod-hold", uuid.UUID(back.json()["id"]))
    voided = apps.get_model("payments", "Transfer").objects.get(id=hold)
    assert payments_selectors.pending_state(transfer=voided) == "voided"
    assert payments_selectors.ledger_reconcile().ok


@pytest.mark.django_db
def test_a_bulk_import_holds_its_cod_in_one_ledger_batch_with_the_errors_of_one_by_one() -> None:
    from django.db import transaction

    from nentang.kernel.errors import Conflict
    from nentang.postal.models import Shipment
    from nentang.postal.services.cod import LocalCodLedger
    from nentang.postal.services.shipments import ImportRecord, shipments_import

    cast = support.cast()
    created = timezone.now() - datetime.timedelta(days=1)
    records = [
        ImportRecord(support.parcel(client_order_code=f"IMP-{n}", cod_amount=cod), created)
        for n, cod in enumerate([150_000, 0, 80_000])
    ]
    audit = apps.get_model("audit", "AuditEntry").objects
    batches = audit.filter(action="payments.transfers.create").count()
    shipments = shipments_import(actor=OPERATOR, merchant=cast.merchant, records=records)
    assert [s.cod_status for s in shipments] == ["pending", "none", "pending"]
    assert balance("cod-payable:banh-mi-sai-gon") == (0, 230_000)
    assert audit.filter(action="payments.transfers.create").count() == batches + 1  # one batch
    Transfer = apps.get_model("payments", "Transfer")
    holds = Transfer.objects.filter(code="cod", kind="pending")
    assert sorted(holds.values_list("amount", flat=True)) == [80_000, 150_000]

    # An invalid hold among valid ones (its id held before with another amount): the
    # same problem as one by one, and nothing of the call is written.
    ledger = cod_ledger()
    assert isinstance(ledger, payments.PaymentsCodLedger)
    retried = Shipment(id=shipments[0].id, merchant=cast.merchant, cod_amount=150_001)
    new = [Shipment(id=uuid.uuid4(), merchant=cast.merchant, cod_amount=1_000) for _ in "ab"]
    before = Transfer.objects.count()
    codes = []
    for hold_all in (
        ledger.hold_many,
        lambda shipments: LocalCodLedger.hold_many(ledger, shipments=shipments),
    ):
        with pytest.raises(Conflict) as refused, transaction.atomic():
            hold_all(shipments=[new[0], retried, new[1]])
        codes.append(refused.value.code)
    assert codes == ["transfer_exists_with_different_parameters"] * 2
    assert Transfer.objects.count() == before
    # Retried as they were, the holds are answered with the ones that exist.
    ledger.hold_many(shipments=[shipments[0], shipments[2]])
    assert Transfer.objects.count() == before
    assert payments_selectors.ledger_reconcile().ok
