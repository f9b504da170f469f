"""Ingestion's two paths give one answer: a shipment whose new events all come after its
stored ones is folded on from the state its row keeps (nothing read); the others are
folded again from every event. Whatever the mix, each shipment's row must be the fold
of the events stored for it, and each event's flag the fold's."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nentang.kernel.models import OutboxEvent
from nentang.postal import services
from nentang.postal.models import Shipment, TrackingEvent
from nentang.postal.services import tracking
from nentang.postal.tests.support import OPERATOR, Cast, parcel

FOLDED = (
    "status",
    "picked_up_at",
    "delivered_at",
    "returned_at",
    "cancelled_at",
    "attempts",
    "last_event_at",
)


def _as_stored(state: tracking.Fold) -> Shipment:
    shipment = Shipment()
    for name in FOLDED:
        setattr(shipment, name, getattr(state, name))
    shipment.flagged_events = len(state.flags)
    return shipment


_codes = st.sampled_from([*tracking.SCAN_CODES, "CAN"])


@given(
    head=st.lists(_codes, max_size=8),
    tail=st.lists(_codes, min_size=1, max_size=8),
)
def test_folding_on_from_the_stored_state_equals_folding_everything(
    head: list[str], tail: list[str]
) -> None:
    base = datetime.datetime(2026, 7, 1, 8, tzinfo=datetime.UTC)
    rows = [(n, code, base + datetime.timedelta(minutes=n)) for n, code in enumerate(head + tail)]
    everything = tracking.fold(rows)
    before = tracking.fold(rows[: len(head)])
    stored = _as_stored(before)
    times = [at for _id, _code, at in rows[len(head) :]]
    if not tracking.follows_stored(stored, times):
        assert before.flags  # only a flagged history is refused
        return
    onward = tracking.fold(rows[len(head) :], tracking.stored_state(stored))
    for name in FOLDED:
        assert getattr(onward, name) == getattr(everything, name), name
    assert onward.returning == everything.returning
    assert onward.flags == everything.flags


def _assert_rows_are_their_fold(shipments: list[Shipment]) -> None:
    for shipment in shipments:
        shipment.refresh_from_db()
        stored = list(
            TrackingEvent.objects.filter(shipment=shipment).values_list(
                "id", "code", "occurred_at", "flag"
            )
        )
        # A final outcome stands: the events flagged for contradicting it stay out.
        late = {i: flag for i, _c, _a, flag in stored if flag == "conflicts_with_final"}
        state = tracking.fold([(i, code, at) for i, code, at, _flag in stored if i not in late])
        state.flags.update(late)
        for name in FOLDED:
            assert getattr(shipment, name) == getattr(state, name), (shipment.s10, name)
        assert shipment.flagged_events == len(state.flags), shipment.s10
        assert {i: flag for i, _c, _a, flag in stored if flag} == state.flags, shipment.s10


@pytest.mark.django_db
def test_a_mixed_batch_of_valid_invalid_late_and_repeated_scans(cast: Cast) -> None:
    ships = [
        services.shipment_create(
            actor=OPERATOR, merchant=cast.merchant, data=parcel(client_order_code=f"MIX-{n:02d}")
        )
        for n in range(12)
    ]
    base = min(s.created_at for s in ships) - datetime.timedelta(days=2)

    def at(minutes: int) -> datetime.datetime:
        return base + datetime.timedelta(minutes=minutes)

    def item(n: int, code: str, minutes: int, facility: str = "", reason: str = "") -> Any:
        return services.ScanInput(ships[n].s10, code, at(minutes), facility, reason)

    history = [
        item(0, "EMA", 0, "bc-sai-gon"),
        item(0, "EDD", 60, "ktc-tan-son-nhat"),
        item(1, "EMA", 0, "bc-sai-gon"),
        item(1, "EMI", 600, "bc-kim-lien"),
        item(2, "EMA", 0, "bc-sai-gon"),
        item(2, "RTD", 500, "bc-sai-gon"),  # flagged: no return started (yet)
        item(3, "EMA", 0, "bc-sai-gon"),
        item(3, "EDG", 600, "bc-kim-lien"),
        item(4, "EMA", 0, "bc-sai-gon"),
        item(5, "EMI", 600, "bc-kim-lien"),
    ]
    services.scans_record(actor=OPERATOR, items=history)
    assert Shipment.objects.get(id=ships[2].id).flagged_events == 1
    outbox_before = OutboxEvent.objects.filter(topic="postal.shipment.updated").count()

    journey = ["EMA", "EDD", "EDE", "EMC", "EMD", "EMG", "EDG"]
    batch = [
        # In order after the stored events: folded on from the row.
        item(0, "EMC", 120),
        item(0, "EMD", 180),
        item(0, "EMG", 240, "bc-kim-lien"),
        item(0, "EDG", 300, "bc-kim-lien"),
        item(0, "EMI", 360, "bc-kim-lien"),
        item(1, "EDG", 700, "bc-kim-lien"),  # after the delivery
        # Late: folded again from every event.
        item(2, "RTS", 200, "bc-kim-lien", "refused"),  # makes the stored RTD valid
        item(3, "EMG", 300, "bc-kim-lien"),
        item(4, "EMA", 0, "bc-sai-gon"),  # stored already
        item(4, "EDD", 60, "ktc-tan-son-nhat"),
        item(5, "RTS", 300, "bc-kim-lien", "refused"),  # before the delivery
        # Rejected, each for its own reason.
        services.ScanInput("EE473124828VN", "EMA"),
        services.ScanInput("EE473124829VN", "EMA"),
        services.ScanInput(ships[6].s10, "XYZ"),
        services.ScanInput(ships[6].s10, "EMH", at(5)),
        services.ScanInput(ships[6].s10, "EMA", base + datetime.timedelta(days=3)),
        services.ScanInput(ships[6].s10, "EMA", at(5), "bc-khong-co"),
    ]
    for n in range(6, 12):
        batch += [item(n, code, 10 * (k + 1)) for k, code in enumerate(journey)]
    batch.append(item(6, "EDD", 20))  # the same scan twice in the batch
    outcomes = services.scans_record(actor=OPERATOR, items=batch)

    results = [(o.result, o.flag or o.error_code) for o in outcomes]
    assert results[:17] == [
        ("recorded", ""),
        ("recorded", ""),
        ("recorded", ""),
        ("recorded", ""),
        ("recorded", ""),
        ("flagged", "after_final"),
        ("recorded", ""),
        ("recorded", ""),
        ("duplicate", ""),
        ("recorded", ""),
        ("flagged", "conflicts_with_final"),
        ("rejected", "invalid_s10"),
        ("rejected", "shipment_not_found"),
        ("rejected", "unknown_event_code"),
        ("rejected", "reason_required"),
        ("rejected", "time_in_future"),
        ("rejected", "facility_not_found"),
    ]
    assert results[17:-1] == [("recorded", "")] * 42
    assert results[-1] == ("duplicate", "")
    assert sum(r == "recorded" for r, _ in results) >= tracking.COPY_FROM  # by COPY there

    _assert_rows_are_their_fold(ships)
    rows = {s.s10: Shipment.objects.get(id=s.id) for s in ships}
    assert (rows[ships[0].s10].status, rows[ships[0].s10].cod_status) == ("delivered", "collected")
    returned = rows[ships[2].s10]
    assert (returned.status, returned.flagged_events, returned.cod_status) == (
        "return_to_sender",
        0,
        "voided",
    )
    assert returned.returned_at == at(500)
    assert rows[ships[3].s10].status == "out_for_delivery"
    assert rows[ships[5].s10].status == "delivered"
    assert all(rows[s.s10].status == "out_for_delivery" for s in ships[6:])
    # A webhook per shipment that took an event (not for the two flagged ones).
    outbox = OutboxEvent.objects.filter(topic="postal.shipment.updated").count()
    assert outbox - outbox_before == 10
    # A later event does not bring back the one that contradicted the delivery.
    [after] = services.scans_record(actor=OPERATOR, items=[item(5, "EDG", 700, "bc-kim-lien")])
    assert (after.result, after.flag, after.status) == ("flagged", "after_final", "delivered")
    _assert_rows_are_their_fold(ships)
    # Sent again, nothing changes.
    again = services.scans_record(actor=OPERATOR, items=batch)
    assert {o.result for o in again} == {"duplicate", "rejected"}
    _assert_rows_are_their_fold(ships)


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_concurrent_batches_on_the_same_parcels_fold_every_event() -> None:
    from nentang.audit.services import security_defaults_install
    from nentang.postal.tests import support
    from nentang.postal.tests.test_concurrency import race

    support.administrative_units()
    security_defaults_install()
    cast = support.cast()
    ships = [
        services.shipment_create(
            actor=OPERATOR, merchant=cast.merchant, data=parcel(client_order_code=f"RACE-{n}")
        )
        for n in range(20)
    ]
    base = min(s.created_at for s in ships) - datetime.timedelta(days=1)
    plans = [
        [("EMA", 0), ("EDD", 60), ("EMC", 180)],
        [("EDE", 120), ("EMD", 240), ("EDD", 60)],  # one scan the first batch also sends
        [("EMG", 300), ("EDG", 360), ("EMA", 0)],  # late, if it runs last
    ]

    def send(number: int) -> list[str]:
        items = [
            services.ScanInput(s.s10, code, base + datetime.timedelta(minutes=m), "bc-kim-lien")
            for s in ships
            for code, m in plans[number]
        ]
        return [o.result for o in services.scans_record(actor=OPERATOR, items=items)]

    results = race(3, send)

    flat = [r for outcome in results for r in outcome]
    assert len(flat) == 9 * 20, results
    assert (flat.count("recorded"), flat.count("duplicate")) == (7 * 20, 2 * 20)
    assert TrackingEvent.objects.count() == 7 * 20
    _assert_rows_are_their_fold(ships)
    for shipment in ships:
        assert (shipment.status, shipment.last_event_at) == (
            "out_for_delivery",
            base + datetime.timedelta(minutes=360),
        )
        assert shipment.picked_up_at == base
