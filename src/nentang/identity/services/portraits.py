"""Portrait files that no person refers to: removed by a sweeper (issue 8, item 16).

A registration stores the portrait before its transaction commits (the row must name
the file). When the transaction fails the registration removes the file itself, but a
crash (kill -9, a lost server) or a caller's outer transaction rolled back later leaves
the file with no row. ``portraits_sweep`` removes every file under ``portraits/`` that
no person refers to and that is older than ``PORTRAIT_GRACE`` (a registration in
flight is never swept: its transaction takes seconds, the grace an hour). The worker
runs it at every start (``identity.apps``), i.e. after every crash and restart.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

from django.core.files.storage import default_storage
from django.utils import timezone

from nentang.identity.models import Person

PORTRAITS = "portraits"
PORTRAIT_GRACE = timedelta(hours=1)
_BATCH = 500


def _files(folder: str) -> Iterator[str]:
    if not default_storage.exists(folder):
        return
    folders, files = default_storage.listdir(folder)
    for name in files:
        yield f"{folder}/{name}"
    for sub in folders:
        yield from _files(f"{folder}/{sub}")


def portraits_sweep(*, grace: timedelta = PORTRAIT_GRACE) -> int:
    """Delete portrait files no person refers to, older than ``grace``; the number
    deleted. Idempotent and safe beside running registrations."""
    cutoff = timezone.now() - grace
    removed = 0
    batch: list[str] = []

    def flush() -> int:
        known = set(Person.objects.filter(portrait__in=batch).values_list("portrait", flat=True))
        gone = 0
        for name in batch:
            if name not in known and default_storage.get_modified_time(name) < cutoff:
                default_storage.delete(name)
                gone += 1
        batch.clear()
        return gone

    for name in _files(PORTRAITS):
        batch.append(name)
        if len(batch) >= _BATCH:
            removed += flush()
    if batch:
        removed += flush()
    return removed
