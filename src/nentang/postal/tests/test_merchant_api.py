"""The merchant's journey over real HTTP: an OAuth token from our provider, quote, create
(Idempotency-Key, client order code), label, list, tracking, cancel, bulk CSV, and the
``postal.shipment.updated`` webhooks delivered by the real worker to a real receiver."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import ipaddress
import json
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from pypdf import PdfReader
from tests.support.http import Receiver

from nentang.kernel.models import WebhookDelivery
from nentang.postal import services
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
    "client_order_code": "BMSG-1001",
    "recipient": {
        "name": "Trần Thị Bình",
        "phone": "0912345678",
        "address": "so 5 ngo 10 ton that tung, p khuong thuong, q dong da, hn",
    },
}


@pytest.fixture
def base(live_server: Any, settings: Any) -> str:
    url = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = url
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    support.cast()
    return url


def token(base: str, client_id: str = CLIENT_ID, scope: str = "postal") -> str:
    answer = httpx.post(
        f"{base}/oidc/token",
        data={"grant_type": "client_credentials", "scope": scope},
        auth=(client_id, CLIENT_SECRET),
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def api(base: str, bearer: str) -> httpx.Client:
    return httpx.Client(
        base_url=f"{base}/api/v1/postal", headers={"Authorization": f"Bearer {bearer}"}, timeout=30
    )


def run_worker() -> None:
    call_command(
        "db_worker",
        queue_name="webhooks",
        batch=True,
        startup_delay=False,
        reload=False,
        interval=0,
        verbosity=0,
    )


def verify(received: Any, secret: str) -> dict[str, Any]:
    """Check the Standard Webhooks signature the way a shop's receiver would."""
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in headers["webhook-signature"].split()
    return dict(json.loads(received.body))


def test_a_merchant_ships_labels_and_tracks_a_parcel_with_cod(
    base: str, receiver: Receiver
) -> None:
    shop = api(base, token(base))
    hook = shop.post("/webhooks", json={"url": receiver.url + "/hooks/nentang"})
    assert hook.status_code == 201, hook.text
    secret = hook.json()["secret"]

    quote = shop.post("/quotes", json={k: v for k, v in ORDER.items() if k != "client_order_code"})
    assert quote.status_code == 200, quote.text
    assert quote.json()["fee_total"] == 62000

    created = shop.post("/shipments", json=ORDER, headers={"Idempotency-Key": "order-1001"})
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["recipient"]["ward_code"] == "00229"
    assert body["cod_status"] == "pending"
    again = shop.post("/shipments", json=ORDER, headers={"Idempotency-Key": "order-1001"})
    assert (again.status_code, again.json()["s10"], again.headers["Idempotent-Replayed"]) == (
        201,
        body["s10"],
        "true",
    )
    duplicate = shop.post("/shipments", json=ORDER)
    assert (duplicate.status_code, duplicate.json()["code"]) == (409, "client_order_code_taken")

    label = shop.get(f"/shipments/{body['id']}/label")
    assert label.headers["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(label.content))
    page = pdf.pages[0]
    width_mm, height_mm = (float(v) * 25.4 / 72 for v in page.mediabox.upper_right)
    assert (round(width_mm), round(height_mm)) == (100, 150)
    text = page.extract_text()
    assert "Trần Thị Bình" in text
    assert "Phường Kim Liên" in text
    assert "150.000 ₫" in text

    s10 = body["s10"]
    for code, facility in (
        ("EMA", "bc-sai-gon"),
        ("EDD", "ktc-tan-son-nhat"),
        ("EDG", "bc-kim-lien"),
    ):
        [outcome] = services.scans_record(
            actor=OPERATOR, items=[services.ScanInput(s10, code, facility_code=facility)]
        )
        assert outcome.result == "recorded"
    cancel = shop.post(f"/shipments/{s10}/cancel")
    assert (cancel.status_code, cancel.json()["code"]) == (409, "shipment_not_cancellable")
    services.scans_record(
        actor=OPERATOR, items=[services.ScanInput(s10, "EMI", facility_code="bc-kim-lien")]
    )

    tracking = shop.get(f"/shipments/{s10}/tracking").json()
    assert [e["code"] for e in tracking["events"]] == ["EMA", "EDD", "EDG", "EMI"]
    detail = shop.get(f"/shipments/{body['id']}").json()
    assert (detail["status"], detail["cod_status"]) == ("delivered", "collected")
    listed = shop.get("/shipments", params={"status": "delivered"}).json()
    assert [item["s10"] for item in listed["items"]] == [s10]

    run_worker()
    # Delivered in no particular order; event ids are UUIDv7, in the order of emission.
    updates = sorted((verify(r, secret) for r in receiver.requests), key=lambda u: u["id"])
    assert [(u["data"]["event"], u["data"]["status"]) for u in updates] == [
        (None, "pre_transit"),
        ("EMA", "in_transit"),
        ("EDD", "in_transit"),
        ("EDG", "out_for_delivery"),
        ("EMI", "delivered"),
    ]
    assert {u["topic"] for u in updates} == {"postal.shipment.updated"}
    assert updates[-1]["data"]["cod_status"] == "collected"
    assert "Trần" not in json.dumps(updates, ensure_ascii=False)  # no personal data in events
    assert WebhookDelivery.objects.filter(status="succeeded").count() == 5


def test_another_merchant_sees_none_of_it(base: str, receiver: Receiver) -> None:
    shop = api(base, token(base))
    created = shop.post("/shipments", json=ORDER).json()
    support.merchant(client_id="cua-hang-khac-api", code="cua-hang-khac")
    other = api(base, token(base, "cua-hang-khac-api"))
    hook = other.post("/webhooks", json={"url": receiver.url + "/other"})
    assert hook.status_code == 201

    for path in (
        f"/shipments/{created['id']}",
        f"/shipments/{created['s10']}",
        f"/shipments/{created['id']}/label",
        f"/shipments/{created['id']}/tracking",
    ):
        answer = other.get(path)
        assert (answer.status_code, answer.json()["code"]) == (404, "shipment_not_found")
    assert other.post(f"/shipments/{created['id']}/cancel").status_code == 404
    assert other.get("/shipments").json()["items"] == []
    services.scans_record(
        actor=OPERATOR,
        items=[services.ScanInput(created["s10"], "EMA", facility_code="bc-sai-gon")],
    )
    run_worker()
    assert receiver.requests == []  # the other shop's webhook gets none of these events


def test_tokens_are_checked(base: str) -> None:
    anonymous = httpx.post(f"{base}/api/v1/postal/shipments", json=ORDER)
    assert anonymous.status_code == 401
    forged = api(base, "not-a-token").post("/shipments", json=ORDER)
    assert (forged.status_code, forged.json()["code"]) == (401, "invalid_token")
    support.merchant(client_id="chi-tra-cuu", code="chi-tra-cuu", scopes=("introspection",))
    wrong_scope = api(base, token(base, "chi-tra-cuu", "introspection")).post(
        "/shipments", json=ORDER
    )
    assert (wrong_scope.status_code, wrong_scope.json()["code"]) == (403, "insufficient_scope")


def test_bulk_csv_creates_the_good_rows_and_reports_the_bad_ones(base: str) -> None:
    shop = api(base, token(base))
    header = (
        "client_order_code,recipient_name,recipient_phone,recipient_address,"
        "recipient_ward_code,service,weight_g,length_cm,width_cm,height_cm,cod_amount"
    )
    kien_an = '"8 Trần Phú, P. Vạn Đẩu, Q. Kiến An, Hải Phòng"'
    rows = "\n".join(
        [
            header,
            'BULK-1,Nguyễn Văn Cường,0903123456,"12 Lê Lợi, Phường Bến Thành, TP HCM",,'
            "standard,500,20,15,5,0",
            f"BULK-2,Lê Thị Dung,0903123457,{kien_an},,ecommerce,800,20,15,5,90000",
            'BULK-3,Phạm Văn Em,0903123458,"3 Hùng Vương, Phường Kim Liên, Hà Nội",,'
            "express,0,20,15,5,0",
            f"BULK-4,Hoàng Thị Gấm,0903123459,{kien_an},11446,ecommerce,800,20,15,5,90000",
            'BULK-5,Vũ Văn Hải,090,"1 Lý Thường Kiệt, Phường Kim Liên, Hà Nội",,'
            "standard,abc,20,15,5,0",
        ]
    )
    answer = shop.post("/shipments/bulk", files={"file": ("orders.csv", rows.encode(), "text/csv")})
    assert answer.status_code == 200, answer.text
    result = answer.json()
    assert (result["created"], result["failed"]) == (2, 3)
    by_row = {r["row"]: r for r in result["rows"]}
    assert by_row[2]["ok"]
    assert by_row[5]["ok"]
    assert [e["code"] for e in by_row[3]["errors"]] == ["ambiguous_address"]
    assert len(by_row[3]["candidates"]["recipient"]) == 2
    assert [e["field"] for e in by_row[4]["errors"]] == ["weight_g"]
    assert [e["field"] for e in by_row[6]["errors"]] == ["weight_g"]
