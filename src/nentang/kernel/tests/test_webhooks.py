"""Webhook subscriptions, fan-out, signed delivery, back-off, dead letters and replay."""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import math
import time
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from tests.support.http import Receiver, Reply

from nentang.kernel.errors import ValidationFailed
from nentang.kernel.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from nentang.kernel.tests.webhook_support import OPERATOR, TOPIC, Status, emit_committed, subscribe
from nentang.kernel.webhooks import (
    BACKOFF_CAP,
    BATCH_SIZE,
    topic_matches,
    webhook_backoff,
    webhook_deliver_due,
    webhook_dispatch,
    webhook_fan_out,
    webhook_subscription_create,
    webhook_subscription_disable,
)


def verify_standard_webhook(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """An independent receiver-side check, written from the Standard Webhooks spec."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = headers["webhook-id"] + "." + headers["webhook-timestamp"] + "." + body.decode()
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest())
    offered = [
        part.split(",", 1)[1].encode()
        for part in headers["webhook-signature"].split(" ")
        if part.startswith("v1,")
    ]
    return any(hmac.compare_digest(expected, candidate) for candidate in offered)


# --- subscriptions -------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_create_returns_a_strong_secret_once(receiver: Receiver) -> None:
    subscription, secret = webhook_subscription_create(
        actor=OPERATOR,
        owner="merchant:bach-hoa-an",
        url=receiver.url + "/hook",
        topics=["payments.*", TOPIC, "payments.*"],
        description="Cửa hàng Bách hoá An",
    )

    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) == 32
    stored = WebhookSubscription.objects.get()
    assert stored.id == subscription.id
    assert stored.secret == secret
    assert stored.topics == ["payments.*", TOPIC]
    assert stored.is_active is True
    _, another = webhook_subscription_create(
        actor=OPERATOR, owner="merchant:bach-hoa-an", url=receiver.url + "/hook", topics=["*"]
    )
    assert another != secret


@pytest.mark.django_db
@pytest.mark.usefixtures("no_allowed_networks")
@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://127.0.0.1:9/hook", "url_refused"),
        ("https://localhost/hook", "url_refused"),
        ("https://169.254.169.254/latest/meta-data/", "url_refused"),
        ("https://[::ffff:10.1.2.3]/hook", "url_refused"),
        ("ftp://93.184.215.14/hook", "url_refused"),
        ("http://93.184.215.14/hook", "https_required"),
        ("", "invalid"),
    ],
)
def test_create_applies_the_outbound_rules_to_the_url(url: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        webhook_subscription_create(
            actor=OPERATOR, owner="merchant:bach-hoa-an", url=url, topics=["*"]
        )

    assert [(e.field, e.code) for e in refused.value.errors] == [("url", code)]
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_create_rejects_malformed_topics_field_by_field(receiver: Receiver) -> None:
    with pytest.raises(ValidationFailed) as refused:
        webhook_subscription_create(
            actor=OPERATOR,
            owner=" ",
            url=receiver.url,
            topics=["payments.*", "Payments.*", "payments", "payments.transfer.*", "**"],
        )

    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("owner", "invalid"),
        ("topics.1", "invalid_topic"),
        ("topics.2", "invalid_topic"),
        ("topics.4", "invalid_topic"),
    ]
    with pytest.raises(ValidationFailed) as empty:
        webhook_subscription_create(
            actor=OPERATOR, owner="merchant:bach-hoa-an", url=receiver.url, topics=[]
        )
    assert [(e.field, e.code) for e in empty.value.errors] == [("topics", "required")]


# --- fan-out -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pattern", "topic", "matches"),
    [
        ("*", "payments.transfer.completed", True),
        ("payments.*", "payments.transfer.completed", True),
        ("payments.transfer.*", "payments.transfer.completed", True),
        ("payments.transfer.completed", "payments.transfer.completed", True),
        ("payments.transfer.completed", "payments.transfer.reversed", False),
        ("payments.*", "paymentsx.transfer.completed", False),
        ("postal.*", "payments.transfer.completed", False),
    ],
)
def test_topic_matching_rules(pattern: str, topic: str, matches: bool) -> None:
    assert topic_matches(pattern, topic) is matches


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_fan_out_creates_one_delivery_per_matching_active_subscription(
    receiver: Receiver,
) -> None:
    everything = subscribe(receiver, ["*"], owner="ioc:tp-hcm")
    payments = subscribe(receiver, ["payments.*", TOPIC], owner="merchant:bach-hoa-an")
    exact = subscribe(receiver, [TOPIC], owner="merchant:tiem-sach-binh")
    postal = subscribe(receiver, ["postal.*"], owner="merchant:giao-hang-chi")
    disabled = subscribe(receiver, ["*"], owner="merchant:da-dong-cua")
    webhook_subscription_disable(actor=OPERATOR, subscription_id=disabled.id)

    completed = emit_committed(TOPIC)
    reversed_ = emit_committed("payments.transfer.reversed")
    delivered = emit_committed("postal.shipment.delivered")
    late = subscribe(receiver, ["*"], owner="merchant:moi-mo")  # after the events

    assert webhook_fan_out() == 3

    pairs = set(WebhookDelivery.objects.values_list("event_id", "subscription_id"))
    assert pairs == {
        (completed.id, everything.id),
        (completed.id, payments.id),
        (completed.id, exact.id),
        (reversed_.id, everything.id),
        (reversed_.id, payments.id),
        (delivered.id, everything.id),
        (delivered.id, postal.id),
    }
    assert late.id not in {sub for _, sub in pairs}
    assert OutboxEvent.objects.filter(fanned_out_at__isnull=True).count() == 0
    assert webhook_fan_out() == 0  # nothing twice


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_fan_out_and_delivery_use_a_fixed_number_of_queries(
    receiver: Receiver, django_assert_max_num_queries: Any
) -> None:
    for n in range(6):
        subscribe(receiver, ["payments.*"] if n % 2 else ["*"], owner=f"merchant:cua-hang-{n}")
    for n in range(25):
        emit_committed(TOPIC, {"n": n})

    with django_assert_max_num_queries(12):
        assert webhook_fan_out() == 25
    assert WebhookDelivery.objects.count() == 150

    # 150 deliveries in batches of 16: about ten queries per batch, none per delivery.
    with django_assert_max_num_queries(12 * math.ceil(150 / BATCH_SIZE)):
        assert webhook_deliver_due() == 150
    assert len(receiver.requests) == 150
    assert WebhookDelivery.objects.filter(status=Status.SUCCEEDED).count() == 150


# --- delivery ------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_delivery_posts_the_signed_envelope(receiver: Receiver) -> None:
    subscription, secret = webhook_subscription_create(
        actor=OPERATOR,
        owner="merchant:bach-hoa-an",
        url=receiver.url + "/webhooks/nentang",
        topics=["*"],
    )
    event = emit_committed(TOPIC, {"transfer_id": "t-0001", "amount": 150_000, "note": "Phở"})
    before = int(time.time())

    assert webhook_deliver_due() == 1

    [received] = receiver.requests
    assert received.method == "POST"
    assert received.path == "/webhooks/nentang"
    assert received.headers["content-type"] == "application/json"
    assert received.headers["webhook-id"] == str(event.id)
    assert before <= int(received.headers["webhook-timestamp"]) <= int(time.time())
    assert verify_standard_webhook(secret, received.headers, received.body)
    assert not verify_standard_webhook(secret, received.headers, received.body + b" ")
    envelope = json.loads(received.body)
    assert envelope == {
        "id": str(event.id),
        "topic": TOPIC,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {"transfer_id": "t-0001", "amount": 150_000, "note": "Phở"},
    }
    delivery = WebhookDelivery.objects.get(subscription=subscription)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (
        Status.SUCCEEDED,
        1,
        200,
    )


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_failures_back_off_exponentially_then_succeed(receiver: Receiver) -> None:
    _, secret = webhook_subscription_create(
        actor=OPERATOR, owner="merchant:bach-hoa-an", url=receiver.url + "/hook", topics=[TOPIC]
    )
    emit_committed()
    receiver.reply(Reply(500), Reply(503), Reply(204))
    t0 = timezone.now()

    assert webhook_deliver_due(now=t0) == 1
    first = WebhookDelivery.objects.get()
    assert (first.status, first.attempts, first.last_status_code) == (Status.PENDING, 1, 500)
    assert timedelta(seconds=24) <= first.next_attempt_at - t0 <= timedelta(seconds=36)

    assert webhook_deliver_due(now=t0 + timedelta(seconds=20)) == 0  # not due yet

    t1 = first.next_attempt_at
    assert webhook_deliver_due(now=t1) == 1
    second = WebhookDelivery.objects.get()
    assert (second.attempts, second.last_status_code) == (2, 503)
    assert timedelta(seconds=48) <= second.next_attempt_at - t1 <= timedelta(seconds=72)

    assert webhook_deliver_due(now=second.next_attempt_at) == 1
    done = WebhookDelivery.objects.get()
    assert (done.status, done.attempts, done.last_status_code) == (Status.SUCCEEDED, 3, 204)
    assert list(WebhookAttempt.objects.values_list("status_code", flat=True)) == [500, 503, 204]
    # Same webhook-id on every attempt (the receiver's idempotency key), each signed anew.
    assert len({r.headers["webhook-id"] for r in receiver.requests}) == 1
    assert all(verify_standard_webhook(secret, r.headers, r.body) for r in receiver.requests)


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_retry_after_from_the_receiver_is_respected(receiver: Receiver) -> None:
    subscribe(receiver, [TOPIC])
    emit_committed()
    receiver.reply(Reply(429, headers={"Retry-After": "3600"}))
    t0 = timezone.now()

    webhook_deliver_due(now=t0)

    delivery = WebhookDelivery.objects.get()
    assert delivery.next_attempt_at - t0 >= timedelta(seconds=3600)


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_unreachable_endpoints_are_recorded_as_failed_attempts(closed_port: int) -> None:
    webhook_subscription_create(
        actor=OPERATOR,
        owner="merchant:bach-hoa-an",
        url=f"http://127.0.0.1:{closed_port}/hook",
        topics=["*"],
    )
    emit_committed()

    assert webhook_deliver_due() == 1

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == (Status.PENDING, None)
    assert delivery.last_error.startswith("Cannot connect to 127.0.0.1")
    attempt = WebhookAttempt.objects.get()
    assert attempt.error == delivery.last_error


@pytest.mark.django_db
def test_a_url_that_became_private_is_refused_at_delivery(
    receiver: Receiver, settings: Any
) -> None:
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    subscribe(receiver, ["*"])
    emit_committed()
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = ()

    assert webhook_deliver_due() == 1

    assert receiver.requests == []
    assert "is loopback" in WebhookDelivery.objects.get().last_error


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_dead_letter_after_the_maximum_attempts(receiver: Receiver, settings: Any) -> None:
    settings.NENTANG_WEBHOOK_MAX_ATTEMPTS = 3
    subscribe(receiver, [TOPIC])
    emit_committed()
    receiver.default = Reply(500)
    now = timezone.now()

    for _ in range(3):
        assert webhook_deliver_due(now=now) == 1
        now = WebhookDelivery.objects.get().next_attempt_at

    dead = WebhookDelivery.objects.get()
    assert (dead.status, dead.attempts, dead.last_status_code) == (Status.DEAD, 3, 500)
    assert dead.completed_at is not None
    assert webhook_deliver_due(now=now + timedelta(days=7)) == 0
    assert len(receiver.requests) == 3
    assert WebhookAttempt.objects.filter(delivery=dead).count() == 3


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_410_gone_disables_the_subscription(receiver: Receiver) -> None:
    subscription = subscribe(receiver, ["*"])
    emit_committed()
    receiver.reply(Reply(410))

    assert webhook_deliver_due() == 1

    subscription.refresh_from_db()
    assert subscription.is_active is False
    assert WebhookDelivery.objects.get().status == Status.DEAD
    emit_committed()
    assert webhook_deliver_due() == 0
    assert len(receiver.requests) == 1


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_disabling_dead_letters_pending_deliveries_and_sends_nothing(receiver: Receiver) -> None:
    subscription = subscribe(receiver, ["*"])
    emit_committed()
    webhook_fan_out()

    webhook_subscription_disable(actor=OPERATOR, subscription_id=subscription.id)

    assert webhook_deliver_due() == 0
    assert receiver.requests == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_error) == (Status.DEAD, "subscription disabled")


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_dispatch_reports_when_to_come_back(receiver: Receiver) -> None:
    subscribe(receiver, ["*"])
    emit_committed()
    receiver.reply(Reply(500))
    t0 = timezone.now()

    result = webhook_dispatch(now=t0)

    assert (result.events_fanned_out, result.attempted, result.retrying) == (1, 1, 1)
    assert result.next_due_at == WebhookDelivery.objects.get().next_attempt_at
    assert result.next_due_at is not None
    assert result.next_due_at > t0


@given(attempt=st.integers(min_value=1, max_value=40))
def test_backoff_is_exponential_with_bounded_jitter(attempt: int) -> None:
    base = min(timedelta(seconds=30) * 2 ** (attempt - 1), BACKOFF_CAP)

    delay = webhook_backoff(attempt)

    assert base * 0.8 <= delay <= min(base * 1.2, BACKOFF_CAP)
