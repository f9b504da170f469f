"""Tracking: idempotent, order-tolerant ingestion; impossible transitions flagged."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from nentang.postal import services
from nentang.postal.models import Shipment, TrackingEvent
from nentang.postal.tests import support
from nentang.postal.tests.support import OPERATOR, Cast, parcel

pytestmark = pytest.mark.django_db


@pytest.fixture
def shipment(cast: Cast) -> Shipment:
    return services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())


def fresh(shipment: Shipment) -> Shipment:
    shipment.refresh_from_db()
    return shipment


def test_the_journey_derives_each_status(shipment: Shipment) -> None:
    steps = [
        ("EMA", "bc-sai-gon", "in_transit"),
        ("EDD", "ktc-tan-son-nhat", "in_transit"),
        ("EMG", "bc-kim-lien", "in_transit"),
        ("EDG", "bc-kim-lien", "out_for_delivery"),
    ]
    for minute, (code, facility, status) in enumerate(steps):
        outcome = support.scan(shipment, code, minutes=minute * 60, facility=facility)
        assert (outcome.result, outcome.status) == ("recorded", status)
    failed = support.scan(
        shipment, "EMH", minutes=300, facility="bc-kim-lien", reason="recipient_absent"
    )
    assert (failed.result, failed.status) == ("recorded", "failure")
    support.scan(shipment, "EDG", minutes=900, facility="bc-kim-lien")
    delivered = support.scan(shipment, "EMI", minutes=960, facility="bc-kim-lien")
    assert (delivered.result, delivered.status) == ("recorded", "delivered")
    shipment = fresh(shipment)
    assert (shipment.attempts, shipment.cod_status) == (2, "collected")
    assert shipment.picked_up_at == shipment.created_at - datetime.timedelta(days=1)


def test_a_scan_sent_twice_is_stored_once(shipment: Shipment) -> None:
    at = timezone.now() - datetime.timedelta(hours=1)
    item = services.ScanInput(shipment.s10, "EMA", at, "bc-sai-gon")
    first = services.scans_record(actor=OPERATOR, items=[item, item])
    again = services.scans_record(actor=OPERATOR, items=[item])

    assert [o.result for o in first] == ["recorded", "duplicate"]
    assert [o.result for o in again] == ["duplicate"]
    assert TrackingEvent.objects.filter(shipment=shipment).count() == 1


def test_late_events_slot_in_by_time(shipment: Shipment) -> None:
    support.scan(shipment, "EDG", minutes=600, facility="bc-kim-lien")
    support.scan(shipment, "EMG", minutes=500, facility="bc-kim-lien")
    late = support.scan(shipment, "EMA", minutes=0, facility="bc-sai-gon")

    assert (late.result, late.status) == ("recorded", "out_for_delivery")
    shipment = fresh(shipment)
    assert shipment.picked_up_at == shipment.created_at - datetime.timedelta(days=1)
    codes = list(TrackingEvent.objects.filter(shipment=shipment).values_list("code", flat=True))
    assert codes == ["EMA", "EMG", "EDG"]  # ordered by time, not arrival


def test_events_after_delivery_are_flagged_and_change_nothing(shipment: Shipment) -> None:
    support.scan(shipment, "EMA", minutes=0, facility="bc-sai-gon")
    support.scan(shipment, "EMI", minutes=600, facility="bc-kim-lien")
    after = support.scan(shipment, "EDG", minutes=700, facility="bc-kim-lien")
    back = support.scan(shipment, "RTS", minutes=800, facility="bc-kim-lien", reason="refused")

    assert (after.result, after.flag, after.status) == ("flagged", "after_final", "delivered")
    assert (back.result, back.flag) == ("flagged", "after_final")
    shipment = fresh(shipment)
    assert (shipment.status, shipment.cod_status, shipment.flagged_events) == (
        "delivered",
        "collected",
        2,
    )


def test_a_late_event_cannot_undo_a_delivery(shipment: Shipment) -> None:
    support.scan(shipment, "EMI", minutes=600, facility="bc-kim-lien")
    # A return "started" before the delivery arrives late: the delivery stands.
    late = support.scan(shipment, "RTS", minutes=500, facility="bc-kim-lien", reason="refused")

    assert (late.result, late.flag, late.status) == ("flagged", "conflicts_with_final", "delivered")
    assert fresh(shipment).cod_status == "collected"


def test_a_return_voids_cod_and_a_delivery_while_returning_is_flagged(shipment: Shipment) -> None:
    support.scan(shipment, "EMA", minutes=0, facility="bc-sai-gon")
    support.scan(shipment, "EMH", minutes=100, facility="bc-kim-lien", reason="refused")
    back = support.scan(shipment, "RTS", minutes=200, facility="bc-kim-lien", reason="refused")
    assert back.status == "return_to_sender"
    assert fresh(shipment).cod_status == "voided"
    wrong = support.scan(shipment, "EMI", minutes=300, facility="bc-kim-lien")
    assert (wrong.result, wrong.flag) == ("flagged", "delivered_while_returning")
    transit = support.scan(shipment, "EDD", minutes=400, facility="ktc-tan-son-nhat")
    assert (transit.result, transit.status) == ("recorded", "return_to_sender")
    support.scan(shipment, "RTD", minutes=900, facility="bc-sai-gon")
    shipment = fresh(shipment)
    assert shipment.returned_at is not None
    assert shipment.status == "return_to_sender"


def test_bad_scans_are_rejected_one_by_one(shipment: Shipment) -> None:
    now = timezone.now()
    outcomes = services.scans_record(
        actor=OPERATOR,
        items=[
            services.ScanInput("EE473124828VN", "EMA"),
            services.ScanInput("EE473124829VN", "EMA"),
            services.ScanInput(shipment.s10, "XYZ"),
            services.ScanInput(shipment.s10, "EMH", now),
            services.ScanInput(shipment.s10, "EMA", now + datetime.timedelta(hours=2)),
            services.ScanInput(shipment.s10, "EMA", now, "bc-khong-co"),
            services.ScanInput(
                shipment.s10, "EMA", now - datetime.timedelta(minutes=5), "bc-sai-gon"
            ),
        ],
    )
    assert [(o.result, o.error_code) for o in outcomes] == [
        ("rejected", "invalid_s10"),
        ("rejected", "shipment_not_found"),
        ("rejected", "unknown_event_code"),
        ("rejected", "reason_required"),
        ("rejected", "time_in_future"),
        ("rejected", "facility_not_found"),
        ("recorded", ""),
    ]
    assert TrackingEvent.objects.count() == 1


def test_a_sorting_centre_batch_is_stored_whole_with_flags_and_duplicates(cast: Cast) -> None:
    """Above ``COPY_FROM`` events the rows go in by COPY on PostgreSQL (ids from the
    sequence) and the shipments are updated from arrays: every event, status, flag and
    duplicate must come out as with a phone's single scans."""
    from nentang.postal.services import tracking

    count = tracking.COPY_FROM + 10
    shipments = [
        services.shipment_create(
            actor=OPERATOR,
            merchant=cast.merchant,
            data=parcel(client_order_code=f"BMSG-B{n:03d}"),
        )
        for n in range(count)
    ]
    delivered = shipments[0]
    support.scan(delivered, "EMI", minutes=600, facility="bc-kim-lien")
    base = min(s.created_at for s in shipments) - datetime.timedelta(hours=2)
    items = [
        services.ScanInput(s.s10, "EDD", base + datetime.timedelta(minutes=n), "ktc-tan-son-nhat")
        for n, s in enumerate(shipments)
    ]
    items.append(items[5])  # the same scan twice in one batch
    outcomes = services.scans_record(actor=OPERATOR, items=items)

    results = [o.result for o in outcomes]
    assert results.count("recorded") == count - 1
    assert results.count("duplicate") == 1
    # The delivered parcel's transit scan is later than its delivery: flagged.
    assert (outcomes[0].result, outcomes[0].flag) == ("flagged", "after_final")
    stored = TrackingEvent.objects.filter(code="EDD")
    assert stored.count() == count
    assert len(set(stored.values_list("id", flat=True))) == count
    assert stored.filter(flag="after_final").count() == 1
    for shipment in shipments[1:]:
        shipment.refresh_from_db()
        assert (shipment.status, shipment.flagged_events) == ("in_transit", 0)
        assert shipment.last_event_at is not None
        assert shipment.picked_up_at == shipment.last_event_at
    assert fresh(delivered).status == "delivered"
    # Sent again: nothing changes.
    again = services.scans_record(actor=OPERATOR, items=items)
    assert {o.result for o in again} == {"duplicate"}
    assert TrackingEvent.objects.filter(code="EDD").count() == count
    # A later single scan still gets a fresh id from the same sequence.
    outcome = support.scan(shipments[1], "EMG", minutes=24 * 60 + 5, facility="bc-kim-lien")
    assert outcome.result == "recorded"


@pytest.mark.postgres_only
def testarray_literals_round_trip_through_postgresql() -> None:
    from django.db import connection

    from nentang.postal.services.bulk import array_literal

    tricky = ['a "quoted" word', "back\\slash", "{braces}, commas", "", "NULL", "Đã giao", None]
    with connection.cursor() as cursor:
        cursor.execute("SELECT unnest(%s::text[])", [array_literal(tricky)])
        assert [row[0] for row in cursor.fetchall()] == tricky
        moment = timezone.now()
        cursor.execute(
            "SELECT unnest(%s::timestamptz[]), unnest(%s::boolean[])",
            [array_literal([moment, None]), array_literal([True, False])],
        )
        assert cursor.fetchall() == [(moment, True), (None, False)]
