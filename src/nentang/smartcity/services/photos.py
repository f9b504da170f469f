"""The sweeper of report photos that no report holds.

A report's photo (and the photo of the work done, sent with the answer) is written to
private storage *before* the report's transaction commits, because the report row names
it. When that transaction fails the service deletes the file again, but a process killed
between the write and the commit (or an outer transaction rolled back after the service
returned, as the API's Idempotency-Key wrapper does on an error response) leaves a file
that no row names: a photo of a street, perhaps of people, kept for no purpose
(Law 91/2025: personal data is kept no longer than its purpose needs).

``photos_sweep`` walks ``city-reports/`` and deletes the files older than ``grace`` that
no ``Report.photo`` or ``Report.answer_photo`` names. The grace period keeps it away from
a photo whose transaction is still running; a transaction is seconds long, the default
grace an hour. One audit entry per run that deleted something (the count and the
oldest file's age, never the names' content). ``tasks.sweep_report_photos_daily`` runs
it every day; ``nentang smartcity sweep-photos`` runs it by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.files.storage import default_storage
from django.db.models import Q
from django.utils import timezone

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.smartcity.models import Report
from nentang.smartcity.services.reports import PHOTOS

GRACE = timedelta(hours=1)
SWEEP_INTERVAL = timedelta(days=1)
_CHUNK = 500


@dataclass(frozen=True)
class Sweep:
    examined: int
    deleted: list[str]


def _files(folder: str) -> Iterator[str]:
    if not default_storage.exists(folder):
        return
    directories, files = default_storage.listdir(folder)
    for name in sorted(files):
        yield f"{folder}/{name}"
    for directory in sorted(directories):
        yield from _files(f"{folder}/{directory}")


def _held(names: list[str]) -> set[str]:
    rows = Report.objects.filter(Q(photo__in=names) | Q(answer_photo__in=names)).values_list(
        "photo", "answer_photo"
    )
    return {name for pair in rows for name in pair if name}


def photos_sweep(*, actor: Actor, now: datetime | None = None, grace: timedelta = GRACE) -> Sweep:
    """Delete the report photos older than ``grace`` that no report names."""
    moment = now or timezone.now()
    cutoff = moment - grace
    candidates: list[str] = []
    examined = 0
    for name in _files(PHOTOS):
        examined += 1
        if default_storage.get_modified_time(name) <= cutoff:
            candidates.append(name)
    deleted: list[str] = []
    for start in range(0, len(candidates), _CHUNK):
        chunk = candidates[start : start + _CHUNK]
        held = _held(chunk)
        for name in chunk:
            if name not in held:
                default_storage.delete(name)
                deleted.append(name)
    if deleted:
        auditing.record(
            actor=actor,
            action="smartcity.photos.sweep",
            subject_type="smartcity.storage",
            subject=PHOTOS,
            summary={"deleted": len(deleted), "examined": examined, "grace_s": grace.seconds},
        )
    return Sweep(examined=examined, deleted=deleted)


def photos_sweep_schedule(*, run_after: datetime | None = None) -> bool:
    """Queue the daily sweep unless one is waiting already."""
    from nentang.kernel.scheduling import task_enqueue_unless_waiting
    from nentang.smartcity.tasks import sweep_report_photos_daily

    return bool(task_enqueue_unless_waiting(sweep_report_photos_daily, run_after=run_after))
