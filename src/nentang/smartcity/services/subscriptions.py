"""NGSI-LD subscriptions: create, update (active or not), delete. Notifications are
kernel webhook deliveries (signed per Standard Webhooks, retried with back-off)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from nentang.kernel import auditing
from nentang.kernel.errors import ValidationFailed
from nentang.kernel.ids import new_id
from nentang.kernel.webhooks.subscriptions import (
    webhook_subscription_create,
    webhook_subscription_disable,
)
from nentang.smartcity.models import Subscription
from nentang.smartcity.ngsild import qlang
from nentang.smartcity.ngsild.contexts import TermMap
from nentang.smartcity.ngsild.entities import check_name, check_uri, parse_time
from nentang.smartcity.ngsild.errors import NgsiError, bad_data, not_found
from nentang.smartcity.services.common import Caller, tenant_for
from nentang.smartcity.services.notify import TOPIC


def _clean(payload: Any, terms: TermMap) -> dict[str, Any]:
    if not isinstance(payload, Mapping):
        raise bad_data("A subscription is a JSON object.")
    if payload.get("type") != "Subscription":
        raise bad_data('A subscription has "type": "Subscription".')
    entities = []
    for selector in payload.get("entities") or []:
        if not isinstance(selector, Mapping) or not isinstance(selector.get("type"), str):
            raise bad_data("Each item of entities needs a type.")
        item: dict[str, Any] = {"type": terms.expand(check_name(selector["type"]))}
        if "id" in selector:
            item["id"] = check_uri(selector["id"], "entities.id")
        if "idPattern" in selector:
            try:
                re.compile(str(selector["idPattern"]))
            except re.error:
                raise bad_data("entities.idPattern is not a valid regular expression.") from None
            item["idPattern"] = str(selector["idPattern"])
        entities.append(item)
    watched = payload.get("watchedAttributes") or []
    if not isinstance(watched, list):
        raise bad_data("watchedAttributes is a list of attribute names.")
    if not entities and not watched:
        raise bad_data("A subscription needs entities or watchedAttributes.")
    q = payload.get("q") or ""
    if q:
        qlang.parse(q)
    notification = payload.get("notification")
    if not isinstance(notification, Mapping):
        raise bad_data("A subscription needs a notification object.")
    endpoint = notification.get("endpoint")
    if not isinstance(endpoint, Mapping) or not isinstance(endpoint.get("uri"), str):
        raise bad_data("notification.endpoint.uri is required.")
    if not endpoint["uri"].startswith(("http://", "https://")):
        raise NgsiError(
            "OperationNotSupported", "Only HTTP(S) notification endpoints are supported."
        )
    attributes = notification.get("attributes") or []
    if not isinstance(attributes, list):
        raise bad_data("notification.attributes is a list of attribute names.")
    notification_format = notification.get("format", "normalized")
    if notification_format not in ("normalized", "keyValues", "simplified", "concise"):
        raise bad_data("notification.format is normalized, keyValues or simplified.")
    return {
        "entities": entities,
        "watched": [terms.expand(check_name(name)) for name in watched],
        "q": q,
        "notification": {
            "attributes": [terms.expand(check_name(name)) for name in attributes],
            "format": notification_format,
            "endpoint": {
                "uri": endpoint["uri"],
                "accept": endpoint.get("accept", "application/json"),
            },
        },
    }


def _expiry(payload: Mapping[str, Any]) -> datetime | None:
    raw = payload.get("expiresAt") or payload.get("expires")
    if raw is None:
        return None
    return parse_time(raw, "expiresAt")


def subscription_create(
    *, caller: Caller, tenant: str, payload: Any, terms: TermMap, context: Any
) -> tuple[Subscription, str]:
    """Create a subscription; returns it and the secret that signs its notifications."""
    cleaned = _clean(payload, terms)
    subscription_id = payload.get("id") or f"urn:ngsi-ld:Subscription:{new_id()}"
    check_uri(subscription_id, "The subscription id")
    expires = _expiry(payload)
    with transaction.atomic():
        row_tenant = tenant_for(caller, tenant, write=True)
        public_id = new_id()
        try:
            webhook, secret = webhook_subscription_create(
                actor=caller.actor,
                owner=f"smartcity:{public_id}",
                url=cleaned["notification"]["endpoint"]["uri"],
                topics=[TOPIC],
                description=f"NGSI-LD {subscription_id}"[:300],
            )
        except ValidationFailed as failure:
            raise bad_data(f"The notification endpoint is not allowed: {failure}") from None
        row = Subscription(
            public_id=public_id,
            tenant=row_tenant,
            subscription_id=subscription_id,
            client_id=caller.client_id,
            data=cleaned,
            context=context if isinstance(context, list) else [context] if context else [],
            entity_types=[e["type"] for e in cleaned["entities"]],
            watched=cleaned["watched"],
            q=cleaned["q"],
            endpoint=cleaned["notification"]["endpoint"]["uri"],
            webhook_id=webhook.id,
            is_active=payload.get("isActive", True) is not False,
            expires_at=expires,
            created_at=timezone.now(),
        )
        try:
            with transaction.atomic():
                row.save(force_insert=True)
        except IntegrityError:
            raise NgsiError(
                "AlreadyExists", f"The subscription {subscription_id!r} exists."
            ) from None
        auditing.record(
            actor=caller.actor,
            action="smartcity.subscription.create",
            subject_type="smartcity.subscription",
            subject=subscription_id,
            summary={"tenant": row_tenant.name, "endpoint": row.endpoint},
        )
    return row, secret


def _mine(caller: Caller, tenant: str, subscription_id: str) -> Subscription:
    row_tenant = tenant_for(caller, tenant, write=True)
    row = (
        Subscription.objects.select_for_update()
        .filter(tenant=row_tenant, subscription_id=subscription_id)
        .first()
    )
    if row is None or (not caller.trusted and row.client_id != caller.client_id):
        raise not_found(f"There is no subscription {subscription_id!r}.")
    return row


def subscription_set_active(
    *, caller: Caller, tenant: str, subscription_id: str, active: bool
) -> None:
    with transaction.atomic():
        row = _mine(caller, tenant, subscription_id)
        row.is_active = active
        row.save(update_fields=["is_active"])
        auditing.record(
            actor=caller.actor,
            action="smartcity.subscription.update",
            subject_type="smartcity.subscription",
            subject=subscription_id,
            summary={"isActive": active},
        )


def subscription_delete(*, caller: Caller, tenant: str, subscription_id: str) -> None:
    with transaction.atomic():
        row = _mine(caller, tenant, subscription_id)
        webhook_subscription_disable(actor=caller.actor, subscription_id=row.webhook_id)
        row.delete()
        auditing.record(
            actor=caller.actor,
            action="smartcity.subscription.delete",
            subject_type="smartcity.subscription",
            subject=subscription_id,
        )
