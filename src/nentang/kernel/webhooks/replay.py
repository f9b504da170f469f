"""Replaying webhooks: send a delivery, or a whole event, again with a fresh budget.

The attempt log is kept; a replay only resets the delivery and schedules a dispatch.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing, events
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, NotFound
from nentang.kernel.models import OutboxEvent, WebhookDelivery, WebhookSubscription
from nentang.kernel.problems import (
    EVENT_NOT_FOUND,
    WEBHOOK_DELIVERY_NOT_FOUND,
    WEBHOOK_DELIVERY_PENDING,
    WEBHOOK_SUBSCRIPTION_INACTIVE,
    WEBHOOK_SUBSCRIPTION_NOT_MATCHING,
)
from nentang.kernel.webhooks.subscriptions import _Router

_Status = WebhookDelivery.Status


def _reset(delivery: WebhookDelivery, now: datetime) -> None:
    delivery.status = _Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.completed_at = None
    delivery.last_error = ""


_RESET_FIELDS = ["status", "attempts", "next_attempt_at", "completed_at", "last_error"]


def webhook_delivery_replay(*, actor: Actor, delivery_id: uuid.UUID) -> WebhookDelivery:
    """Send a dead or succeeded delivery again, now, with a fresh attempt budget.

    A pending delivery is already on its way (and may be in flight): replaying it is a
    conflict. The attempt log is kept.
    """
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",))
            .select_related("subscription")
            .filter(id=delivery_id)
            .first()
        )
        if delivery is None:
            raise NotFound(_("No such webhook delivery."), code=WEBHOOK_DELIVERY_NOT_FOUND)
        if delivery.status == _Status.PENDING:
            raise Conflict(
                _("This delivery is still pending; it will be attempted again on its own."),
                code=WEBHOOK_DELIVERY_PENDING,
            )
        if not delivery.subscription.is_active:
            raise Conflict(
                _("The subscription of this delivery is disabled."),
                code=WEBHOOK_SUBSCRIPTION_INACTIVE,
            )
        _reset(delivery, now)
        delivery.save(update_fields=_RESET_FIELDS)
        auditing.record(
            actor=actor,
            action="kernel.webhook_delivery.replay",
            subject_type="kernel.webhook_delivery",
            subject=str(delivery.id),
            summary={"event": str(delivery.event_id)},
        )
        transaction.on_commit(events.outbox_schedule_dispatch, robust=True)
    return delivery


def webhook_event_replay(
    *, actor: Actor, event_id: uuid.UUID, subscription_id: uuid.UUID | None = None
) -> list[WebhookDelivery]:
    """Deliver an event again to every active subscription matching its topic (or one).

    Existing deliveries that are dead or succeeded restart now; missing ones are
    created; pending ones are left on their way. Returns the deliveries concerned.
    """
    now = timezone.now()
    with transaction.atomic():
        event = OutboxEvent.objects.filter(id=event_id).first()
        if event is None:
            raise NotFound(_("No such event."), code=EVENT_NOT_FOUND)
        subscriptions = WebhookSubscription.objects.filter(is_active=True)
        if subscription_id is not None:
            subscriptions = subscriptions.filter(id=subscription_id)
        targets = _Router(subscriptions).match(event.topic)
        if subscription_id is not None and not targets:
            raise Conflict(
                _("That subscription is not active or does not receive this topic."),
                code=WEBHOOK_SUBSCRIPTION_NOT_MATCHING,
            )
        existing = {
            delivery.subscription_id: delivery
            for delivery in WebhookDelivery.objects.select_for_update().filter(
                event=event, subscription_id__in=[s.id for s in targets]
            )
        }
        restarted = [d for d in existing.values() if d.status != _Status.PENDING]
        for delivery in restarted:
            _reset(delivery, now)
        WebhookDelivery.objects.bulk_update(restarted, _RESET_FIELDS)
        created = [
            WebhookDelivery(event=event, subscription=s, next_attempt_at=now, created_at=now)
            for s in targets
            if s.id not in existing
        ]
        WebhookDelivery.objects.bulk_create(created)
        auditing.record(
            actor=actor,
            action="kernel.outbox_event.replay",
            subject_type="kernel.outbox_event",
            subject=str(event.id),
            summary={
                "subscriptions": sorted(str(s.id) for s in targets),
                "restarted": len(restarted),
                "created": len(created),
            },
        )
        transaction.on_commit(events.outbox_schedule_dispatch, robust=True)
    return [*existing.values(), *created]
