"""Concurrent receptions on PostgreSQL: receipt codes unique and gapless per unit and
day, even when some receptions roll back after drawing their number."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction
from django.utils import timezone

from nentang.audit.services import security_defaults_install
from nentang.publicservices import services
from nentang.publicservices.models import Dossier
from nentang.publicservices.tests import support

pytestmark = [pytest.mark.postgres_only, pytest.mark.django_db(transaction=True)]


class Abandoned(Exception):
    """A reception whose transaction fails after its receipt number was drawn."""


def race(workers: int, job: Callable[[int], Any]) -> list[Any]:
    start = threading.Barrier(workers)
    results: list[Any] = []
    lock = threading.Lock()

    def run(number: int) -> None:
        try:
            start.wait()
            result = job(number)
        except Exception as error:
            result = type(error).__name__
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


def test_concurrent_receptions_draw_gapless_unique_codes() -> None:
    support.administrative_units()
    security_defaults_install()
    cast = support.cast()
    dossiers = [
        services.dossier_submit(
            actor=cast.an,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="ubnd-phuong-sai-gon",
            data=support.birth(),
            documents=support.papers("dang-ky-khai-sinh"),
        )
        for _ in range(16)
    ]

    def receive(number: int) -> str:
        dossier_id = dossiers[number].pk
        if number % 4 == 3:
            with transaction.atomic():
                services.dossier_receive(actor=cast.reception, dossier_id=dossier_id)
                raise Abandoned
        received = services.dossier_receive(actor=cast.reception, dossier_id=dossier_id)
        return received.receipt_code or ""

    results = race(16, receive)

    assert sorted(r for r in results if r == "Abandoned") == ["Abandoned"] * 4
    codes = sorted(r for r in results if r != "Abandoned")
    day = timezone.localdate()
    assert codes == [f"000.31.29.H29-{day:%y%m%d}-{n:04d}" for n in range(1, 13)]
    stored = Dossier.objects.exclude(receipt_code=None).values_list("receipt_code", flat=True)
    assert sorted(str(code) for code in stored) == codes
    assert Dossier.objects.filter(state="reception").count() == 4


def test_concurrent_birth_approvals_give_distinct_personal_id_numbers() -> None:
    """Eight birth registrations approved at once: eight children, eight numbers, the
    serials 1–8 above the prefix (the losers of a race on the unique index draw again)."""
    from django.apps import apps

    support.administrative_units()
    security_defaults_install()
    cast = support.cast()
    dossiers = []
    for number in range(8):
        dossier = services.dossier_submit(
            actor=cast.an,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="ubnd-phuong-sai-gon",
            data=support.birth(child_full_name=f"Nguyễn Minh Khôi {chr(ord('A') + number)}"),
            documents=support.papers("dang-ky-khai-sinh"),
        )
        services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
        services.dossier_process(actor=cast.processing, dossier_id=dossier.pk)
        dossiers.append(dossier)

    def approve(number: int) -> str:
        return services.dossier_approve(actor=cast.approval, dossier_id=dossiers[number].pk).state

    results = race(8, approve)

    assert results == ["issuing"] * 8
    person = apps.get_model("identity", "Person")
    numbers = sorted(
        person.objects.filter(guardian__account=cast.an).values_list("id_number", flat=True)
    )
    assert numbers == [f"079226{serial:06d}" for serial in range(1, 9)]
