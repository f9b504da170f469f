"""Delivering webhooks: fan-out of outbox events, claim, send, record, dispatch.

Concurrency: a worker *claims* due deliveries in a short transaction (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL; SQLite serialises writers) by counting the attempt and leasing
the row for :data:`LEASE`; the HTTP calls run outside any transaction; the results are
recorded only if the row is still the one claimed (same attempt number, still pending).
Two workers therefore never send the same delivery at the same time, and a worker that
dies mid-send only delays the next attempt until the lease expires.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Min
from django.utils import timezone

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.models import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)
from nentang.kernel.outbound import OutboundClient, OutboundError, Timeouts, allowed_networks
from nentang.kernel.webhooks.signing import webhook_backoff, webhook_envelope, webhook_signature
from nentang.kernel.webhooks.subscriptions import _dead_letter_pending, _Router

# The name it had before webhooks became a package, so log routing and alerts still match.
logger = logging.getLogger("nentang.kernel.webhooks")

# Longer than one attempt can take (the client's 30 s deadline) times the rounds of a batch.
LEASE = timedelta(minutes=5)
BATCH_SIZE = 16
SEND_THREADS = 8
FAN_OUT_BATCH = 500
MAX_FAN_OUT_ROUNDS = 20
WEBHOOK_TIMEOUTS = Timeouts(connect=3.0, read=15.0, write=10.0, pool=3.0, total=30.0)
USER_AGENT = "nentang-webhooks/0.1"

_Status = WebhookDelivery.Status
_M = TypeVar("_M", bound=models.Model)


def _locked(queryset: models.QuerySet[_M]) -> models.QuerySet[_M]:
    """Rows locked for this transaction, skipping those another worker holds.

    On SQLite ``select_for_update`` is a no-op: its IMMEDIATE transactions serialise writers.
    """
    return queryset.select_for_update(skip_locked=True, of=("self",))


# --- fan-out -------------------------------------------------------------------------


def webhook_fan_out(*, now: datetime | None = None, limit: int = FAN_OUT_BATCH) -> int:
    """Create the deliveries owed for up to ``limit`` new events; return how many events.

    An event goes to every active subscription that matches its topic and existed when
    the event occurred. Set-based: a fixed number of queries whatever the counts.
    """
    now = now or timezone.now()
    with transaction.atomic():
        pending = OutboxEvent.objects.filter(fanned_out_at__isnull=True).order_by("id")
        batch = list(_locked(pending).only("id", "topic", "occurred_at", "audience")[:limit])
        if not batch:
            return 0
        router = _Router(
            WebhookSubscription.objects.filter(is_active=True).only(
                "id", "topics", "created_at", "owner"
            )
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
            and (not event.audience or subscription.owner == event.audience)
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
            newly_gone = list(
                WebhookSubscription.objects.filter(id__in=gone, is_active=True).values_list(
                    "id", flat=True
                )
            )
            WebhookSubscription.objects.filter(id__in=newly_gone).update(is_active=False)
            _dead_letter_pending(gone, now, "subscription disabled: the receiver answered 410")
            for subscription_id in newly_gone:
                auditing.record(
                    actor=Actor.system("webhooks"),
                    action="kernel.webhook_subscription.disable",
                    subject_type="kernel.webhook_subscription",
                    subject=str(subscription_id),
                    summary={"reason": "the receiver answered 410 Gone"},
                )
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
