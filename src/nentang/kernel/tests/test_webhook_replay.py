"""Webhook replay (by an operator, from the admin) and workers racing on deliveries."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.test import Client
from tests.support.http import Receiver, Reply
from tests.support.staff import staff_login

from nentang.kernel.errors import Conflict, NotFound
from nentang.kernel.models import OutboxEvent, WebhookAttempt, WebhookDelivery, WebhookSubscription
from nentang.kernel.tests.webhook_support import OPERATOR, TOPIC, Status, emit_committed, subscribe
from nentang.kernel.webhooks import (
    webhook_deliver_due,
    webhook_delivery_replay,
    webhook_event_replay,
    webhook_fan_out,
)

# --- replay --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_replaying_a_dead_delivery_sends_it_again(receiver: Receiver, settings: Any) -> None:
    settings.NENTANG_WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(receiver, [TOPIC])
    event = emit_committed()
    receiver.reply(Reply(500))
    webhook_deliver_due()
    dead = WebhookDelivery.objects.get()
    assert dead.status == Status.DEAD

    replayed = webhook_delivery_replay(actor=OPERATOR, delivery_id=dead.id)

    assert (replayed.status, replayed.attempts, replayed.completed_at) == (Status.PENDING, 0, None)
    assert webhook_deliver_due() == 1
    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED
    assert [r.headers["webhook-id"] for r in receiver.requests] == [str(event.id)] * 2
    assert WebhookAttempt.objects.count() == 2  # the log is kept


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_replaying_a_succeeded_delivery_sends_it_again(receiver: Receiver) -> None:
    subscribe(receiver, [TOPIC])
    emit_committed()
    webhook_deliver_due()

    webhook_delivery_replay(actor=OPERATOR, delivery_id=WebhookDelivery.objects.get().id)
    webhook_deliver_due()

    assert len(receiver.requests) == 2
    assert WebhookDelivery.objects.get().status == Status.SUCCEEDED


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_a_pending_delivery_cannot_be_replayed(receiver: Receiver) -> None:
    subscribe(receiver, [TOPIC])
    emit_committed()
    webhook_fan_out()

    with pytest.raises(Conflict) as conflict:
        webhook_delivery_replay(actor=OPERATOR, delivery_id=WebhookDelivery.objects.get().id)

    assert conflict.value.code == "webhook_delivery_pending"
    with pytest.raises(NotFound):
        webhook_delivery_replay(actor=OPERATOR, delivery_id=OutboxEvent.objects.get().id)


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_replaying_an_event_restarts_and_creates_deliveries(receiver: Receiver) -> None:
    first = subscribe(receiver, ["payments.*"], owner="merchant:bach-hoa-an")
    event = emit_committed()
    webhook_deliver_due()
    second = subscribe(receiver, [TOPIC], owner="merchant:tiem-sach-binh")
    subscribe(receiver, ["postal.*"], owner="merchant:giao-hang-chi")

    deliveries = webhook_event_replay(actor=OPERATOR, event_id=event.id)

    assert {d.subscription_id for d in deliveries} == {first.id, second.id}
    assert {d.status for d in WebhookDelivery.objects.all()} == {Status.PENDING}
    assert webhook_deliver_due() == 2
    assert len(receiver.requests) == 3

    [only] = webhook_event_replay(actor=OPERATOR, event_id=event.id, subscription_id=second.id)
    assert only.subscription_id == second.id
    with pytest.raises(Conflict):
        webhook_event_replay(
            actor=OPERATOR,
            event_id=event.id,
            subscription_id=WebhookSubscription.objects.get(owner="merchant:giao-hang-chi").id,
        )


@pytest.mark.django_db
@pytest.mark.usefixtures("allow_loopback")
def test_admin_replay_action_calls_the_service(receiver: Receiver, settings: Any) -> None:
    settings.NENTANG_WEBHOOK_MAX_ATTEMPTS = 1
    subscribe(receiver, [TOPIC])
    emit_committed()
    receiver.reply(Reply(500))
    webhook_deliver_due()
    delivery = WebhookDelivery.objects.get()
    operator = get_user_model().objects.create_superuser(
        username="can-bo-tran-thi-binh",
        password="mat-khau-dai-12",
    )
    client = Client()
    staff_login(client, operator)

    listing = client.get("/admin/kernel/webhookdelivery/?status__exact=dead")
    response = client.post(
        "/admin/kernel/webhookdelivery/",
        {"action": "replay", "_selected_action": [str(delivery.id)]},
    )

    assert listing.status_code == 200
    assert str(delivery.id) in listing.content.decode()
    assert response.status_code == 302
    assert WebhookDelivery.objects.get().status == Status.PENDING
    subscription_page = client.get(
        f"/admin/kernel/webhooksubscription/{delivery.subscription_id}/change/"
    )
    assert subscription_page.status_code == 200
    assert delivery.subscription.secret not in subscription_page.content.decode()
    assert client.get("/admin/kernel/outboxevent/").status_code == 200
    assert client.get("/admin/kernel/outboxevent/add/").status_code == 403  # events are immutable
    detail = client.get(f"/admin/kernel/webhookdelivery/{delivery.id}/change/")
    assert detail.status_code == 200
    assert "HTTP 500" in detail.content.decode()  # the attempt log is shown inline


# --- concurrency ---------------------------------------------------------------------


def race(workers: int) -> tuple[list[int], list[BaseException]]:
    """Run ``webhook_deliver_due`` in ``workers`` threads released at the same instant."""
    start = threading.Barrier(workers)
    attempted: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            attempted.append(webhook_deliver_due())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return attempted, errors


def assert_each_sent_once(receiver: Receiver, events: list[OutboxEvent]) -> None:
    sent = [r.headers["webhook-id"] for r in receiver.requests]
    assert sorted(sent) == sorted(str(e.id) for e in events)
    assert set(WebhookDelivery.objects.values_list("status", "attempts")) == {(Status.SUCCEEDED, 1)}


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("allow_loopback")
def test_workers_racing_on_postgresql_never_send_a_delivery_twice(receiver: Receiver) -> None:
    subscribe(receiver, ["*"])
    events = [emit_committed(TOPIC, {"n": n}) for n in range(96)]
    webhook_fan_out()
    receiver.default = Reply(200, delay=0.01)  # keep the workers busy at the same time

    attempted, errors = race(workers=3)

    assert errors == []
    assert sum(attempted) == 96
    assert len([count for count in attempted if count > 0]) >= 2, attempted
    assert_each_sent_once(receiver, events)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("allow_loopback")
def test_a_worker_skips_rows_another_worker_has_locked(receiver: Receiver) -> None:
    subscribe(receiver, ["*"])
    events = [emit_committed(TOPIC, {"n": n}) for n in range(10)]
    webhook_fan_out()
    deliveries = list(WebhookDelivery.objects.order_by("next_attempt_at", "id"))
    held = {d.id for d in deliveries[:5]}

    def second_worker() -> None:
        try:
            webhook_deliver_due()
        finally:
            connection.close()

    worker = threading.Thread(target=second_worker)

    # Given another worker in the middle of claiming the first five deliveries,
    try:
        with transaction.atomic():
            list(WebhookDelivery.objects.select_for_update().filter(id__in=held))
            # when a second worker runs, it neither waits for them nor sends them.
            worker.start()
            worker.join(timeout=20)
            assert not worker.is_alive()
            sent = {r.headers["webhook-id"] for r in receiver.requests}
            assert sent == {str(d.event_id) for d in deliveries[5:]}
    finally:
        worker.join(timeout=60)  # never leave it holding a connection into teardown

    assert webhook_deliver_due() == 5
    assert_each_sent_once(receiver, events)


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("allow_loopback")
def test_workers_racing_on_any_database_never_send_a_delivery_twice(receiver: Receiver) -> None:
    subscribe(receiver, ["*"])
    events = [emit_committed(TOPIC, {"n": n}) for n in range(40)]
    webhook_fan_out()
    receiver.default = Reply(200, delay=0.01)

    attempted, errors = race(workers=2)

    assert errors == []
    assert sum(attempted) == 40
    assert_each_sent_once(receiver, events)
