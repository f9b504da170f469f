"""Webhook subscriptions: who receives which topics, at which URL.

A subscription names topics exactly (``payments.transfer.completed``), by prefix
(``payments.*``) or all at once (``*``); its URL must pass the outbound SSRF rules.
"""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing, events
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, NotFound, ValidationFailed
from nentang.kernel.models import WebhookDelivery, WebhookSubscription
from nentang.kernel.outbound import OutboundBlocked, OutboundError, allowed_networks, check_url
from nentang.kernel.problems import WEBHOOK_SUBSCRIPTION_NOT_FOUND
from nentang.kernel.webhooks.signing import webhook_secret_new

MAX_TOPICS = 50

_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,2}\.\*)$")
_Status = WebhookDelivery.Status


# --- topic matching ------------------------------------------------------------------


def topic_matches(pattern: str, topic: str) -> bool:
    """``*`` matches all; ``prefix.*`` matches topics under ``prefix.``; else exact."""
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return topic.startswith(pattern[:-1])
    return pattern == topic


class _Router:
    """Active subscriptions indexed by pattern, so matching an event costs a few look-ups."""

    def __init__(self, subscriptions: Iterable[WebhookSubscription]) -> None:
        self._by_pattern: dict[str, list[WebhookSubscription]] = defaultdict(list)
        for subscription in subscriptions:
            for pattern in set(subscription.topics):
                self._by_pattern[pattern].append(subscription)

    def match(self, topic: str) -> list[WebhookSubscription]:
        parts = topic.split(".")
        keys = ["*", topic] + [".".join(parts[:n]) + ".*" for n in range(1, len(parts))]
        found: dict[uuid.UUID, WebhookSubscription] = {}
        for key in keys:
            for subscription in self._by_pattern.get(key, ()):
                found[subscription.id] = subscription
        return list(found.values())


# --- subscriptions -------------------------------------------------------------------


def _clean_topics(topics: Sequence[str]) -> tuple[list[str], list[FieldError]]:
    if isinstance(topics, str) or not isinstance(topics, Sequence):
        return [], [FieldError("topics", _("Give a list of topics."), "invalid")]
    cleaned: list[str] = []
    errors: list[FieldError] = []
    for index, topic in enumerate(topics):
        valid_pattern = isinstance(topic, str) and bool(_PATTERN.fullmatch(topic))
        if not valid_pattern and not (
            isinstance(topic, str) and events.TOPIC_PATTERN.fullmatch(topic)
        ):
            errors.append(
                FieldError(
                    f"topics.{index}",
                    _(
                        "%(topic)r is not a topic: use 'context.noun.verb', a prefix "
                        "such as 'payments.*', or '*' for every event."
                    )
                    % {"topic": topic},
                    "invalid_topic",
                )
            )
        elif topic not in cleaned:
            cleaned.append(topic)
    if not topics:
        errors.append(FieldError("topics", _("Subscribe to at least one topic."), "required"))
    elif len(cleaned) > MAX_TOPICS:
        errors.append(
            FieldError(
                "topics", _("At most %(n)d topics per subscription.") % {"n": MAX_TOPICS}, "max"
            )
        )
    return cleaned, errors


def _check_webhook_url(url: str) -> list[FieldError]:
    if not isinstance(url, str) or not url or len(url) > 2000:
        return [FieldError("url", _("Give a URL of at most 2000 characters."), "invalid")]
    allow = allowed_networks()
    try:
        target = check_url(url, allow_networks=allow)
    except OutboundBlocked as error:
        return [FieldError("url", str(error), "url_refused")]
    except OutboundError as error:
        return [FieldError("url", str(error), "url_unreachable")]
    trusted = all(
        any(a in net for net in allow if a.version == net.version) for a in target.addresses
    )
    if target.url.scheme != "https" and not trusted:
        return [
            FieldError(
                "url",
                _("A webhook URL must use https; events may carry personal data."),
                "https_required",
            )
        ]
    return []


def webhook_subscription_create(
    *, actor: Actor, owner: str, url: str, topics: Sequence[str], description: str = ""
) -> tuple[WebhookSubscription, str]:
    """Subscribe ``url`` to ``topics``; return the subscription and its secret.

    The URL must pass the outbound SSRF rules now (and is checked again at every
    delivery) and use https unless it points into ``NENTANG_OUTBOUND_ALLOW_NETWORKS``.
    The secret is returned once for the owner to keep; it is never shown again.
    """
    errors: list[FieldError] = []
    if not isinstance(owner, str) or not owner.strip() or len(owner) > 200:
        errors.append(FieldError("owner", _("Give an owner of 1 to 200 characters."), "invalid"))
    if not isinstance(description, str) or len(description) > 300:
        errors.append(FieldError("description", _("At most 300 characters."), "max_length"))
    cleaned, topic_errors = _clean_topics(topics)
    errors += topic_errors
    errors += _check_webhook_url(url)
    if errors:
        raise ValidationFailed(_("The webhook subscription is invalid."), errors=errors)

    secret = webhook_secret_new()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            owner=owner.strip(),
            url=url,
            secret=secret,
            topics=cleaned,
            description=description,
            is_active=True,
            created_at=timezone.now(),
        )
        auditing.record(
            actor=actor,
            action="kernel.webhook_subscription.create",
            subject_type="kernel.webhook_subscription",
            subject=str(subscription.id),
            summary={"owner": subscription.owner, "topics": cleaned},
        )
    return subscription, secret


def webhook_subscription_disable(
    *, actor: Actor, subscription_id: uuid.UUID
) -> WebhookSubscription:
    """Stop sending to a subscription; its pending deliveries are dead-lettered.

    Idempotent. Dead deliveries can be replayed once the endpoint works again.
    """
    now = timezone.now()
    with transaction.atomic():
        subscription = (
            WebhookSubscription.objects.select_for_update().filter(id=subscription_id).first()
        )
        if subscription is None:
            raise NotFound(_("No such webhook subscription."), code=WEBHOOK_SUBSCRIPTION_NOT_FOUND)
        if subscription.is_active:
            subscription.is_active = False
            subscription.save(update_fields=["is_active"])
            auditing.record(
                actor=actor,
                action="kernel.webhook_subscription.disable",
                subject_type="kernel.webhook_subscription",
                subject=str(subscription.id),
            )
        _dead_letter_pending([subscription.id], now, "subscription disabled")
    return subscription


def _dead_letter_pending(subscription_ids: Iterable[uuid.UUID], now: datetime, why: str) -> None:
    WebhookDelivery.objects.filter(
        subscription_id__in=list(subscription_ids), status=_Status.PENDING
    ).update(status=_Status.DEAD, completed_at=now, last_error=why)
