"""The public tracking page (no personal data) and the worker's scan and delivery pages."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from tests.support.staff import log_in_as

from nentang.postal import services
from nentang.postal.models import DeliveryOtp, DeliveryProof, Shipment
from nentang.postal.services import scans as scan_services
from nentang.postal.tests import support
from nentang.postal.tests.support import OPERATOR, PASSWORD, Cast, parcel

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment(cast: Cast) -> Shipment:
    created = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
    base = timezone.now() - datetime.timedelta(hours=5)
    services.scans_record(
        actor=OPERATOR,
        items=[
            services.ScanInput(created.s10, "EMA", base, "bc-sai-gon"),
            services.ScanInput(
                created.s10, "EDD", base + datetime.timedelta(hours=1), "ktc-tan-son-nhat"
            ),
            services.ScanInput(
                created.s10, "EMG", base + datetime.timedelta(hours=3), "bc-kim-lien"
            ),
            services.ScanInput(
                created.s10, "EDG", base + datetime.timedelta(hours=4), "bc-kim-lien"
            ),
        ],
    )
    created.refresh_from_db()
    return created


def test_the_public_page_shows_status_and_cities_but_no_personal_data(
    client: Client, shipment: Shipment
) -> None:
    page = client.get(f"/tracking/{shipment.s10}")
    html = page.content.decode()

    assert page.status_code == 200
    assert "Đang giao hàng" in html or "Out for delivery" in html
    assert "Hồ Chí Minh" in html
    assert "Hà Nội" in html
    for secret in (
        "Trần Thị Bình",
        "0912",
        "+8491",
        "Tôn Thất Tùng",
        "Kim Liên",
        "Bánh mì",
        "Lê Thánh Tôn",
        "bc-kim-lien",
    ):
        assert secret not in html, secret
    api = client.get(f"/api/v1/postal/tracking/{shipment.s10}").json()
    assert [e["city"] for e in api["events"]] == ["Hà Nội", "Hà Nội", "Hồ Chí Minh", "Hồ Chí Minh"]
    assert "Bình" not in str(api)


PUBLIC_FIELDS = {
    "s10", "status", "status_label", "service", "destination_city", "promised_by",
    "delivered_at", "events",
}  # fmt: skip
PUBLIC_EVENT_FIELDS = {"code", "label", "occurred_at", "city", "reason"}


def test_anonymous_tracking_shows_provinces_only_and_is_throttled_per_address(
    client: Client, shipment: Shipment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """S10 numbers are sequential, so anyone can walk them: the API answers only the
    fields above (provinces, no names, phones, streets, wards or facilities), and one
    address may look up only so many numbers before a 429 with Retry-After."""
    from nentang.postal.services import public

    monkeypatch.setattr(public, "PUBLIC_LOOKUPS", 3)
    walker, other = "203.0.113.7", "198.51.100.9"
    answer = client.get(f"/api/v1/postal/tracking/{shipment.s10}", REMOTE_ADDR=walker)
    body = answer.json()
    assert answer.status_code == 200
    assert set(body) == PUBLIC_FIELDS
    assert all(set(event) == PUBLIC_EVENT_FIELDS for event in body["events"])
    assert body["destination_city"] == "Thành phố Hà Nội"
    personal = [
        shipment.recipient_name, shipment.recipient_phone, shipment.recipient_line,
        shipment.recipient_ward_name, shipment.sender_name, shipment.sender_phone,
        shipment.sender_line, shipment.recipient_phone[-9:], shipment.sender_phone[-9:],
    ]  # fmt: skip
    page = client.get(f"/tracking/{shipment.s10}", REMOTE_ADDR=walker)
    assert page.status_code == 200
    for text in (answer.content.decode(), page.content.decode()):
        assert not [value for value in personal if value and value in text]
    assert (
        client.get("/tracking/EE473124829VN", REMOTE_ADDR=walker).status_code == 404
    )  # counts too

    refused = client.get(f"/api/v1/postal/tracking/{shipment.s10}", REMOTE_ADDR=walker)
    assert refused.status_code == 429
    assert refused["Content-Type"].startswith("application/problem+json")
    assert int(refused["Retry-After"]) > 0
    assert "events" not in refused.json()
    assert "destination_city" not in refused.json()
    refused_page = client.get(f"/tracking/{shipment.s10}", REMOTE_ADDR=walker)
    assert refused_page.status_code == 429
    assert int(refused_page["Retry-After"]) > 0
    assert "Đang giao hàng" not in refused_page.content.decode()
    assert (
        client.get(f"/api/v1/postal/tracking/{shipment.s10}", REMOTE_ADDR=other).status_code == 200
    )


def test_the_public_page_explains_a_bad_number(client: Client, shipment: Shipment) -> None:
    wrong = client.get("/tracking/EE473124828VN")
    assert (
        wrong.status_code == 400 and "check digit" in wrong.content.decode().lower()
    ) or "kiểm tra" in wrong.content.decode()
    unknown = client.get("/tracking/EE473124829VN")
    assert unknown.status_code == 404


def test_scanning_needs_a_postal_worker(client: Client, cast: Cast) -> None:
    assert client.get("/post/scan").status_code == 302  # to the login page
    log_in_as(client, support.worker(cast.hanoi_office, username="khong.phai").account)
    # a worker of another facility is still a worker; a citizen would get 403
    assert client.get("/post/scan").status_code == 200


def test_a_worker_scans_and_delivers_with_the_sms_code(
    client: Client,
    shipment: Shipment,
    cast: Cast,
    caplog: pytest.LogCaptureFixture,
    django_capture_on_commit_callbacks: Any,
) -> None:
    log_in_as(client, cast.worker.account)
    answer = client.post("/post/scan", {"s10": shipment.s10.lower(), "code": "EMG"})
    assert answer.status_code == 200
    assert (
        "đã được quét" in answer.content.decode()
        or "already scanned" in answer.content.decode()
        or "EMG" in answer.content.decode()
    )

    with (
        caplog.at_level("INFO", logger="nentang.postal.sms"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        client.post(f"/post/deliver/{shipment.s10}", {"action": "send_code", "received_by": ""})
    # The development SMS adapter logs the message with the number masked.
    [message] = [r.getMessage() for r in caplog.records if r.name == "nentang.postal.sms"]
    assert "+849******78" in message
    code = re.search(r": (\d{6})\.", message).group(1)  # type: ignore[union-attr]

    wrong = client.post(
        f"/post/deliver/{shipment.s10}",
        {
            "action": "deliver",
            "received_by": "Trần Thị Bình",
            "code": "000000" if code != "000000" else "111111",
        },
    )
    assert wrong.status_code == 200
    assert DeliveryOtp.objects.get().attempts == 1
    done = client.post(
        f"/post/deliver/{shipment.s10}",
        {"action": "deliver", "received_by": "Trần Thị Bình", "code": code},
    )
    assert done.status_code == 302
    shipment.refresh_from_db()
    assert (shipment.status, shipment.cod_status) == ("delivered", "collected")
    proof = DeliveryProof.objects.get(shipment=shipment)
    assert (proof.method, proof.received_by) == ("otp", "Trần Thị Bình")


def test_a_failed_attempt_with_its_reason(client: Client, shipment: Shipment, cast: Cast) -> None:
    log_in_as(client, cast.worker.account)
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    answer = client.post(
        f"/post/deliver/{shipment.s10}",
        {"action": "failed", "reason": "recipient_absent", "next_attempt_on": tomorrow.isoformat()},
    )
    assert answer.status_code == 302
    shipment.refresh_from_db()
    assert (shipment.status, shipment.attempts) == ("failure", 1)
    event = shipment.events.get(code="EMH")
    assert (event.reason, event.next_attempt_on) == ("recipient_absent", tomorrow)


def test_a_signature_must_be_a_png(shipment: Shipment, cast: Cast) -> None:
    from nentang.kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        scan_services.shipment_deliver(
            actor=OPERATOR,
            worker_account_id=cast.worker.account_id,
            facility_code="bc-kim-lien",
            shipment_id=shipment.id,
            received_by="Bình",
            signature_png=b"GIF89a" + b"0" * 10,
        )
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    delivered = scan_services.shipment_deliver(
        actor=OPERATOR,
        worker_account_id=cast.worker.account_id,
        facility_code="bc-kim-lien",
        shipment_id=shipment.id,
        received_by="Bình",
        signature_png=png,
    )
    assert delivered.status == "delivered"
    assert PASSWORD  # the cast's password is documented for the browser test


def _account(username: str) -> Any:
    from nentang.identity import services as identity

    return identity.administrator_create(created_by=OPERATOR, username=username, password=PASSWORD)


def test_a_merchants_staff_sees_its_parcels_cod_and_remittances_and_nothing_else(
    client: Client, shipment: Shipment, cast: Cast
) -> None:
    other_shop = support.merchant(client_id="shop-other", code="other-shop")
    theirs = services.shipment_create(
        actor=OPERATOR, merchant=other_shop, data=parcel(client_order_code="OTHER-77")
    )
    support.scan(shipment, "EMI", minutes=60 * 24, facility="bc-kim-lien")
    services.cod_remittance_run(
        actor=OPERATOR, merchant=cast.merchant, now=timezone.now() + datetime.timedelta(days=3)
    )
    staff = _account("nv.banhmi")
    services.merchant_staff_add(actor=OPERATOR, merchant=cast.merchant, account=staff)
    services.merchant_staff_add(actor=OPERATOR, merchant=cast.merchant, account=staff)  # once

    assert client.get("/post/merchant").status_code == 302  # to the login page
    log_in_as(client, staff)
    page = client.get("/post/merchant")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Công ty TNHH Bánh mì Sài Gòn" in html
    assert shipment.s10 in html
    assert "BMSG-0001" in html
    assert "150.000" in html  # its COD, remitted
    assert theirs.s10 not in html
    assert "OTHER-77" not in html
    for secret in ("Trần Thị Bình", "0912", "Tôn Thất Tùng"):  # the recipient's data
        assert secret not in html
    assert 'lang="vi"' in html

    stranger = _account("nguoi.la")
    log_in_as(client, stranger)
    assert client.get("/post/merchant").status_code == 403
    services.merchant_staff_add(actor=OPERATOR, merchant=other_shop, account=stranger)
    html = client.get("/post/merchant").content.decode()
    assert "OTHER-77" in html
    assert shipment.s10 not in html


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_visible_string_of_the_merchant_page_is_translated(
    client: Client, shipment: Shipment, cast: Cast, language: str
) -> None:
    from tests.support.pseudo import marked_translations, untranslated

    support.scan(shipment, "EMI", minutes=60 * 24, facility="bc-kim-lien")
    services.cod_remittance_run(
        actor=OPERATOR, merchant=cast.merchant, now=timezone.now() + datetime.timedelta(days=3)
    )
    staff = _account("nv.banhmi")
    services.merchant_staff_add(actor=OPERATOR, merchant=cast.merchant, account=staff)
    log_in_as(client, staff)
    client.cookies["nentang_language"] = language
    with marked_translations():
        html = client.get("/post/merchant").content.decode()
    data = [cast.merchant.name, shipment.recipient_province_name]
    assert untranslated(html, data) == []
