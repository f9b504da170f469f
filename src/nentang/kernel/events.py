"""The transactional outbox: announce a change in the same transaction that makes it.

A service that changes state calls :func:`emit` inside its ``transaction.atomic()``
block. The :class:`~nentang.kernel.models.OutboxEvent` row commits or rolls back with
the change, so **an event exists if and only if the change committed**. After commit a
``dispatch_outbox`` task is enqueued; it fans the event out to webhook subscriptions
(and, later, to NATS). Nothing is sent before commit, and nothing is lost if the
process dies after commit: the next dispatch picks up every event not yet fanned out.

Topics are ``<context>.<noun>.<verb>`` in lower case (``payments.transfer.completed``,
``publicservices.dossier.submitted``). Payloads are JSON objects of plain JSON values.

Personal data (Law 91/2025): topics and payloads must never carry raw personal
identifiers — no personal ID numbers (CCCD/CMND), passport numbers, phone numbers or
tax codes of persons. Events leave the platform through webhooks to third parties and
are kept; refer to people by their opaque public id (UUIDv7) and let the receiver fetch
what it is authorised to read through the API, where the read is logged.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from nentang.kernel.copyrows import copy_rows
from nentang.kernel.doorbell import Doorbell
from nentang.kernel.ids import new_id
from nentang.kernel.jsonvalues import check_json
from nentang.kernel.models import OutboxEvent
from nentang.kernel.observability.context import current_request_id
from nentang.kernel.prepared import fixed_cursor
from nentang.kernel.rowinserts import insert_statement, mark_saved

_SEGMENT = r"[a-z][a-z0-9_]*"
TOPIC_PATTERN = re.compile(rf"^{_SEGMENT}\.{_SEGMENT}\.{_SEGMENT}$")
MAX_TOPIC_LENGTH = 120
MAX_PAYLOAD_BYTES = 65_536


class InvalidEvent(ValueError):
    """The topic or payload given to :func:`emit` breaks the outbox rules (a programming error)."""


def validate_topic(topic: str) -> str:
    """Return ``topic`` when it is ``context.noun.verb`` in lower case, else raise."""
    if (
        not isinstance(topic, str)
        or len(topic) > MAX_TOPIC_LENGTH
        or not TOPIC_PATTERN.fullmatch(topic)
    ):
        raise InvalidEvent(
            f"Event topic {topic!r} must be '<context>.<noun>.<verb>': three lower-case "
            f"segments of letters, digits and '_', separated by dots, at most "
            f"{MAX_TOPIC_LENGTH} characters (e.g. 'payments.transfer.completed')."
        )
    return topic


def validate_payload(payload: Mapping[str, Any]) -> None:
    """Raise :class:`InvalidEvent` unless ``payload`` is a small JSON object of JSON values."""
    payload_json(payload)


def payload_json(payload: Mapping[str, Any]) -> str:
    """``payload`` as compact JSON text, once :func:`validate_payload`'s rules hold."""
    if not isinstance(payload, Mapping):
        raise InvalidEvent(f"The payload must be a dict, got {type(payload).__name__}.")
    check_json(payload, "payload", InvalidEvent, floats=True)
    text = json.dumps(dict(payload), ensure_ascii=False, separators=(",", ":"))
    size = len(text.encode("utf-8"))
    if size > MAX_PAYLOAD_BYTES:
        raise InvalidEvent(
            f"The payload is {size} bytes of JSON; the limit is {MAX_PAYLOAD_BYTES}. "
            "Send ids and let receivers fetch the details."
        )
    return text


Handler = Callable[[Mapping[str, Any]], None]
_subscribers: dict[str, list[Handler]] = {}


def subscribe(topic: str, handler: Handler) -> None:
    """Run ``handler(payload)`` whenever ``topic`` is emitted, inside the emitting
    transaction (each call in its own savepoint): how one context reacts to another's
    change atomically with it (installed by the wiring in ``nentang.config``, which may
    import both). A handler that raises rolls the emitting change back, unless it catches
    what it can live with; handlers must be idempotent (the same fact may come twice)."""
    validate_topic(topic)
    handlers = _subscribers.setdefault(topic, [])
    if handler not in handlers:
        handlers.append(handler)


def _notify(topic: str, payload: Mapping[str, Any], using: str) -> None:
    for handler in _subscribers.get(topic, ()):
        with transaction.atomic(using=using):
            handler(payload)


def emit(
    topic: str,
    payload: Mapping[str, Any],
    *,
    occurred_at: datetime | None = None,
    audience: str = "",
    using: str = DEFAULT_DB_ALIAS,
) -> OutboxEvent:
    """Record that something happened, atomically with the change that made it happen.

    Must run inside the calling service's ``transaction.atomic()``: the event is written
    in that transaction and its delivery is scheduled for after commit, so a rolled-back
    change emits nothing. Never put raw personal identifiers in ``topic`` or ``payload``.
    ``audience``, when given, restricts delivery to the subscriptions of that owner.
    """
    atomic = transaction.get_connection(using)
    if not atomic.in_atomic_block:
        raise TransactionManagementError(
            f"emit({topic!r}) must be called inside the service's transaction.atomic() "
            "block, so that the event exists exactly when the change commits."
        )
    validate_topic(topic)
    validate_payload(payload)
    request_id = current_request_id()
    event = OutboxEvent(
        id=new_id(),
        topic=topic,
        payload=dict(payload),
        occurred_at=occurred_at or timezone.now(),
        request_id="" if request_id == "-" else request_id,
        audience=audience,
    )
    if using == DEFAULT_DB_ALIAS:
        # Every dossier action, payment… emits: a fixed INSERT, not one compiled per call.
        with fixed_cursor() as cursor:
            cursor.execute(*insert_statement(event))
        mark_saved(event, None)
    else:
        event.save(using=using, force_insert=True)
    # One dispatch per transaction, however many events it emits. Django keeps the
    # callbacks of the open transaction in ``run_on_commit`` and drops those of a
    # rolled-back savepoint, so a callback found there is one that will run.
    if not any(func is _dispatch_after_commit for _, func, _ in atomic.run_on_commit):
        transaction.on_commit(_dispatch_after_commit, using=using, robust=True)
    _notify(topic, event.payload, using)
    return event


# From this many events on, PostgreSQL receives them by COPY (no model instances, no
# SQL compiler, no client-side binding of thousands of placeholders).
COPY_FROM = 50
_COPY_COLUMNS = ("id", "topic", "payload", "occurred_at", "request_id", "audience")


def emit_many(
    events: Sequence[tuple[str, Mapping[str, Any], str]],
    *,
    using: str = DEFAULT_DB_ALIAS,
) -> int:
    """:func:`emit` for many events at once, as (topic, payload, audience) triples: one
    statement instead of one per event (a sorting centre's batch announces a thousand
    shipment updates) — ``COPY`` on PostgreSQL from :data:`COPY_FROM` events, else a
    multi-row INSERT. Same rules, same transaction requirement."""
    if not events:
        return 0
    connection = transaction.get_connection(using)
    if not connection.in_atomic_block:
        raise TransactionManagementError(
            "emit_many() must be called inside the service's transaction.atomic() block."
        )
    topics: set[str] = set()
    texts: list[str] = []
    for topic, payload, _audience in events:
        if topic not in topics:
            topics.add(validate_topic(topic))
        texts.append(payload_json(payload))
    request_id = current_request_id()
    request_id = "" if request_id == "-" else request_id
    now = timezone.now()
    if connection.vendor == "postgresql" and len(events) >= COPY_FROM:
        copy_rows(
            connection,
            OutboxEvent._meta.db_table,
            _COPY_COLUMNS,
            (
                (new_id(), topic, text, now, request_id, audience)
                for (topic, _payload, audience), text in zip(events, texts, strict=True)
            ),
        )
    else:
        OutboxEvent.objects.using(using).bulk_create(
            [
                OutboxEvent(
                    id=new_id(),
                    topic=topic,
                    payload=dict(payload),
                    occurred_at=now,
                    request_id=request_id,
                    audience=audience,
                )
                for topic, payload, audience in events
            ],
            batch_size=1000,
        )
    if not any(func is _dispatch_after_commit for _, func, _ in connection.run_on_commit):
        transaction.on_commit(_dispatch_after_commit, using=using, robust=True)
    if _subscribers:
        for topic, payload, _audience in events:
            _notify(topic, payload, using)
    return len(events)


def _dispatch_after_commit() -> None:
    """After a commit that emitted: a dispatch must start after it. The process asks
    the queue once for the commits of a few ms (``NENTANG_OUTBOX_SCHEDULE_SECONDS``,
    from a thread of its own: kernel.doorbell), not once per commit on the request's
    connection."""
    _doorbell.ring()


def _outbox_delay() -> float:
    from django.conf import settings

    return float(getattr(settings, "NENTANG_OUTBOX_SCHEDULE_SECONDS", 0))


_doorbell = Doorbell("outbox-schedule", lambda: outbox_schedule_dispatch(), _outbox_delay)


def outbox_schedule_flush() -> None:
    """Ask now for the commits still waiting for this process's check (at exit, and
    before a tool drops its database)."""
    _doorbell.answer_now()


def outbox_schedule_dispatch(*, run_after: datetime | None = None) -> None:
    """Make sure a ``dispatch_outbox`` task runs no later than ``run_after`` (or now).

    Enqueues nothing when a waiting dispatch already runs by then: a busy platform emits
    many events per second, and one dispatch serves them all. When the enqueue fails the
    events stay in the outbox, and the next dispatch (or ``nentang`` CLI run) sends them.
    """
    from nentang.kernel.tasks import dispatch_outbox

    backend = dispatch_outbox.get_backend()
    if run_after is not None and not backend.supports_defer:
        return
    if _dispatch_waiting(backend, dispatch_outbox.module_path, run_after):
        return
    task = dispatch_outbox if run_after is None else dispatch_outbox.using(run_after=run_after)
    task.enqueue()


def outbox_resume() -> None:
    """Schedule a dispatch for whatever waits in the outbox (run when a worker starts or
    reconnects: an after-commit enqueue lost with the connection leaves events behind)."""
    from nentang.kernel.webhooks import webhook_next_due_at

    due = webhook_next_due_at()
    if due is not None:
        outbox_schedule_dispatch(run_after=None if due <= timezone.now() else due)


def outbox_oldest_waiting() -> datetime | None:
    """When the oldest event still waiting to be fanned out occurred (None: none waits)."""
    oldest: datetime | None = (
        OutboxEvent.objects.filter(fanned_out_at__isnull=True)
        .order_by("occurred_at")
        .values_list("occurred_at", flat=True)
        .first()
    )
    return oldest


def _dispatch_waiting(backend: Any, task_path: str, run_after: datetime | None) -> bool:
    """Is a dispatch already queued (not yet running) to start by ``run_after``/now?

    Asked after every commit that emitted an event: a fixed statement (its text built
    once per database vendor), not an ORM query compiled each time."""
    from django_tasks import TaskResultStatus
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult, get_date_max

    if not isinstance(backend, DatabaseBackend):
        return False
    by = run_after or timezone.now()
    sql = _DISPATCH_WAITING.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        meta = DBTaskResult._meta
        column = {
            name: quote(str(meta.get_field(name).column))  # type: ignore[union-attr]
            for name in ("task_path", "backend_name", "status", "run_after")
        }
        sql = (
            f"SELECT 1 FROM {quote(meta.db_table)} WHERE {column['task_path']} = %s"  # noqa: S608 - metadata only
            f" AND {column['backend_name']} = %s AND {column['status']} = %s"
            f" AND ({column['run_after']} = %s OR {column['run_after']} <= %s) LIMIT 1"
        )
        _DISPATCH_WAITING[connection.vendor] = sql
    field = DBTaskResult._meta.get_field("run_after")
    params = [
        task_path,
        backend.alias,
        TaskResultStatus.READY.value,
        field.get_db_prep_value(get_date_max(), connection),
        field.get_db_prep_value(by, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone() is not None


_DISPATCH_WAITING: dict[str, str] = {}
