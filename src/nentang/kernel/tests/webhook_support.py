"""The webhook tests' shared cast: one operator, one topic, a subscription and an event."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from tests.support.http import Receiver

from nentang.kernel.auditing import Actor
from nentang.kernel.events import emit
from nentang.kernel.models import OutboxEvent, WebhookDelivery
from nentang.kernel.webhooks import webhook_subscription_create

OPERATOR = Actor.officer("can-bo-van-hanh")  # the operator acting in these tests

Status = WebhookDelivery.Status
TOPIC = "payments.transfer.completed"


def subscribe(receiver: Receiver, topics: list[str], owner: str = "merchant:bach-hoa-an") -> Any:
    subscription, _ = webhook_subscription_create(
        actor=OPERATOR, owner=owner, url=receiver.url + "/webhooks/nentang", topics=topics
    )
    return subscription


def emit_committed(topic: str = TOPIC, payload: dict[str, Any] | None = None) -> OutboxEvent:
    """A service's change: the event is written in its transaction."""
    with transaction.atomic():
        return emit(topic, payload or {"transfer_id": "t-0001", "amount": 150_000})
