"""Bad input to the postal API gets a clear problem+json and changes nothing."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from django.test import Client
from tests.support.staff import log_in_as

from nentang.postal.models import Shipment, TrackingEvent
from nentang.postal.tests.support import CLIENT_ID, CLIENT_SECRET, Cast

pytestmark = pytest.mark.django_db

ORDER: dict[str, Any] = {
    "service": "ecommerce",
    "weight_g": 500,
    "length_cm": 20,
    "width_cm": 15,
    "height_cm": 5,
    "client_order_code": "BAD-1",
    "recipient": {
        "name": "Trần Thị Bình",
        "phone": "0912345678",
        "address": "5 Tôn Thất Tùng, Phường Kim Liên, Hà Nội",
    },
}


@pytest.fixture
def shop(cast: Cast, client: Client) -> Client:
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    answer = client.post(
        "/oidc/token",
        {"grant_type": "client_credentials", "scope": "postal"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert answer.status_code == 200, answer.content
    token = answer.json()["access_token"]
    return Client(headers={"Authorization": f"Bearer {token}"})


def post(shop: Client, path: str, body: Any) -> Any:
    return shop.post(f"/api/v1/postal{path}", body, content_type="application/json")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"weight_g": 0}, "weight_g"),
        ({"weight_g": "nặng"}, "weight_g"),
        ({"cod_amount": 10**12}, "cod_amount"),
        ({"service": "rocket"}, "service"),
        (
            {"recipient": {"name": "x" * 151, "phone": "0912345678", "address": "a"}},
            "recipient.name",
        ),
        (
            {"recipient": {"name": "Bình", "phone": "0912345678", "address": "x" * 501}},
            "recipient.address",
        ),
        (
            {
                "recipient": {
                    "name": "Bình",
                    "phone": "0912\x00345678",
                    "address": "Kim Liên, Hà Nội",
                }
            },
            "recipient.phone",
        ),
        ({"client_order_code": "x" * 51}, "client_order_code"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_written(
    shop: Client, change: dict[str, Any], field: str
) -> None:
    answer = post(shop, "/shipments", {**ORDER, **change})

    assert answer.status_code == 422, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert field in [e["field"] for e in answer.json()["errors"]]
    assert Shipment.objects.count() == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_a_nul_character_is_refused_in_every_json_encoding(shop: Client, encoding: str) -> None:
    """The parser skips its walk for NUL characters when the body has neither a zero
    byte nor the escape \\u0000: a UTF-16 or UTF-32 body (zero bytes) is walked."""
    recipient = {"name": "Bình", "phone": "0912\x00345678", "address": "Kim Liên, Hà Nội"}
    body = json.dumps({**ORDER, "recipient": recipient}, ensure_ascii=False).encode(encoding)
    answer = shop.post("/api/v1/postal/shipments", body, content_type="application/json")

    assert answer.status_code == 422, answer.content
    assert [e["code"] for e in answer.json()["errors"]] == ["invalid_characters"]
    assert Shipment.objects.count() == 0


def test_malformed_and_huge_bodies(shop: Client) -> None:
    broken = shop.post("/api/v1/postal/shipments", "{not json", content_type="application/json")
    assert (broken.status_code, broken.json()["code"]) == (400, "malformed_body")
    many = post(shop, "/scans", {"scans": [{"s10": "EE473124829VN", "code": "EMA"}] * 1001})
    assert many.status_code in (401, 422)  # a merchant token is not a scanner's either
    assert TrackingEvent.objects.count() == 0


def test_s10_numbers_are_checked_everywhere(shop: Client, client: Client) -> None:
    wrong = client.get("/api/v1/postal/tracking/EE473124828VN")
    assert (wrong.status_code, wrong.json()["code"]) == (400, "invalid_s10")
    assert "check digit" in wrong.json()["detail"] or "kiểm tra" in wrong.json()["detail"]
    unknown = client.get("/api/v1/postal/tracking/EE473124829VN")
    assert (unknown.status_code, unknown.json()["code"]) == (404, "shipment_not_found")
    nul = client.get("/api/v1/postal/tracking/EE4731%0024829VN")
    assert nul.status_code in (400, 404)
    assert shop.get("/api/v1/postal/shipments/not-a-thing").status_code == 404


def test_scans_need_a_postal_worker_or_a_sorting_centre(
    shop: Client, cast: Cast, client: Client
) -> None:
    batch = {"scans": [{"s10": "EE473124829VN", "code": "EMA"}]}
    assert post(shop, "/scans", batch).status_code == 401  # a merchant token
    assert post(client, "/scans", batch).status_code == 401  # nobody
    log_in_as(client, cast.worker.account)
    from django.middleware.csrf import _get_new_csrf_string

    token = _get_new_csrf_string()
    client.cookies["csrftoken"] = token
    answer = client.post(
        "/api/v1/postal/scans", batch, content_type="application/json",
        headers={"X-CSRFToken": token},
    )  # fmt: skip
    assert answer.status_code == 200, answer.content
    assert answer.json()["results"][0]["error_code"] == "shipment_not_found"
