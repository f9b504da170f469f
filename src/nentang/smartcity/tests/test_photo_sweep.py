"""The sweeper of orphan report photos: a photo whose report never committed (the
surrounding transaction rolled back after the service stored it) is deleted once older
than the grace period; photos that reports hold, and young files, stay."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from nentang.smartcity import services
from nentang.smartcity.models import Report
from nentang.smartcity.services.photos import photos_sweep
from nentang.smartcity.tests import support_reports as support
from nentang.smartcity.tests.support_reports import JPEG, OPERATOR, PNG, Cast

AuditEntry = apps.get_model("audit", "AuditEntry")


@pytest.fixture
def cast(db: None, settings: Any, tmp_path: Path) -> Cast:
    settings.MEDIA_ROOT = tmp_path  # this test's photos only
    return support.cast()


def _report(cast: Cast, key: str, photo: bytes) -> Report:
    return services.report_create(
        actor=cast.an,
        tenant="hue",
        category="streetlight",
        description="Đèn đường tắt cả tuần nay rồi",
        idempotency_key=key,
        ward_code=cast.ward,
        photo=photo,
    )


def age(name: str, hours: float) -> None:
    moment = (timezone.now() - timedelta(hours=hours)).timestamp()
    os.utime(default_storage.path(name), (moment, moment))


def test_a_photo_whose_report_rolled_back_is_swept_once_past_the_grace(cast: Cast) -> None:
    kept = _report(cast, "k-1", JPEG)
    services.report_act(actor=cast.hue, report_id=str(kept.public_id), action="triage")
    kept = services.report_act(
        actor=cast.hue, report_id=str(kept.public_id), action="resolve", answer="Đã thay bóng",
        photo=PNG,
    )  # fmt: skip
    # The service returned, then the caller's transaction failed: no row names the file.
    with transaction.atomic():
        lost = _report(cast, "k-2", JPEG)
        transaction.set_rollback(True)
    assert not Report.objects.filter(pk=lost.pk).exists()
    assert default_storage.exists(lost.photo)
    stray = default_storage.save("city-reports/2026/01/stray.jpg", ContentFile(JPEG))
    for name in (kept.photo, kept.answer_photo, lost.photo, stray):
        age(name, 3)
    young = default_storage.save("city-reports/2026/12/young.png", ContentFile(PNG))

    done = photos_sweep(actor=OPERATOR)

    assert sorted(done.deleted) == sorted([lost.photo, stray])
    assert done.examined == 5
    assert not default_storage.exists(lost.photo)
    assert not default_storage.exists(stray)
    for name in (kept.photo, kept.answer_photo, young):
        assert default_storage.exists(name), name
    entry = AuditEntry.objects.get(action="smartcity.photos.sweep")
    assert entry.summary["deleted"] == 2
    # Nothing left to do: no second entry.
    assert photos_sweep(actor=OPERATOR).deleted == []
    assert AuditEntry.objects.filter(action="smartcity.photos.sweep").count() == 1


def test_within_the_grace_even_an_orphan_stays(cast: Cast) -> None:
    with transaction.atomic():
        lost = _report(cast, "k-1", JPEG)
        transaction.set_rollback(True)
    assert photos_sweep(actor=OPERATOR).deleted == []
    later = photos_sweep(actor=OPERATOR, now=timezone.now() + timedelta(hours=2))
    assert later.deleted == [lost.photo]


def test_no_folder_yet_is_nothing_to_do(cast: Cast) -> None:
    assert photos_sweep(actor=OPERATOR).examined == 0
