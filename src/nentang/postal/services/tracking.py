"""Tracking events: EMSEVT-style codes, idempotent and order-tolerant ingestion, and the
status derived from them.

UPU EMSEVT codes (DOMAIN.md): EMA posting, EMC/EMD transit between offices, EMG arrival
at the delivery office, EMH unsuccessful delivery attempt (with a reason), EMI delivered;
from the same family EDD/EDE into/out of a sorting centre, EDF held at the office for
collection, EDG out for delivery. Two of nentang's own for returns: RTS returning to
sender, RTD returned to the sender; and CAN, cancelled before pickup (by the merchant).

Rules:

* an event is stored once per (shipment, code, time, facility): a scan sent twice, or a
  batch retried, changes nothing the second time;
* events are applied in the order of their time, whatever order they arrive in, so a
  late "posted" scan slots in before the transit scans that overtook it;
* an event that would make an impossible transition is stored with a ``flag`` and does
  not change the status: anything after delivery or cancellation, a delivery while the
  parcel is on its way back, a return completed that never started; a delivered,
  returned or cancelled shipment stays so even if an older event arrives late and would
  tell another story (that event is flagged ``conflicts_with_final``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models.base import ModelState
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from nentang.kernel import auditing, events
from nentang.kernel.auditing import Actor
from nentang.kernel.copyrows import copy_rows
from nentang.postal.models import Shipment, TrackingEvent
from nentang.postal.models.shipments import CodStatus, Status
from nentang.postal.services.bulk import array_literal, bulk_set
from nentang.postal.services.cod import cod_remittance_schedule_once

S = Status


@dataclass(frozen=True)
class EventCode:
    code: str
    label: Any  # lazy translation
    status: str  # the status it leads to ("" = keeps the current one)
    needs_reason: bool = False


EVENT_CODES: dict[str, EventCode] = {
    e.code: e
    for e in (
        EventCode("EMA", _("Posted, accepted by the post office"), S.IN_TRANSIT),
        EventCode("EDD", _("Arrived at the sorting centre"), S.IN_TRANSIT),
        EventCode("EDE", _("Left the sorting centre"), S.IN_TRANSIT),
        EventCode("EMC", _("Left the office of origin"), S.IN_TRANSIT),
        EventCode("EMD", _("Arrived at the office of destination"), S.IN_TRANSIT),
        EventCode("EMG", _("Arrived at the delivery office"), S.IN_TRANSIT),
        EventCode("EDF", _("Held at the post office for collection"), S.AVAILABLE_FOR_PICKUP),
        EventCode("EDG", _("Out for delivery"), S.OUT_FOR_DELIVERY),
        EventCode("EMH", _("Delivery attempt failed"), S.FAILURE, needs_reason=True),
        EventCode("EMI", _("Delivered"), S.DELIVERED),
        EventCode("RTS", _("Returning to the sender"), S.RETURN_TO_SENDER, needs_reason=True),
        EventCode("RTD", _("Returned to the sender"), S.RETURN_TO_SENDER),
        EventCode("CAN", _("Cancelled by the sender before pickup"), S.CANCELLED),
    )
}
SCAN_CODES = tuple(code for code in EVENT_CODES if code != "CAN")
TRANSIT = {"EMA", "EDD", "EDE", "EMC", "EMD", "EMG"}

# Reasons of a failed attempt or a return (the carriers' usual list).
FAILURE_REASONS: dict[str, Any] = {
    "recipient_absent": _("Nobody at the address"),
    "address_not_found": _("Address not found"),
    "refused": _("Refused by the recipient"),
    "phone_unreachable": _("The recipient's phone did not answer"),
    "cod_not_ready": _("The recipient could not pay the cash on delivery"),
    "rescheduled": _("Delivery rescheduled at the recipient's request"),
    "damaged": _("Parcel damaged"),
    "attempts_exhausted": _("Too many failed attempts"),
    "sender_request": _("Returned at the sender's request"),
}


@dataclass
class Fold:
    """The state of a shipment after applying its events in time order."""

    status: str = S.PRE_TRANSIT
    returning: bool = False
    returned: bool = False
    picked_up_at: datetime.datetime | None = None
    delivered_at: datetime.datetime | None = None
    returned_at: datetime.datetime | None = None
    cancelled_at: datetime.datetime | None = None
    attempts: int = 0
    last_event_at: datetime.datetime | None = None
    flags: dict[int, str] = field(default_factory=dict)  # event id → flag

    @property
    def final(self) -> bool:
        return self.status in (S.DELIVERED, S.CANCELLED) or self.returned


def _transition(state: Fold, code: str) -> str:
    """'' when ``code`` may apply to ``state``, else the flag naming why not."""
    if state.final:
        return "after_final"
    if code == "CAN":
        return "" if state.status == S.PRE_TRANSIT else "cancel_after_pickup"
    if code == "EMI" and state.returning:
        return "delivered_while_returning"
    if code == "RTD" and not state.returning:
        return "return_not_started"
    if code in ("EMH", "EDG", "EDF") and state.returning:
        return "delivery_step_while_returning"
    return ""


def fold(rows: Iterable[tuple[int, str, datetime.datetime]], start: Fold | None = None) -> Fold:
    """Apply (id, code, occurred_at) rows in time order (then id: arrival order), from
    nothing or on from ``start`` (the state the earlier events left, see
    :func:`stored_state`; it is the one changed and returned)."""
    state = Fold() if start is None else start
    for event_id, code, occurred_at in sorted(rows, key=lambda r: (r[2], r[0])):
        flag = _transition(state, code)
        if flag:
            state.flags[event_id] = flag
            continue
        if code != "CAN" and state.picked_up_at is None:
            state.picked_up_at = occurred_at
        target = EVENT_CODES[code].status
        if state.returning and code in TRANSIT:
            target = S.RETURN_TO_SENDER
        if code == "EMH":
            state.attempts += 1
        elif code == "EMI":
            state.attempts += 1
            state.delivered_at = occurred_at
        elif code == "RTS":
            state.returning = True
        elif code == "RTD":
            state.returned = True
            state.returned_at = occurred_at
        elif code == "CAN":
            state.cancelled_at = occurred_at
        state.status = target
        state.last_event_at = occurred_at
    return state


def stored_state(shipment: Shipment) -> Fold:
    """The fold of a shipment's stored events as its row keeps it: :func:`events_apply`
    writes every folded field but the flags' detail (their number is
    ``flagged_events``) and ``returning``, which is ``status == return_to_sender``
    (only an RTS event leads there, and once returning every applied event keeps it).
    """
    return Fold(
        status=shipment.status,
        returning=shipment.status == S.RETURN_TO_SENDER,
        returned=shipment.returned_at is not None,
        picked_up_at=shipment.picked_up_at,
        delivered_at=shipment.delivered_at,
        returned_at=shipment.returned_at,
        cancelled_at=shipment.cancelled_at,
        attempts=shipment.attempts,
        last_event_at=shipment.last_event_at,
    )


def follows_stored(shipment: Shipment, times: Iterable[datetime.datetime]) -> bool:
    """Do events at ``times`` all come after every stored event of ``shipment``? Then
    folding them onto :func:`stored_state` gives what folding all its events would
    (the stored ones come first and fold as they did), and the stored events need not
    be read. Without flagged events ``last_event_at`` is the time of the latest stored
    one (each applied event sets it, in time order); a shipment with flagged events is
    always folded from its events (a flagged event may be the latest, and an earlier
    arrival may make it applicable)."""
    if shipment.flagged_events:
        return False
    last = shipment.last_event_at
    return last is None or all(at > last for at in times)


@dataclass(frozen=True)
class NewEvent:
    """An event to record: already validated (known code, reason where needed)."""

    shipment_id: Any
    code: str
    occurred_at: datetime.datetime
    facility_code: str = ""
    reason: str = ""
    next_attempt_on: datetime.date | None = None


@dataclass(slots=True)
class EventRow:
    """A new event row: the values ``postal_trackingevent`` stores, without a model
    instance's cost (a sorting centre's batch makes a thousand of them)."""

    shipment_id: Any
    code: str
    occurred_at: datetime.datetime
    facility_code: str
    actor: str
    reason: str
    next_attempt_on: datetime.date | None
    recorded_at: datetime.datetime
    flag: str = ""
    id: int | None = None


@dataclass
class Applied:
    """What ingesting a batch did, per shipment and per event."""

    inserted: list[EventRow] = field(default_factory=list)
    inserted_keys: set[tuple[Any, str, datetime.datetime, str]] = field(default_factory=set)
    duplicates: set[tuple[Any, str, datetime.datetime, str]] = field(default_factory=set)
    changed: list[Shipment] = field(default_factory=list)  # status changed
    delivered: list[Shipment] = field(default_factory=list)
    returning: list[Shipment] = field(default_factory=list)
    flags: dict[tuple[Any, str, datetime.datetime, str], str] = field(default_factory=dict)


def _key(
    shipment_id: Any, code: str, occurred_at: datetime.datetime, facility: str
) -> tuple[Any, str, datetime.datetime, str]:
    return (shipment_id, code, occurred_at, facility)


# The fields of a shipment that ingesting its events reads before it writes them (the
# folded state, and what the COD port and the webhook payload read): a batch loads only
# these, for a thousand shipments. (The payload's ``created_at`` is only read when no
# event was applied, and then no payload is sent.)
INGEST_FIELDS = (
    "id",
    "s10",
    "s10_cycle",
    "merchant_id",
    "client_order_code",
    "dossier_reference",
    "status",
    "picked_up_at",
    "delivered_at",
    "returned_at",
    "cancelled_at",
    "attempts",
    "last_event_at",
    "flagged_events",
    "cod_amount",
    "cod_status",
    "cod_collected_at",
)


def shipments_lock_for_ingest(s10s: Iterable[str]) -> list[Shipment]:
    """The shipments with these item numbers (every cycle), locked in id order, with
    only :data:`INGEST_FIELDS` loaded (the others load on first use, as with
    ``only()``). A batch locks a thousand: the instances are made from the rows' values
    directly, as ``Model.from_db`` would without running ``__init__`` over 41 fields,
    and on PostgreSQL the numbers go as one array parameter (``= ANY``), not a
    thousand placeholders for the driver to fill."""
    wanted = list(s10s)
    connection = transaction.get_connection()
    rows: Iterable[Sequence[Any]]
    if connection.vendor == "postgresql":
        meta, quote = Shipment._meta, connection.ops.quote_name
        columns = ", ".join(quote(meta.get_field(name).column) for name in INGEST_FIELDS)  # type: ignore[union-attr]
        # Identifiers come from the model's metadata; the numbers are one parameter.
        sql = (
            f"SELECT {columns} FROM {quote(meta.db_table)} "  # noqa: S608
            "WHERE s10 = ANY(%s::text[]) ORDER BY id FOR UPDATE"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [array_literal(wanted)])
            rows = cursor.fetchall()
    else:
        rows = (
            Shipment.objects.select_for_update()
            .filter(s10__in=wanted)
            .order_by("id")
            .values_list(*INGEST_FIELDS)
        )
    alias = connection.alias
    made = []
    for row in rows:
        shipment = _new_object(Shipment)
        state = ModelState()
        state.adding, state.db = False, alias
        shipment.__dict__.update(zip(INGEST_FIELDS, row, strict=True), _state=state)
        made.append(shipment)
    return made


_new_object = object.__new__
# While they are folded, new events are numbered from here (above any stored id).
_PROVISIONAL = 1 << 62


def events_apply(
    *, actor: Actor, shipments: Sequence[Shipment], new_events: Sequence[NewEvent], cod: Any
) -> Applied:
    """Record ``new_events`` for ``shipments`` (locked by the caller, in its transaction)
    and re-derive each shipment's status. See the module docstring for the rules.

    ``cod`` is the cash-on-delivery port (``services.cod``): collected on delivery,
    voided when the parcel starts back to its sender.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("events_apply runs inside the caller's transaction")
    result = Applied()
    if not new_events:
        return result
    now = timezone.now()
    by_id = {s.id: s for s in shipments}
    recorded_by = f"{actor.type}:{actor.id}"[:120]
    # The new rows in arrival order without the batch's own repeats, and by shipment.
    arrived: list[EventRow] = []
    incoming: dict[Any, list[EventRow]] = {}
    keys: set[tuple[Any, str, datetime.datetime, str]] = set()
    for item in new_events:
        key = _key(item.shipment_id, item.code, item.occurred_at, item.facility_code)
        if key in keys:
            result.duplicates.add(key)
            continue
        keys.add(key)
        row = EventRow(
            item.shipment_id,
            item.code,
            item.occurred_at,
            item.facility_code,
            recorded_by,
            item.reason,
            item.next_attempt_on,
            now,
        )
        arrived.append(row)
        incoming.setdefault(item.shipment_id, []).append(row)

    # A shipment whose new events all come after its stored ones is folded on from the
    # state its row keeps (a sorting centre's scans, in the usual case); the others are
    # folded again from all their events, which only they need read.
    replay = {
        shipment_id
        for shipment_id, rows in incoming.items()
        if not follows_stored(by_id[shipment_id], (row.occurred_at for row in rows))
    }
    stored_rows: dict[Any, list[tuple[int, str, datetime.datetime]]] = defaultdict(list)
    stored_keys: set[tuple[Any, str, datetime.datetime, str]] = set()
    old_flags: dict[int, str] = {}
    if replay:
        for stored in TrackingEvent.objects.filter(shipment_id__in=list(replay)).values_list(
            "id", "shipment_id", "code", "occurred_at", "facility_code", "flag"
        ):
            event_id, shipment_id, code, occurred_at, facility, flag = stored
            stored_rows[shipment_id].append((event_id, code, occurred_at))
            stored_keys.add(_key(shipment_id, code, occurred_at, facility))
            old_flags[event_id] = flag

    fresh: list[EventRow] = []
    for row in arrived:
        key = _key(row.shipment_id, row.code, row.occurred_at, row.facility_code)
        if key in stored_keys:
            result.duplicates.add(key)
        else:
            fresh.append(row)
            result.inserted_keys.add(key)
    if not fresh:
        return result
    result.inserted = fresh
    # Folded before they are stored, so that each row goes in with its flag: meanwhile
    # a new row's id is its place among the fresh rows above every stored id (the
    # sequence hands out ids in the same order, above every id already stored).
    new_rows: dict[Any, list[tuple[int, str, datetime.datetime]]] = {}
    for place, row in enumerate(fresh, start=_PROVISIONAL):
        new_rows.setdefault(row.shipment_id, []).append((place, row.code, row.occurred_at))

    flag_updates: list[TrackingEvent] = []
    shipment_updates: list[Shipment] = []
    for shipment_id, rows in new_rows.items():
        shipment = by_id[shipment_id]
        before = shipment.status
        was_final = before in (S.DELIVERED, S.CANCELLED) or shipment.returned_at is not None
        # A final outcome stands: the late events that would undo it are flagged, and
        # stay so (a later event does not bring them back).
        late: dict[int, str] = {}
        onward = shipment_id not in replay
        if onward:
            flagged_before = shipment.flagged_events
        else:
            flagged_before = 0
            rows = stored_rows[shipment_id] + rows
            late = {
                event_id: FINAL_STANDS
                for event_id, _c, _a in stored_rows[shipment_id]
                if old_flags[event_id] == FINAL_STANDS
            }
        state = _fold_keeping_final(rows, stored_state(shipment) if onward else None, late)
        if was_final and state.status != before:
            late.update((place, FINAL_STANDS) for place, _c, _a in new_rows[shipment_id])
            state = _fold_keeping_final(rows, stored_state(shipment) if onward else None, late)
        for event_id, flag in state.flags.items():
            if event_id >= _PROVISIONAL:
                new = fresh[event_id - _PROVISIONAL]
                new.flag = flag
                result.flags[_key(shipment_id, new.code, new.occurred_at, new.facility_code)] = flag
        for event_id, _code, _at in stored_rows.get(shipment_id, ()):
            flag = state.flags.get(event_id, "")
            if old_flags[event_id] != flag:
                flag_updates.append(TrackingEvent(id=event_id, flag=flag))
        _copy(state, shipment)
        shipment.flagged_events = flagged_before + len(state.flags)
        shipment_updates.append(shipment)
        if shipment.status != before:
            result.changed.append(shipment)
            if shipment.status == S.DELIVERED and shipment.cod_status == CodStatus.PENDING:
                cod.collected(shipment=shipment, at=shipment.delivered_at or now)
                result.delivered.append(shipment)
                # Cash is now owed to a merchant: the daily remittance must be queued.
                transaction.on_commit(cod_remittance_schedule_once, robust=True)
            elif shipment.status == S.DELIVERED:
                result.delivered.append(shipment)
            if state.returning and shipment.cod_status == CodStatus.PENDING:
                cod.voided(shipment=shipment, at=now)
                result.returning.append(shipment)
    # The shipments are locked: no concurrent insert of the same key can happen, so
    # every row gets its id (see _insert).
    _insert(fresh)
    if flag_updates:
        bulk_set(flag_updates, ["flag"])
    bulk_set(
        shipment_updates,
        [
            "status",
            "picked_up_at",
            "delivered_at",
            "returned_at",
            "cancelled_at",
            "attempts",
            "last_event_at",
            "flagged_events",
            "cod_status",
            "cod_collected_at",
        ],
    )
    latest: dict[Any, EventRow] = {}
    for event in fresh:
        if not event.flag and (
            event.shipment_id not in latest
            or event.occurred_at >= latest[event.shipment_id].occurred_at
        ):
            latest[event.shipment_id] = event
    events.emit_many(
        [
            updated_event(shipment, event=latest[shipment.id].code)
            for shipment in shipment_updates
            if shipment.id in latest
        ]
    )
    for shipment in result.changed:
        if shipment.status == S.DELIVERED and shipment.dossier_reference:
            events.emit(
                "postal.shipment.delivered",
                {
                    "shipment_id": str(shipment.id),
                    "s10": shipment.s10,
                    "dossier_reference": shipment.dossier_reference,
                    "delivered_at": _iso(shipment.delivered_at),
                },
            )
    # One entry per batch: the item numbers it touched (not personal data) and counts.
    numbers = sorted(by_id[i].s10 for i in new_rows)
    auditing.record(
        actor=actor,
        action="postal.tracking.ingest",
        subject_type="postal.shipment",
        subject=numbers[0] if len(numbers) == 1 else f"batch of {len(numbers)}",
        summary={
            "events": len(fresh),
            "duplicates": len(result.duplicates),
            "flagged": len(result.flags),
            "shipments": len(numbers),
            "s10": numbers[:200],
            "status_changes": len(result.changed),
        },
    )
    return result


# From this many rows on, PostgreSQL gets the events by COPY (a sorting centre's batch);
# a phone's few scans go through an ordinary INSERT.
COPY_FROM = 50
_COPY_COLUMNS = (
    "shipment_id",
    "code",
    "occurred_at",
    "facility_code",
    "actor",
    "reason",
    "next_attempt_on",
    "flag",
    "recorded_at",
)


def _insert(fresh: list[EventRow]) -> None:
    """Store new events. On PostgreSQL a batch is one ``COPY`` without the id column: the
    table's identity default numbers the rows in the order they are sent (arrival order,
    as the fold assumed), no row needs ``RETURNING``, and no model instance, SQL compiler
    or client-side binding of thousands of placeholders is involved; the rows' ``id``
    stays unset (nothing reads it). Elsewhere: ``bulk_create``, which sets it."""
    connection = transaction.get_connection()
    if connection.vendor != "postgresql" or len(fresh) < COPY_FROM:
        models = [
            TrackingEvent(**{name: getattr(row, name) for name in _COPY_COLUMNS}) for row in fresh
        ]
        TrackingEvent.objects.bulk_create(models, batch_size=1000)
        for row, model in zip(fresh, models, strict=True):
            row.id = model.id
        return
    copy_rows(
        connection,
        TrackingEvent._meta.db_table,
        _COPY_COLUMNS,
        (
            (
                row.shipment_id,
                row.code,
                row.occurred_at,
                row.facility_code,
                row.actor,
                row.reason,
                row.next_attempt_on,
                row.flag,
                row.recorded_at,
            )
            for row in fresh
        ),
    )


FINAL_STANDS = "conflicts_with_final"


def _fold_keeping_final(
    rows: list[tuple[int, str, datetime.datetime]], start: Fold | None, late: dict[int, str]
) -> Fold:
    """Fold ``rows`` but the ``late`` ones, which are flagged instead."""
    state = fold([row for row in rows if row[0] not in late] if late else rows, start)
    state.flags.update(late)
    return state


def _copy(state: Fold, shipment: Shipment) -> None:
    shipment.status = state.status
    shipment.picked_up_at = state.picked_up_at
    shipment.delivered_at = state.delivered_at
    shipment.returned_at = state.returned_at
    shipment.cancelled_at = state.cancelled_at
    shipment.attempts = state.attempts
    shipment.last_event_at = state.last_event_at


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat() if value else None


def updated_event(shipment: Shipment, *, event: str = "") -> tuple[str, dict[str, Any], str]:
    """``postal.shipment.updated`` for the merchant's webhooks (no personal data): on
    creation and on every new event that was applied (not on flagged ones)."""
    payload = {
        "id": str(shipment.id),
        "s10": shipment.s10,
        "event": event or None,
        "client_order_code": shipment.client_order_code or None,
        "status": shipment.status,
        "cod_status": shipment.cod_status,
        "cod_amount": shipment.cod_amount,
        "updated_at": _iso(shipment.last_event_at or shipment.created_at),
    }
    audience = f"postal.merchant:{shipment.merchant_id}" if shipment.merchant_id else "postal"
    return "postal.shipment.updated", payload, audience


def shipment_emit_updated(shipment: Shipment, *, event: str = "") -> None:
    topic, payload, audience = updated_event(shipment, event=event)
    events.emit(topic, payload, audience=audience)
