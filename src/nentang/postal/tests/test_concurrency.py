"""Concurrent writers on PostgreSQL: S10 numbers never shared, a client order code used
once, the same scans from two sorting-centre systems stored once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from nentang.audit.services import security_defaults_install
from nentang.kernel.errors import Conflict
from nentang.postal import services
from nentang.postal.models import Shipment, TrackingEvent
from nentang.postal.services.s10 import s10_is_valid
from nentang.postal.tests import support
from nentang.postal.tests.support import OPERATOR, parcel

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


def race(workers: int, job: Callable[[int], Any]) -> list[Any]:
    start = threading.Barrier(workers)
    results: list[Any] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            start.wait()
            result = job(number)
        except Conflict as error:
            result = error.code
        except Exception as error:
            result = repr(error)
        finally:
            connection.close()
        with lock:
            results.append(result)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def cast() -> support.Cast:
    support.administrative_units()
    security_defaults_install()
    return support.cast()


def test_concurrent_creations_draw_distinct_s10_numbers(cast: support.Cast) -> None:
    def create(number: int) -> str:
        data = parcel(client_order_code=f"RACE-{number}")
        return services.shipment_create(actor=OPERATOR, merchant=cast.merchant, data=data).s10

    numbers = race(8, create)

    assert len(numbers) == 8
    assert all(s10_is_valid(n) for n in numbers), numbers
    assert len(set(numbers)) == 8
    assert Shipment.objects.count() == 8


def test_one_client_order_code_makes_one_shipment(cast: support.Cast) -> None:
    results = race(4, lambda _: services.shipment_create(
        actor=OPERATOR, merchant=cast.merchant, data=parcel()
    ).s10)  # fmt: skip

    assert (
        sorted(r for r in results if not str(r).startswith("CE")) == ["client_order_code_taken"] * 3
    ), results
    assert Shipment.objects.count() == 1


def test_the_same_scans_sent_twice_at_once_are_stored_once(cast: support.Cast) -> None:
    shipments = [
        services.shipment_create(
            actor=OPERATOR, merchant=cast.merchant, data=parcel(client_order_code=f"SCAN-{n}")
        )
        for n in range(20)
    ]
    from django.utils import timezone

    at = timezone.now()
    batch = [services.ScanInput(s.s10, "EDD", at, "ktc-tan-son-nhat") for s in shipments]

    results = race(
        3, lambda _: [o.result for o in services.scans_record(actor=OPERATOR, items=batch)]
    )

    assert TrackingEvent.objects.count() == 20
    flat = sorted(r for outcome in results for r in outcome)
    assert flat.count("recorded") == 20
    assert flat.count("duplicate") == 40
