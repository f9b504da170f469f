"""The transactional outbox: an event exists, and is delivered, iff its transaction commits."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.transaction import TransactionManagementError
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult
from tests.support.http import Receiver, Reply

from nentang.kernel.auditing import Actor
from nentang.kernel.events import COPY_FROM, MAX_PAYLOAD_BYTES, InvalidEvent, emit, emit_many
from nentang.kernel.ids import id_timestamp_ms
from nentang.kernel.models import OutboxEvent, WebhookDelivery
from nentang.kernel.observability.context import bind_request_id, reset_request_id
from nentang.kernel.tasks import dispatch_outbox
from nentang.kernel.webhooks import webhook_deliver_due, webhook_subscription_create

OPERATOR = Actor.officer("can-bo-van-hanh")  # the operator acting in these tests

TOPIC = "payments.transfer.completed"
PAYLOAD = {"transfer_id": "0190a1b2-0000-7000-8000-000000000001", "amount": 150_000}


def subscribe_shop(receiver: Receiver, topics: list[str] | None = None) -> Any:
    """The webhook endpoint of the merchant "Cửa hàng Bách hoá An"."""
    subscription, _secret = webhook_subscription_create(
        actor=OPERATOR,
        owner="merchant:bach-hoa-an",
        url=receiver.url + "/webhooks/nentang",
        topics=topics or ["payments.*"],
        description="Cửa hàng Bách hoá An",
    )
    return subscription


def dispatch_tasks() -> Any:
    return DBTaskResult.objects.filter(task_path=dispatch_outbox.module_path)


def run_webhook_worker() -> None:
    """The real django-tasks-db worker, once through the queue."""
    call_command(
        "db_worker",
        queue_name="webhooks",
        batch=True,
        startup_delay=False,
        reload=False,
        interval=0,
        verbosity=0,
    )


@pytest.mark.django_db
def test_emit_writes_the_event_with_its_context() -> None:
    token = bind_request_id("req-an-0001")
    try:
        with transaction.atomic():
            event = emit(TOPIC, PAYLOAD)
    finally:
        reset_request_id(token)

    stored = OutboxEvent.objects.get()
    assert stored.id == event.id
    assert stored.id.version == 7
    assert stored.topic == TOPIC
    assert stored.payload == PAYLOAD
    assert stored.request_id == "req-an-0001"
    assert stored.fanned_out_at is None
    assert abs(id_timestamp_ms(stored.id) - stored.occurred_at.timestamp() * 1000) < 1000


@pytest.mark.django_db
def test_emit_outside_a_request_leaves_the_request_id_empty() -> None:
    with transaction.atomic():
        emit(TOPIC, PAYLOAD, occurred_at=datetime(2025, 9, 2, 1, 0, tzinfo=UTC))

    stored = OutboxEvent.objects.get()
    assert stored.request_id == ""
    assert stored.occurred_at == datetime(2025, 9, 2, 1, 0, tzinfo=UTC)


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused() -> None:
    with pytest.raises(TransactionManagementError, match="inside the service's transaction"):
        emit(TOPIC, PAYLOAD)

    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "topic",
    [
        "payments",
        "payments.transfer",
        "Payments.transfer.completed",
        "payments.transfer.completed.twice",
        "payments..completed",
        "payments.transfer.completed ",
        "payments.chuyển_khoản.completed",
        "payments.transfer-x.completed",
        "1payments.transfer.completed",
        "",
    ],
)
def test_topics_must_be_context_noun_verb(topic: str) -> None:
    with transaction.atomic(), pytest.raises(InvalidEvent, match=r"<context>\.<noun>\.<verb>"):
        emit(topic, PAYLOAD)

    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"amount": Decimal("150000")}, r"payload\.amount: a Decimal is not JSON; convert it"),
        ({"at": datetime(2025, 1, 1, tzinfo=UTC)}, r"payload\.at: a datetime is not JSON"),
        ({"tags": {"a", "b"}}, r"payload\.tags: a set is not JSON"),
        ({"items": [1, {"x": math.nan}]}, r"payload\.items\.1\.x: nan is not a number"),
        ({"by_ward": {79: 1}}, r"payload\.by_ward: keys must be strings, not 79 of type int"),
        # PostgreSQL refuses a NUL in JSON and nobody can encode a lone surrogate: both
        # used to escape as database or encoding errors instead of InvalidEvent.
        ({"note": "a\x00b"}, r"payload\.note: contains a NUL character"),
        ({"name": "Nguy\ud800n"}, r"payload\.name: not valid Unicode"),
        ({"big": 2**60}, r"payload\.big: integers must lie within"),
        ({"blob": "x" * MAX_PAYLOAD_BYTES}, "the limit is 65536"),
        (["not", "a", "dict"], "The payload must be a dict, got list"),
    ],
)
def test_payloads_must_be_plain_json(payload: Any, message: str) -> None:
    with transaction.atomic(), pytest.raises(InvalidEvent, match=message):
        emit(TOPIC, payload)

    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("allow_loopback")
def test_a_rolled_back_transaction_emits_and_delivers_nothing(receiver: Receiver) -> None:
    subscribe_shop(receiver)

    def declined_transfer() -> None:
        with transaction.atomic():
            emit(TOPIC, PAYLOAD)
            raise RuntimeError("the transfer was declined")

    with pytest.raises(RuntimeError, match="declined"):
        declined_transfer()

    assert OutboxEvent.objects.count() == 0
    assert dispatch_tasks().count() == 0
    assert webhook_deliver_due() == 0
    assert receiver.requests == []


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("allow_loopback")
def test_a_committed_event_is_delivered_by_the_worker(receiver: Receiver) -> None:
    subscribe_shop(receiver)

    with transaction.atomic():
        event = emit(TOPIC, PAYLOAD)
        assert dispatch_tasks().count() == 0  # nothing before commit

    assert list(dispatch_tasks().values_list("status", "queue_name")) == [
        (TaskResultStatus.READY, "webhooks")
    ]
    run_webhook_worker()

    assert [r.headers["webhook-id"] for r in receiver.requests] == [str(event.id)]
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED
    assert list(dispatch_tasks().values_list("status", flat=True)) == [TaskResultStatus.SUCCESSFUL]


@pytest.mark.django_db(transaction=True)
def test_one_dispatch_is_enqueued_per_transaction_and_savepoints_are_respected() -> None:
    with transaction.atomic():
        emit(TOPIC, PAYLOAD)
        emit("payments.transfer.reversed", PAYLOAD)
    assert dispatch_tasks().count() == 1

    # The first emit's savepoint rolls back: its callback goes, the second registers one.
    with transaction.atomic():
        try:
            with transaction.atomic():
                emit(TOPIC, {"n": 1})
                raise ValueError("inner step failed")
        except ValueError:
            pass
        emit(TOPIC, {"n": 2})
    # A dispatch is still waiting (READY), so none is added.
    assert dispatch_tasks().count() == 1
    payloads = list(OutboxEvent.objects.values_list("payload", flat=True))
    assert (len(payloads), payloads.count(PAYLOAD), {"n": 1} in payloads) == (3, 2, False)


@pytest.mark.django_db(transaction=True)
def test_a_new_dispatch_is_enqueued_once_the_waiting_one_has_run() -> None:
    with transaction.atomic():
        emit(TOPIC, PAYLOAD)
    run_webhook_worker()
    with transaction.atomic():
        emit(TOPIC, PAYLOAD)

    assert sorted(dispatch_tasks().values_list("status", flat=True)) == sorted(
        [TaskResultStatus.SUCCESSFUL, TaskResultStatus.READY]
    )


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("allow_loopback")
def test_the_dispatch_task_comes_back_when_the_retry_is_due(receiver: Receiver) -> None:
    subscribe_shop(receiver)
    receiver.reply(Reply(503))
    with transaction.atomic():
        emit(TOPIC, PAYLOAD)

    run_webhook_worker()

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts) == (WebhookDelivery.Status.PENDING, 1)
    waiting = dispatch_tasks().filter(status=TaskResultStatus.READY)
    assert list(waiting.values_list("run_after", flat=True)) == [delivery.next_attempt_at]


@pytest.mark.django_db
@pytest.mark.parametrize("count", [3, COPY_FROM])  # an INSERT; on PostgreSQL a COPY
def test_emit_many_stores_each_event_as_emit_does(count: int) -> None:
    shops = [f"merchant:shop-{n}" for n in range(count)]
    payloads = [
        {"transfer_id": f"t-{n}", "amount": 1_000 * n, "note": 'Bánh mì "đặc biệt"\t\\ ½'}
        for n in range(count)
    ]
    token = bind_request_id("req-batch-0001")
    try:
        with transaction.atomic():
            emit_many([(TOPIC, p, shop) for p, shop in zip(payloads, shops, strict=True)])
            emit("payments.transfer.reversed", PAYLOAD)
    finally:
        reset_request_id(token)

    stored = list(OutboxEvent.objects.exclude(topic="payments.transfer.reversed"))
    assert [(e.payload, e.audience) for e in stored] == list(zip(payloads, shops, strict=True))
    single = OutboxEvent.objects.get(topic="payments.transfer.reversed")
    for event in stored:
        assert (event.topic, event.request_id, event.fanned_out_at) == (
            TOPIC,
            "req-batch-0001",
            None,
        )
        assert event.id.version == 7
        assert event.occurred_at <= single.occurred_at


@pytest.mark.django_db
def test_emit_many_writes_nothing_when_one_payload_is_bad() -> None:
    batch = [(TOPIC, {"n": float(n)}, "") for n in range(COPY_FROM)]
    batch.append((TOPIC, {"n": math.inf}, ""))
    with transaction.atomic(), pytest.raises(InvalidEvent, match=r"payload\.n: inf"):
        emit_many(batch)

    assert OutboxEvent.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_commits_ask_for_a_dispatch_once_from_a_thread_after_they_land(settings: Any) -> None:
    """Outside the tests a process gathers its commits for a few ms and asks the queue
    once, after all of them, from a thread of its own (kernel.doorbell): no statement
    follows a commit on the emitting connection, and a dispatch waits that starts after
    every one of them."""
    import threading

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.NENTANG_OUTBOX_SCHEDULE_SECONDS = 0.05
    with CaptureQueriesContext(connection) as seen:
        for number in range(3):
            with transaction.atomic():
                emit(TOPIC, {"n": number})
    assert not [q for q in seen.captured_queries if "dbtaskresult" in q["sql"].lower()]
    for _ in range(200):  # the thread asks within ~50 ms; no timing is asserted
        if dispatch_tasks().exists():
            break
        threading.Event().wait(0.05)
    assert list(dispatch_tasks().values_list("status", flat=True)) == [TaskResultStatus.READY]
    run_webhook_worker()
    assert not OutboxEvent.objects.filter(fanned_out_at__isnull=True).exists()
