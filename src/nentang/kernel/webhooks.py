"""Webhooks: subscriptions, fan-out of outbox events, signed delivery, retries, replay.

Delivery follows Standard Webhooks 1.0. Each request is a ``POST`` of the event envelope
``{"id", "topic", "occurred_at", "data"}`` (compact JSON, UTF-8) with the headers

* ``webhook-id``: the event id — the same on every retry, the receiver's idempotency key;
* ``webhook-timestamp``: Unix seconds of this attempt;
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, keyed
  with the base64-decoded part of the subscription's ``whsec_…`` secret.

Guarantees: at least once, in no particular order. A 2xx answer is success; anything
else (including a redirect or a timeout) is retried with exponential back-off and
jitter, and the delivery is dead-lettered after ``NENTANG_WEBHOOK_MAX_ATTEMPTS``
attempts. ``410 Gone`` means the receiver wants no more: the subscription is disabled.

Concurrency: a worker *claims* due deliveries in a short transaction (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite serialises writers) by counting the attempt and leasing
the row for :data:`LEASE`; the HTTP calls run outside any transaction; the results are
recorded only if the row is still the one claimed (same attempt number, still pending).
Two workers therefore never send the same delivery at the same time, and a worker that
dies mid-send only delays the next attempt until the lease expires.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import re
import secrets
import time
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import events
from nentang.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from nentang.kernel.models import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from nentang.kernel.outbound import (
    OutboundBlocked,
    OutboundClient,
    OutboundError,
    Timeouts,
    allowed_networks,
    check_url,
)

logger = logging.getLogger(__name__)

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format marker, not a secret
SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes
MAX_TOPICS = 50
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)
# Longer than one attempt can take (the client's 30 s deadline) times the rounds of a batch.
LEASE = timedelta(minutes=5)
BATCH_SIZE = 16
SEND_THREADS = 8
FAN_OUT_BATCH = 500
MAX_FAN_OUT_ROUNDS = 20
WEBHOOK_TIMEOUTS = Timeouts(connect=3.0, read=15.0, write=10.0, pool=3.0, total=30.0)
USER_AGENT = "nentang-webhooks/0.1"

_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){0,2}\.\*)$")
_Status = WebhookDelivery.Status
_M = TypeVar("_M", bound=models.Model)
_jitter = secrets.SystemRandom()


# --- signing -------------------------------------------------------------------------


def webhook_secret_new() -> str:
    """A fresh signing secret, ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one attempt (Standard Webhooks ``v1``)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_envelope(event: OutboxEvent) -> bytes:
    """The exact bytes sent (and signed) for ``event``."""
    occurred = event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    envelope = {"id": str(event.id), "topic": event.topic, "occurred_at": occurred}
    envelope["data"] = event.payload
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_backoff(attempt: int, *, retry_after: int | None = None) -> timedelta:
    """Wait after failed attempt ``attempt`` (1-based): 30 s × 2^(n−1), ±20 %, ≤ 6 h.

    A receiver's ``Retry-After`` (429/503) lengthens the wait, within the same cap.
    """
    exponent = min(max(attempt, 1) - 1, 20)
    base = min(BACKOFF_BASE * (1 << exponent), BACKOFF_CAP)
    delay = base * _jitter.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return min(delay, BACKOFF_CAP)


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


def _locked(queryset: models.QuerySet[_M]) -> models.QuerySet[_M]:
    """Rows locked for this transaction, skipping those another worker holds.

    On SQLite ``select_for_update`` is a no-op: its IMMEDIATE transactions serialise writers.
    """
    return queryset.select_for_update(skip_locked=True, of=("self",))


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
    *, owner: str, url: str, topics: Sequence[str], description: str = ""
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
    return subscription, secret


def webhook_subscription_disable(*, subscription_id: uuid.UUID) -> WebhookSubscription:
    """Stop sending to a subscription; its pending deliveries are dead-lettered.

    Idempotent. Dead deliveries can be replayed once the endpoint works again.
    """
    now = timezone.now()
    with transaction.atomic():
        subscription = (
            WebhookSubscription.objects.select_for_update().filter(id=subscription_id).first()
        )
        if subscription is None:
            raise NotFound(
                _("No such webhook subscription."), code="webhook_subscription_not_found"
            )
        if subscription.is_active:
            subscription.is_active = False
            subscription.save(update_fields=["is_active"])
        _dead_letter_pending([subscription.id], now, "subscription disabled")
    return subscription


def _dead_letter_pending(subscription_ids: Iterable[uuid.UUID], now: datetime, why: str) -> None:
    WebhookDelivery.objects.filter(
        subscription_id__in=list(subscription_ids), status=_Status.PENDING
    ).update(status=_Status.DEAD, completed_at=now, last_error=why)


# --- fan-out -------------------------------------------------------------------------


def webhook_fan_out(*, now: datetime | None = None, limit: int = FAN_OUT_BATCH) -> int:
    """Create the deliveries owed for up to ``limit`` new events; return how many events.

    An event goes to every active subscription that matches its topic and existed when
    the event occurred. Set-based: a fixed number of queries whatever the counts.
    """
    now = now or timezone.now()
    with transaction.atomic():
        pending = OutboxEvent.objects.filter(fanned_out_at__isnull=True).order_by("id")
        batch = list(_locked(pending).only("id", "topic", "occurred_at")[:limit])
        if not batch:
            return 0
        router = _Router(
            WebhookSubscription.objects.filter(is_active=True).only("id", "topics", "created_at")
        )
        deliveries = [
            WebhookDelivery(
                event_id=event.id,
                subscription_id=subscription.id,
                next_attempt_at=now,
                created_at=now,
            )
            for event in batch
            for subscription in router.match(event.topic)
            if subscription.created_at <= event.occurred_at
        ]
        WebhookDelivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=500)
        OutboxEvent.objects.filter(id__in=[event.id for event in batch]).update(fanned_out_at=now)
    return len(batch)


# --- delivery ------------------------------------------------------------------------


@dataclass
class _Outcome:
    delivery: WebhookDelivery
    status_code: int | None
    error: str
    duration_ms: int
    retry_after: int | None = None

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


@dataclass(frozen=True)
class DispatchResult:
    """What one dispatch did, and when the next delivery falls due (``None``: nothing)."""

    events_fanned_out: int
    attempted: int
    succeeded: int
    retrying: int
    dead: int
    next_due_at: datetime | None

    def counts(self) -> dict[str, int]:
        return {
            "events_fanned_out": self.events_fanned_out,
            "attempted": self.attempted,
            "succeeded": self.succeeded,
            "retrying": self.retrying,
            "dead": self.dead,
        }


def _claim(now: datetime, size: int) -> list[WebhookDelivery]:
    with transaction.atomic():
        due = WebhookDelivery.objects.filter(
            status=_Status.PENDING, next_attempt_at__lte=now, subscription__is_active=True
        ).order_by("next_attempt_at", "id")
        ids = list(_locked(due).values_list("id", flat=True)[:size])
        if not ids:
            return []
        WebhookDelivery.objects.filter(id__in=ids).update(
            attempts=F("attempts") + 1, last_attempt_at=now, next_attempt_at=now + LEASE
        )
    return list(
        WebhookDelivery.objects.filter(id__in=ids)
        .select_related("event", "subscription")
        .order_by("next_attempt_at", "id")
    )


def _retry_after(value: str | None) -> int | None:
    if value and value.strip().isdigit():
        return int(value.strip())
    return None


def _send(client: OutboundClient, delivery: WebhookDelivery) -> _Outcome:
    """One HTTP attempt. Runs in a worker thread: it must not touch the database."""
    body = webhook_envelope(delivery.event)
    msg_id = str(delivery.event_id)
    timestamp = int(time.time())
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": webhook_signature(
            secret=delivery.subscription.secret, msg_id=msg_id, timestamp=timestamp, body=body
        ),
    }
    started = time.monotonic()
    try:
        response = client.post(
            delivery.subscription.url, headers=headers, content=body, discard_body=True
        )
    except OutboundError as error:
        return _Outcome(delivery, None, str(error), int((time.monotonic() - started) * 1000))
    except Exception as error:  # a bug must cost one attempt, not the whole batch
        logger.exception("Webhook delivery %s failed unexpectedly", delivery.id)
        return _Outcome(delivery, None, repr(error), int((time.monotonic() - started) * 1000))
    code = response.status_code
    return _Outcome(
        delivery,
        code,
        "" if 200 <= code < 300 else f"HTTP {code}",
        response.elapsed_ms,
        _retry_after(response.headers.get("retry-after")) if code in (429, 503) else None,
    )


def _record(outcomes: list[_Outcome], now: datetime) -> dict[str, int]:
    """Write the outcomes of one batch in a fixed number of queries."""
    max_attempts = settings.NENTANG_WEBHOOK_MAX_ATTEMPTS
    tally = {"succeeded": 0, "retrying": 0, "dead": 0}
    with transaction.atomic():
        by_id = {outcome.delivery.id: outcome for outcome in outcomes}
        # The claim is the fencing token: same attempt number and claim time, still pending.
        still_ours = {
            row[0]: (row[1], row[2])
            for row in WebhookDelivery.objects.select_for_update()
            .filter(id__in=list(by_id), status=_Status.PENDING)
            .order_by("id")  # a stable lock order
            .values_list("id", "attempts", "last_attempt_at")
        }
        updated: list[WebhookDelivery] = []
        gone: set[uuid.UUID] = set()
        for outcome in outcomes:
            delivery = outcome.delivery
            if still_ours.get(delivery.id) != (delivery.attempts, delivery.last_attempt_at):
                continue  # replayed, disabled or re-claimed meanwhile: not ours to write
            delivery.last_status_code = outcome.status_code
            delivery.last_error = outcome.error[:500]
            if outcome.succeeded:
                delivery.status = _Status.SUCCEEDED
                delivery.completed_at = delivery.next_attempt_at = now
            elif outcome.status_code == 410 or delivery.attempts >= max_attempts:
                delivery.status = _Status.DEAD
                delivery.completed_at = delivery.next_attempt_at = now
                if outcome.status_code == 410:
                    gone.add(delivery.subscription_id)
            else:
                delay = webhook_backoff(delivery.attempts, retry_after=outcome.retry_after)
                delivery.next_attempt_at = now + delay
            tally[_tally_key(delivery)] += 1
            updated.append(delivery)
        WebhookDelivery.objects.bulk_update(
            updated,
            ["status", "last_status_code", "last_error", "next_attempt_at", "completed_at"],
        )
        WebhookAttempt.objects.bulk_create(
            WebhookAttempt(
                delivery_id=outcome.delivery.id,
                attempted_at=outcome.delivery.last_attempt_at or now,
                status_code=outcome.status_code,
                error=outcome.error[:500],
                duration_ms=outcome.duration_ms,
            )
            for outcome in outcomes
        )
        if gone:
            WebhookSubscription.objects.filter(id__in=gone).update(is_active=False)
            _dead_letter_pending(gone, now, "subscription disabled: the receiver answered 410")
    return tally


def _tally_key(delivery: WebhookDelivery) -> str:
    if delivery.status == _Status.SUCCEEDED:
        return "succeeded"
    return "dead" if delivery.status == _Status.DEAD else "retrying"


def webhook_dispatch(*, now: datetime | None = None, limit: int = 500) -> DispatchResult:
    """Fan out new events, then attempt up to ``limit`` due deliveries, in batches.

    ``now`` pins the clock (tests, replays of a schedule); by default each step reads it.
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else timezone.now
    fanned = 0
    for _round in range(MAX_FAN_OUT_ROUNDS):
        count = webhook_fan_out(now=clock(), limit=FAN_OUT_BATCH)
        fanned += count
        if count < FAN_OUT_BATCH:
            break
    attempted = 0
    tally = {"succeeded": 0, "retrying": 0, "dead": 0}
    client = OutboundClient(
        timeouts=WEBHOOK_TIMEOUTS, allow_networks=allowed_networks(), user_agent=USER_AGENT
    )
    with client, ThreadPoolExecutor(SEND_THREADS, thread_name_prefix="webhook") as pool:
        while attempted < limit:
            batch = _claim(clock(), min(BATCH_SIZE, limit - attempted))
            if not batch:
                break
            outcomes = list(pool.map(lambda delivery: _send(client, delivery), batch))
            for key, value in _record(outcomes, clock()).items():
                tally[key] += value
            attempted += len(batch)
    next_due = clock() if attempted >= limit else webhook_next_due_at()
    return DispatchResult(
        events_fanned_out=fanned,
        attempted=attempted,
        next_due_at=next_due,
        **tally,
    )


def webhook_deliver_due(*, now: datetime | None = None, limit: int = 500) -> int:
    """Fan out new events and attempt the deliveries that are due; return the attempts made.

    For the CLI and cron; the ``dispatch_outbox`` task does the same and reschedules itself.
    """
    return webhook_dispatch(now=now, limit=limit).attempted


def webhook_next_due_at() -> datetime | None:
    """When the earliest pending delivery falls due; now if events wait for fan-out."""
    if OutboxEvent.objects.filter(fanned_out_at__isnull=True).exists():
        return timezone.now()
    due: datetime | None = WebhookDelivery.objects.filter(
        status=_Status.PENDING, subscription__is_active=True
    ).aggregate(due=Min("next_attempt_at"))["due"]
    return due


# --- replay --------------------------------------------------------------------------


def _reset(delivery: WebhookDelivery, now: datetime) -> None:
    delivery.status = _Status.PENDING
    delivery.attempts = 0
    delivery.next_attempt_at = now
    delivery.completed_at = None
    delivery.last_error = ""


_RESET_FIELDS = ["status", "attempts", "next_attempt_at", "completed_at", "last_error"]


def webhook_delivery_replay(*, delivery_id: uuid.UUID) -> WebhookDelivery:
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
            raise NotFound(_("No such webhook delivery."), code="webhook_delivery_not_found")
        if delivery.status == _Status.PENDING:
            raise Conflict(
                _("This delivery is still pending; it will be attempted again on its own."),
                code="webhook_delivery_pending",
            )
        if not delivery.subscription.is_active:
            raise Conflict(
                _("The subscription of this delivery is disabled."),
                code="webhook_subscription_inactive",
            )
        _reset(delivery, now)
        delivery.save(update_fields=_RESET_FIELDS)
        transaction.on_commit(events.outbox_schedule_dispatch, robust=True)
    return delivery


def webhook_event_replay(
    *, event_id: uuid.UUID, subscription_id: uuid.UUID | None = None
) -> list[WebhookDelivery]:
    """Deliver an event again to every active subscription matching its topic (or one).

    Existing deliveries that are dead or succeeded restart now; missing ones are
    created; pending ones are left on their way. Returns the deliveries concerned.
    """
    now = timezone.now()
    with transaction.atomic():
        event = OutboxEvent.objects.filter(id=event_id).first()
        if event is None:
            raise NotFound(_("No such event."), code="event_not_found")
        subscriptions = WebhookSubscription.objects.filter(is_active=True)
        if subscription_id is not None:
            subscriptions = subscriptions.filter(id=subscription_id)
        targets = _Router(subscriptions).match(event.topic)
        if subscription_id is not None and not targets:
            raise Conflict(
                _("That subscription is not active or does not receive this topic."),
                code="webhook_subscription_not_matching",
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
        transaction.on_commit(events.outbox_schedule_dispatch, robust=True)
    return [*existing.values(), *created]
