"""GSMA Mobile Money API v1.2 asynchronous mode: request states, the worker, callbacks.

A client registers a callback URL once (``callback_register``: a kernel webhook
subscription owned by ``payments-callback:<client>:<digest of the URL>``, whose secret
signs every callback, Standard Webhooks 1.0). A transaction request carrying that URL
in ``X-Callback-URL`` is checked (parties, amount, quotation) and accepted
(``request_accept``): stored ``pending`` with its order, answered ``202 Accepted``, and
a task (``tasks.request_process``) queued after commit. The worker runs it
(``request_process``): the outcome — the transaction, or the error that stopped it — is
recorded with an outbox event in one transaction, and the kernel delivers the event to
that URL only (its audience is the subscription's owner), retried with back-off until
it is acknowledged. ``GET /requeststates/{serverCorrelationId}`` and ``GET
/responses/{clientCorrelationId}`` are the polling fallback: they read the same state.

Idempotent: the state is unique per (client, ``X-CorrelationID``); a retry returns it
and runs nothing (other content is refused); a task run twice finds the request no
longer pending. Without a callback URL the request runs at once (``request_submit``)
and its state is recorded for polling.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import events
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, NotFound, ProblemError, ValidationFailed
from nentang.kernel.models import WebhookSubscription
from nentang.kernel.webhooks import webhook_subscription_create, webhook_subscription_disable
from nentang.payments.models import RequestState, Transfer
from nentang.payments.problems import (
    CALLBACK_URL_NOT_REGISTERED,
    REQUEST_STATE_NOT_FOUND,
    TRANSFER_EXISTS_DIFFERENT,
)
from nentang.payments.services.transactions import (
    TransactionOrder,
    transaction_execute,
    transaction_out,
)

CALLBACK_TOPIC = "payments.request.completed"


def callback_owner(*, client_id: str, url: str) -> str:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:24]
    return f"payments-callback:{client_id[:120]}:{digest}"


def callback_register(*, actor: Actor, client_id: str, url: str) -> tuple[Any, str]:
    """Register ``url`` for this client's callbacks; the signing secret is returned once.
    Registering the same URL again replaces the previous secret."""
    owner = callback_owner(client_id=client_id, url=url)
    with transaction.atomic():
        for old in WebhookSubscription.objects.filter(owner=owner, is_active=True):
            webhook_subscription_disable(actor=actor, subscription_id=old.id)
        return webhook_subscription_create(
            actor=actor, owner=owner, url=url, topics=[CALLBACK_TOPIC],
            description="GSMA X-Callback-URL",
        )  # fmt: skip


def _callback_audience(client_id: str, url: str) -> str:
    owner = callback_owner(client_id=client_id, url=url)
    if not WebhookSubscription.objects.filter(owner=owner, url=url, is_active=True).exists():
        raise ValidationFailed(
            _("Register this callback URL first (POST /api/v1/payments/callbacks)."),
            code=CALLBACK_URL_NOT_REGISTERED,
            errors=[
                FieldError(
                    "X-Callback-URL",
                    _("This URL is not a registered callback of your client."),
                    CALLBACK_URL_NOT_REGISTERED,
                )
            ],
        )
    return owner


def _state_event(state: RequestState, transaction_out: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = request_state_out(state)
    if transaction_out is not None:
        body["transaction"] = transaction_out
    return body


def request_state_out(state: RequestState) -> dict[str, Any]:
    """The GSMA ``requestState`` object."""
    out: dict[str, Any] = {
        "serverCorrelationId": str(state.server_correlation_id),
        "clientCorrelationId": str(state.client_correlation_id),
        "status": state.status,
        "notificationMethod": state.notification_method,
        "objectReference": str(state.object_reference) if state.object_reference else "",
        "pollLimit": 100,
    }
    if state.error_code:
        out["errorReference"] = {
            "errorCategory": "businessRule",
            "errorCode": state.error_code,
            "errorDescription": state.error_description,
        }
    return out


def request_submit(
    *,
    client_id: str,
    correlation_id: uuid.UUID,
    kind: str,
    operation: Callable[[], Transfer],
) -> tuple[RequestState, Transfer]:
    """Run one GSMA transaction request now (synchronous mode) and record its state for
    polling; a refusal is raised (and records nothing)."""
    with transaction.atomic():
        done = operation()
        state = _record_completed(client_id, correlation_id, kind, done.id)
    return state, done


def _record_completed(
    client_id: str, correlation_id: uuid.UUID, kind: str, reference: uuid.UUID
) -> RequestState:
    """The completed state of a synchronous request: inserted unless this correlation id
    has one (a retry, or a concurrent one that committed first: then that one is read).
    ``INSERT … ON CONFLICT DO NOTHING`` needs no savepoint (one statement, not five)."""
    now = timezone.now()
    state = RequestState(
        client_id=client_id,
        client_correlation_id=correlation_id,
        kind=kind,
        status=RequestState.Status.COMPLETED,
        notification_method="polling",
        object_reference=reference,
        created_at=now,
        updated_at=now,
    )
    fields = RequestState._meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    sql = (
        f"INSERT INTO {connection.ops.quote_name(RequestState._meta.db_table)} ({columns}) "  # noqa: S608
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING RETURNING 1"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [f.get_db_prep_save(f.pre_save(state, True), connection) for f in fields]
        )
        if cursor.fetchone() is not None:
            state._state.adding = False
            return state
    return RequestState.objects.get(client_id=client_id, client_correlation_id=correlation_id)


def request_state_get(*, client_id: str, server_correlation_id: str = "",
                      client_correlation_id: str = "") -> RequestState:  # fmt: skip
    """A request of this client (another client's request is "not found")."""
    query = RequestState.objects.filter(client_id=client_id)
    try:
        if server_correlation_id:
            state = query.filter(server_correlation_id=uuid.UUID(server_correlation_id)).first()
        else:
            state = query.filter(client_correlation_id=uuid.UUID(client_correlation_id)).first()
    except ValueError:
        state = None
    if state is None:
        raise NotFound(_("No request of yours has this id."), code=REQUEST_STATE_NOT_FOUND)
    return state


# ------------------------------------------------------------- the asynchronous worker


def request_accept(
    *, client_id: str, correlation_id: uuid.UUID, callback_url: str, order: TransactionOrder
) -> RequestState:
    """Accept an asynchronous request (GSMA ``X-Callback-URL``): store it ``pending``
    with its order and queue ``tasks.request_process`` after commit; the worker runs it,
    records the outcome and sends the callback. The same correlation id again returns
    the stored state (nothing runs twice); with other content it is refused
    (``transfer_exists_with_different_parameters``), as in synchronous mode."""
    audience = _callback_audience(client_id, callback_url)
    wanted = {**order.as_dict(), "audience": audience}
    now = timezone.now()
    try:
        with transaction.atomic():
            state, created = RequestState.objects.get_or_create(
                client_id=client_id,
                client_correlation_id=correlation_id,
                defaults={
                    "kind": order.kind,
                    "status": RequestState.Status.PENDING,
                    "notification_method": "callback",
                    "operation": wanted,
                    "created_at": now,
                    "updated_at": now,
                },
            )
            if created:
                transaction.on_commit(lambda: _enqueue(state.pk), robust=True)
    except IntegrityError:  # a concurrent retry stored it first
        state = RequestState.objects.get(client_id=client_id, client_correlation_id=correlation_id)
    if state.operation and state.operation != wanted:
        raise Conflict(
            _("This X-CorrelationID was used for another request."),
            code=TRANSFER_EXISTS_DIFFERENT,
        )
    return state


def _enqueue(server_correlation_id: uuid.UUID) -> None:
    from nentang.payments.tasks import request_process as task

    task.enqueue(str(server_correlation_id))


def request_process(*, server_correlation_id: str) -> RequestState:
    """Run a pending request (the worker's task): the operation, its state and its
    callback event in one transaction — or, when the operation is refused, the refusal
    recorded and sent in a new one. A request that is no longer pending is left as it
    is (a task run twice changes nothing)."""
    with transaction.atomic():
        state = RequestState.objects.select_for_update().get(pk=server_correlation_id)
        if state.status != RequestState.Status.PENDING:
            return state
        order = dict(state.operation)
        audience = order.pop("audience")
        try:
            with transaction.atomic():
                done = transaction_execute(TransactionOrder.from_dict(order))
        except ProblemError as error:
            _finish(state, None, error)
            events.emit(CALLBACK_TOPIC, _state_event(state, None), audience=audience)
            return state
        _finish(state, done.id, None)
        described = transaction_out(
            Transfer.objects.select_related("debit_account", "credit_account").get(id=done.id),
            state.kind,
        )
        events.emit(CALLBACK_TOPIC, _state_event(state, described), audience=audience)
    return state


def _finish(state: RequestState, reference: uuid.UUID | None, error: ProblemError | None) -> None:
    state.status = RequestState.Status.FAILED if error else RequestState.Status.COMPLETED
    state.object_reference = reference
    state.error_code = error.code if error else ""
    state.error_description = str(error.detail or error.code)[:300] if error else ""
    state.updated_at = timezone.now()
    state.save(
        update_fields=["status", "object_reference", "error_code", "error_description",
                       "updated_at"]
    )  # fmt: skip


def requests_resume() -> int:
    """Queue a task for every pending request (run when a worker starts: an after-commit
    enqueue lost with its connection would leave the request waiting). Returns how many."""
    pending = list(
        RequestState.objects.filter(status=RequestState.Status.PENDING).values_list("pk", flat=True)
    )
    for key in pending:
        _enqueue(key)
    return len(pending)
