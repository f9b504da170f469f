"""NGSI-LD subscriptions over real HTTP: a city dashboard subscribes, an entity changes,
the kernel's webhook worker delivers the signed notification to a real HTTP receiver on
127.0.0.1, retrying after the receiver fails once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from tests.support.http import Receiver, Reply

from nentang.kernel.models import WebhookDelivery
from nentang.kernel.webhooks import webhook_deliver_due
from nentang.smartcity import services
from nentang.smartcity.tests.conftest import OPERATOR, SECRET, register_client

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def base(live_server: Any, settings: Any) -> str:
    url = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = url
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    from nentang.audit.services import security_defaults_install

    security_defaults_install()
    services.tenant_create(actor=OPERATOR, name="hue", title="Thành phố Huế")
    register_client("hue-ioc")
    services.tenant_grant(actor=OPERATOR, tenant="hue", client_id="hue-ioc", can_write=True)
    return url


def broker(base: str) -> httpx.Client:
    token = httpx.post(
        f"{base}/oidc/token",
        data={"grant_type": "client_credentials", "scope": "smartcity"},
        auth=("hue-ioc", SECRET),
    ).json()["access_token"]
    return httpx.Client(
        base_url=f"{base}/ngsi-ld/v1",
        headers={"Authorization": f"Bearer {token}", "NGSILD-Tenant": "hue"},
        timeout=30,
    )


def deliver() -> None:
    call_command(
        "db_worker",
        queue_name="webhooks",
        batch=True,
        startup_delay=False,
        reload=False,
        interval=0,
        verbosity=0,
    )


def verified(received: Any, secret: str) -> dict[str, Any]:
    headers = received.headers
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + received.body
    key = base64.b64decode(secret.removeprefix("whsec_"))
    expected = base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert f"v1,{expected}" in headers["webhook-signature"].split()
    return dict(json.loads(received.body))


def test_a_flood_alarm_subscription_is_notified_signed_and_retried(
    base: str, receiver: Receiver
) -> None:
    api = broker(base)
    subscription = {
        "id": "urn:ngsi-ld:Subscription:lu-song-huong",
        "type": "Subscription",
        "entities": [{"type": "WaterLevel"}],
        "watchedAttributes": ["height"],
        "q": "height>=3.5",
        "notification": {
            "attributes": ["height"],
            "format": "normalized",
            "endpoint": {"uri": receiver.url + "/ngsi", "accept": "application/json"},
        },
    }
    created = api.post("/subscriptions", json=subscription)
    assert created.status_code == 201, created.text
    secret = created.headers["NGSILD-Webhook-Secret"]
    again = api.post("/subscriptions", json=subscription)
    assert again.status_code == 409
    bad = api.post("/subscriptions", json={**subscription, "id": "urn:x:2", "q": "height>>"})
    assert bad.status_code == 400

    listed = api.get("/subscriptions").json()
    assert [s["id"] for s in listed] == ["urn:ngsi-ld:Subscription:lu-song-huong"]

    receiver.reply(Reply(status=503))  # the first attempt fails; the kernel retries
    station = {
        "id": "urn:ngsi-ld:WaterLevel:kim-long",
        "type": "WaterLevel",
        "height": {"type": "Property", "value": 2.1, "observedAt": "2026-11-15T00:00:00Z"},
        "name": {"type": "Property", "value": "Trạm Kim Long"},
    }
    assert api.post("/entities", json=station).status_code == 201  # below alarm: nothing
    rising = {"height": {"type": "Property", "value": 3.9, "observedAt": "2026-11-15T06:00:00Z"}}
    assert (
        api.patch("/entities/urn:ngsi-ld:WaterLevel:kim-long/attrs", json=rising).status_code == 204
    )
    renamed = {"name": {"type": "Property", "value": "Kim Long"}}  # not a watched attribute
    assert (
        api.post("/entities/urn:ngsi-ld:WaterLevel:kim-long/attrs", json=renamed).status_code == 204
    )

    deliver()
    assert len(receiver.requests) == 1  # failed with 503
    retry = WebhookDelivery.objects.get()
    assert retry.next_attempt_at is not None
    # Its retry is due in ~30 s: run the kernel's due-delivery pass as of then.
    assert webhook_deliver_due(now=retry.next_attempt_at + timedelta(seconds=1)) == 1
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    envelope = verified(second, secret)
    notification = envelope["data"]
    assert notification["type"] == "Notification"
    assert notification["subscriptionId"] == "urn:ngsi-ld:Subscription:lu-song-huong"
    [entity] = notification["data"]
    assert entity["id"] == "urn:ngsi-ld:WaterLevel:kim-long"
    assert entity["height"]["value"] == 3.9
    assert "name" not in entity  # notification.attributes picks height only

    shown = api.get("/subscriptions/urn:ngsi-ld:Subscription:lu-song-huong").json()
    assert shown["notification"]["timesSent"] == 1

    paused = api.patch(
        "/subscriptions/urn:ngsi-ld:Subscription:lu-song-huong", json={"isActive": False}
    )
    assert paused.status_code == 204
    rising["height"]["value"] = 4.2
    rising["height"]["observedAt"] = "2026-11-15T07:00:00Z"
    api.patch("/entities/urn:ngsi-ld:WaterLevel:kim-long/attrs", json=rising)
    deliver()
    assert len(receiver.requests) == 2

    assert api.delete("/subscriptions/urn:ngsi-ld:Subscription:lu-song-huong").status_code == 204
    assert api.get("/subscriptions/urn:ngsi-ld:Subscription:lu-song-huong").status_code == 404
