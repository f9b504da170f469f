"""Every state change of the landed contexts leaves an audit entry, in its transaction."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from nentang.audit.models import AuditEntry
from nentang.audit.services import pseudonym
from nentang.kernel.auditing import Actor
from nentang.kernel.events import emit
from nentang.kernel.models import WebhookDelivery
from nentang.kernel.webhooks import (
    webhook_delivery_replay,
    webhook_event_replay,
    webhook_subscription_create,
    webhook_subscription_disable,
)

OPERATOR = Actor.officer("can-bo-van-hanh")


@pytest.fixture
def loopback(settings: Any) -> None:
    import ipaddress

    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)


def actions() -> list[str]:
    return list(AuditEntry.objects.order_by("id").values_list("action", flat=True))


@pytest.mark.django_db
@pytest.mark.usefixtures("loopback")
def test_webhook_operations_are_audited_with_a_pseudonymous_operator() -> None:
    subscription, _secret = webhook_subscription_create(
        actor=OPERATOR, owner="merchant:bach-hoa-an", url="http://127.0.0.1:9/h", topics=["*"]
    )
    with transaction.atomic():
        event = emit("payments.transfer.completed", {"transfer_id": "t-1"})
    webhook_event_replay(actor=OPERATOR, event_id=event.id)
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="dead")
    webhook_delivery_replay(actor=OPERATOR, delivery_id=delivery.id)
    webhook_subscription_disable(actor=OPERATOR, subscription_id=subscription.id)
    webhook_subscription_disable(actor=OPERATOR, subscription_id=subscription.id)  # no change

    assert actions() == [
        "kernel.webhook_subscription.create",
        "kernel.outbox_event.replay",
        "kernel.webhook_delivery.replay",
        "kernel.webhook_subscription.disable",
    ]
    assert set(AuditEntry.objects.values_list("actor", flat=True)) == {pseudonym("can-bo-van-hanh")}
    created = AuditEntry.objects.get(action="kernel.webhook_subscription.create")
    assert created.subject == str(subscription.id)
    assert created.summary == {"owner": "merchant:bach-hoa-an", "topics": ["*"]}


@pytest.mark.django_db
@pytest.mark.usefixtures("loopback")
def test_a_refused_operation_leaves_no_entry() -> None:
    from nentang.kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        webhook_subscription_create(
            actor=OPERATOR, owner="merchant:bach-hoa-an", url="http://10.0.0.1/h", topics=["*"]
        )
    assert actions() == []
