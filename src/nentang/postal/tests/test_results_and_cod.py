"""Results by post (Decision 45/2016/QĐ-TTg), cash on delivery through its port, and the
programme statistics."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.utils import timezone

from nentang.kernel.models import OutboxEvent
from nentang.postal import selectors, services
from nentang.postal.models import CodRemittance, Shipment
from nentang.postal.services.cod import LocalCodLedger, cod_ledger, cod_ledger_install
from nentang.postal.tests import support
from nentang.postal.tests.support import OPERATOR, Cast, parcel

pytestmark = pytest.mark.django_db

AN = services.Party("Nguyễn Văn An", "0903 123 456", "12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh")
WARD = services.Party("UBND phường Sài Gòn", "028 3829 1234", "45 Lê Duẩn, Phường Sài Gòn, TP HCM")


def test_a_result_by_post_announces_its_delivery_with_the_dossier(cast: Cast) -> None:
    reference = "000.00.26.H29-261201-0001"
    shipment = services.shipment_create_for_result(
        actor=OPERATOR, dossier_reference=reference, recipient=AN, sender=WARD
    )
    again = services.shipment_create_for_result(
        actor=OPERATOR, dossier_reference=reference, recipient=AN, sender=WARD
    )
    assert again.id == shipment.id  # one parcel per dossier
    assert shipment.s10.startswith("RR")
    assert shipment.merchant_id is None

    support.scan(shipment, "EMA", minutes=0, facility="bc-sai-gon")
    support.scan(shipment, "EMI", minutes=120, facility="bc-sai-gon")

    [delivered] = OutboxEvent.objects.filter(topic="postal.shipment.delivered")
    assert delivered.payload["dossier_reference"] == reference
    assert delivered.payload["s10"] == shipment.s10
    assert delivered.audience == ""  # public services subscribe to it


class RecordingLedger(LocalCodLedger):
    """The payments adapter's place: records what postal asks of it."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []

    def hold(self, *, shipment: Shipment) -> None:
        super().hold(shipment=shipment)
        self.calls.append(("hold", shipment.client_order_code))

    def collected(self, *, shipment: Shipment, at: datetime.datetime) -> None:
        super().collected(shipment=shipment, at=at)
        self.calls.append(("collected", shipment.client_order_code))

    def voided(self, *, shipment: Shipment, at: datetime.datetime) -> None:
        super().voided(shipment=shipment, at=at)
        self.calls.append(("voided", shipment.client_order_code))

    def remitted(self, *, remittance: Any) -> None:
        self.calls.append(("remitted", str(remittance.amount)))


def test_cod_goes_through_the_port_and_is_remitted_on_schedule(cast: Cast) -> None:
    ledger = RecordingLedger()
    previous = cod_ledger()
    cod_ledger_install(ledger)
    try:
        paid = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
        back = services.shipment_create(
            actor=OPERATOR, merchant=cast.merchant, data=parcel(client_order_code="BMSG-0002")
        )
        support.scan(paid, "EMI", minutes=60, facility="bc-kim-lien")
        support.scan(back, "RTS", minutes=60, facility="bc-kim-lien", reason="refused")
        assert (
            services.cod_remittance_run(actor=OPERATOR, merchant=cast.merchant) is None
        )  # not due

        later = timezone.now() + datetime.timedelta(days=2)
        remittance = services.cod_remittance_run(actor=OPERATOR, merchant=cast.merchant, now=later)
        assert remittance is not None
        assert (remittance.amount, remittance.shipment_count) == (150_000, 1)
        assert (
            services.cod_remittance_run(actor=OPERATOR, merchant=cast.merchant, now=later) is None
        )
    finally:
        cod_ledger_install(previous)
    assert ledger.calls == [
        ("hold", "BMSG-0001"),
        ("hold", "BMSG-0002"),
        ("collected", "BMSG-0001"),
        ("voided", "BMSG-0002"),
        ("remitted", "150000"),
    ]
    report = selectors.cod_report(merchant=cast.merchant)
    assert report["totals"]["remitted"] == {"amount": 150_000, "count": 1}
    assert report["totals"]["voided"] == {"amount": 150_000, "count": 1}
    assert CodRemittance.objects.get().paid_at == later


def test_statistics_for_the_programme_dashboard(cast: Cast) -> None:
    now = timezone.now()
    first = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
    second = services.shipment_create(
        actor=OPERATOR, merchant=cast.merchant, data=parcel(client_order_code="BMSG-0002")
    )
    support.scan(first, "EMI", minutes=60, facility="bc-kim-lien")
    support.scan(second, "EMH", minutes=60, facility="bc-kim-lien", reason="recipient_absent")
    support.scan(second, "EMI", minutes=120, facility="bc-kim-lien")

    assert selectors.first_attempt_success_rate() == 0.5
    assert selectors.on_time_rate() == 1.0
    months = selectors.ecommerce_parcels_per_month(months=2, now=now)
    assert months[-1]["parcels"] == 2
    assert months[-1]["month"] == timezone.localtime(now).strftime("%Y-%m")
    services.cod_remittance_run(
        actor=OPERATOR, merchant=cast.merchant, now=now + datetime.timedelta(days=3)
    )
    hours = selectors.cod_remittance_hours()
    assert hours is not None
    assert 70 < hours < 98  # collected "yesterday", remitted three days from now


def test_the_daily_run_remits_every_merchant_whose_schedule_is_due_once(cast: Cast) -> None:
    from django.db import connection
    from django_tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from nentang.postal.tasks import remit_cod_daily

    weekly = support.merchant(client_id="shop-weekly", code="weekly-shop")
    weekly.remittance_days = 7
    weekly.save(update_fields=["remittance_days"])
    daily_parcel = services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=parcel())
    weekly_parcel = services.shipment_create(
        actor=OPERATOR, merchant=weekly, data=parcel(client_order_code="WK-1", cod_amount=90_000)
    )
    support.scan(daily_parcel, "EMI", minutes=60, facility="bc-kim-lien")
    support.scan(weekly_parcel, "EMI", minutes=60, facility="bc-kim-lien")

    # Day 1: nothing collected long enough ago for anyone.
    now = timezone.now()
    assert services.cod_remittances_run_due(actor=OPERATOR, now=now) == []
    # Two days later: the daily merchant is paid; the weekly one's cash is not due yet.
    day3 = now + datetime.timedelta(days=2)
    [first] = services.cod_remittances_run_due(actor=OPERATOR, now=day3)
    assert (first.merchant_id, first.amount, first.shipment_count) == (cast.merchant.id, 150_000, 1)
    # Run again the same day (a retried task): nothing more.
    assert services.cod_remittances_run_due(actor=OPERATOR, now=day3) == []
    assert not services.cod_remittance_due(merchant=cast.merchant, now=day3)
    # A day later the daily merchant is due again (nothing to pay); a week later, both.
    tomorrow = day3 + datetime.timedelta(days=1)
    assert services.cod_remittance_due(merchant=cast.merchant, now=tomorrow)
    day9 = now + datetime.timedelta(days=8)
    [second] = services.cod_remittances_run_due(actor=OPERATOR, now=day9)
    assert (second.merchant_id, second.amount) == (weekly.id, 90_000)
    assert services.cod_remittances_run_due(actor=OPERATOR, now=day9) == []
    assert CodRemittance.objects.count() == 2
    assert set(Shipment.objects.values_list("cod_status", flat=True)) == {"remitted"}
    with connection.cursor() as cursor:  # audit's table, read without entering audit
        cursor.execute("SELECT count(*) FROM audit_auditentry WHERE action = 'postal.cod.remit'")
        assert cursor.fetchone() == (2,)

    # The task: runs the same service, then queues its own next run a day later (once).
    assert remit_cod_daily.call() == 0
    waiting = DBTaskResult.objects.filter(
        task_path=remit_cod_daily.module_path, status=TaskResultStatus.READY
    )
    assert waiting.count() == 1
    next_run = waiting.get().run_after
    assert next_run is not None
    assert datetime.timedelta(hours=23) < next_run - timezone.now() <= datetime.timedelta(days=1)
    assert not services.cod_remittance_schedule(run_after=timezone.now())
    assert waiting.count() == 1


class BatchLedger(RecordingLedger):
    """An adapter with a batch call: a bulk import asks it once."""

    def hold_many(self, *, shipments: list[Shipment]) -> None:
        for shipment in shipments:
            LocalCodLedger.hold(self, shipment=shipment)
        self.calls.append(("hold_many", ",".join(s.client_order_code for s in shipments)))


def test_a_bulk_import_holds_its_cod_in_one_call_to_the_port(cast: Cast) -> None:
    from nentang.postal.services.shipments import ImportRecord, shipments_import

    created = timezone.now() - datetime.timedelta(days=3)
    records = [
        ImportRecord(parcel(client_order_code=f"IMP-{n}", cod_amount=cod), created)
        for n, cod in enumerate([150_000, 0, 80_000])
    ]
    for ledger, expected in (
        (RecordingLedger(), [("hold", "IMP-0"), ("hold", "IMP-1"), ("hold", "IMP-2")]),
        (BatchLedger(), [("hold_many", "IMP-0,IMP-1,IMP-2")]),
    ):
        previous = cod_ledger()
        cod_ledger_install(ledger)
        try:
            shipments = shipments_import(actor=OPERATOR, merchant=cast.merchant, records=records)
        finally:
            cod_ledger_install(previous)
        assert ledger.calls == expected
        assert [s.cod_status for s in shipments] == ["pending", "none", "pending"]
        Shipment.objects.filter(id__in=[s.id for s in shipments]).delete()


def test_a_bulk_import_refuses_a_client_order_code_twice_or_taken(cast: Cast) -> None:
    """As ``shipment_create`` one by one: a 409 naming the record, nothing written (was
    the unique index failing the insert: a 500)."""
    from nentang.kernel.errors import Conflict
    from nentang.postal.services.shipments import ImportRecord, shipments_import

    created = timezone.now() - datetime.timedelta(days=1)
    before = Shipment.objects.count()
    twice = [
        ImportRecord(parcel(client_order_code=code), created) for code in ("A-1", "A-2", "A-1")
    ]
    with pytest.raises(Conflict) as refused:
        shipments_import(actor=OPERATOR, merchant=cast.merchant, records=twice)
    assert (refused.value.code, refused.value.extra["records"]) == (
        "client_order_code_taken",
        [0, 2],
    )
    assert Shipment.objects.count() == before

    [kept] = shipments_import(
        actor=OPERATOR,
        merchant=cast.merchant,
        records=[ImportRecord(parcel(client_order_code="B-1"), created)],
    )
    again = [ImportRecord(parcel(client_order_code=c), created) for c in ("B-2", " B-1 ")]
    with pytest.raises(Conflict) as taken:
        shipments_import(actor=OPERATOR, merchant=cast.merchant, records=again)
    assert (taken.value.code, taken.value.extra) == (
        "client_order_code_taken",
        {"record": 1, "s10": kept.s10},
    )
    assert Shipment.objects.count() == before + 1
