"""Matching entity changes against NGSI-LD subscriptions and announcing notifications
through the kernel outbox. Each subscription owns one kernel webhook subscription
(owner ``smartcity:<public id>``); the event carries the NGSI-LD notification and its
audience is that owner, so the kernel signs, delivers and retries it to that endpoint
only."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import F
from django.utils import timezone

from nentang.kernel import events
from nentang.kernel.ids import new_id
from nentang.smartcity.models import Subscription, Tenant
from nentang.smartcity.ngsild import contexts, qlang
from nentang.smartcity.ngsild.entities import entity_out, now_text

TOPIC = "smartcity.notification.sent"


@dataclass(frozen=True)
class Change:
    entity: Mapping[str, Any]  # the stored form after the change
    attrs: set[str]  # the attribute IRIs that changed
    created: str
    modified: str


def owner_of(subscription: Subscription) -> str:
    return f"smartcity:{subscription.public_id}"


def _matches(subscription: Subscription, change: Change, terms: contexts.TermMap) -> bool:
    entity = change.entity
    selectors = subscription.data.get("entities") or []
    if selectors:
        hit = False
        for selector in selectors:
            if selector["type"] not in entity["type"]:
                continue
            if selector.get("id") and selector["id"] != entity["id"]:
                continue
            pattern = selector.get("idPattern")
            if pattern and not re.fullmatch(pattern, entity["id"]):
                continue
            hit = True
            break
        if not hit:
            return False
    if subscription.watched and not change.attrs.intersection(subscription.watched):
        return False
    if subscription.q:
        return qlang.evaluate(qlang.parse(subscription.q), entity["attrs"], terms.expand)
    return True


def notification(
    subscription: Subscription, entities: Sequence[Mapping[str, Any]], terms: contexts.TermMap
) -> dict[str, Any]:
    settings = subscription.data.get("notification") or {}
    wanted = settings.get("attributes") or None
    key_values = settings.get("format") in ("keyValues", "simplified")
    return {
        "id": f"urn:ngsi-ld:Notification:{new_id()}",
        "type": "Notification",
        "subscriptionId": subscription.subscription_id,
        "notifiedAt": now_text(),
        "data": [
            entity_out(
                terms,
                entity,
                attrs=set(wanted) if wanted else None,
                key_values=key_values,
            )
            for entity in entities
        ],
    }


def notify(tenant: Tenant, changes: Sequence[Change]) -> int:
    """Emit one notification per matching subscription (inside the caller's transaction)."""
    if not changes:
        return 0
    live = list(Subscription.objects.filter(tenant=tenant, is_active=True))
    if not live:
        return 0
    now = timezone.now()
    sent = 0
    for subscription in live:
        if subscription.expires_at is not None and subscription.expires_at <= now:
            continue
        terms = contexts.term_map(subscription.context or None)
        matched = [c.entity for c in changes if _matches(subscription, c, terms)]
        # Keep each event under the outbox's size limit: at most 20 entities each.
        for start in range(0, len(matched), 20):
            payload = notification(subscription, matched[start : start + 20], terms)
            events.emit(TOPIC, payload, audience=owner_of(subscription))
            sent += 1
        if matched:
            Subscription.objects.filter(pk=subscription.pk).update(
                times_sent=F("times_sent") + 1, last_notification=now
            )
    return sent
