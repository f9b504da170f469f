"""A small generic throttle: ``throttle_take(scope, key, limit=…, window=…)``.

Counters are rows (``ThrottleBucket``), not a cache, so they hold on both databases,
survive a restart and serialise under parallel requests: each attempt locks its
(scope, key) row with ``select_for_update`` (on SQLite the IMMEDIATE transaction
takes the write lock) before it reads and writes the recent attempts. Keys are
stored only as keyed hashes (``salted_hmac``). A refused attempt is not counted.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nentang.kernel.errors import RateLimited
from nentang.kernel.models import ThrottleBucket

PRUNE_BATCH = 200


def key_hash(scope: str, key: str) -> str:
    """The keyed hash a key is stored as (scope-salted: one key, unrelated rows)."""
    return salted_hmac("nentang.kernel.throttle." + scope, key, algorithm="sha256").hexdigest()


def decide(
    attempts: list[datetime], now: datetime, *, limit: int, window: timedelta
) -> tuple[list[datetime], int]:
    """Pure sliding-window rule. ``attempts``: accepted attempts, any order (one
    stamped later than ``now`` by another server's clock still counts). Returns (the
    attempts to keep, most recent first, at most ``limit``; seconds to wait). A wait
    of 0 means this attempt fits and is included in what is kept."""
    recent = sorted((t for t in attempts if t > now - window), reverse=True)[:limit]
    if len(recent) < limit:
        return sorted([now, *recent], reverse=True)[:limit], 0
    return recent, max(1, math.ceil((recent[-1] + window - now).total_seconds()))


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes
    ) % {"minutes": minutes}


def throttle_take(
    scope: str, key: str, *, limit: int, window: timedelta, message: str | None = None
) -> None:
    """Record one attempt of ``key`` in ``scope``; raise ``RateLimited`` (429,
    ``Retry-After``) when ``limit`` attempts already fall in the last ``window``.
    ``message`` says what was limited (the wait is appended)."""
    hashed = key_hash(scope, key)
    _prune(timezone.now())
    with transaction.atomic():
        row = None
        for _attempt in range(3):  # a pruner may delete an expired row between the two
            ThrottleBucket.objects.bulk_create(
                [ThrottleBucket(scope=scope, key_hash=hashed, expires_at=timezone.now())],
                ignore_conflicts=True,
            )
            row = (
                ThrottleBucket.objects.select_for_update()
                .filter(scope=scope, key_hash=hashed)
                .first()
            )
            if row is not None:
                break
        assert row is not None
        now = timezone.now()  # read under the lock: earlier holders' attempts are older
        earlier = [datetime.fromisoformat(t) for t in row.attempts]
        kept, wait = decide(earlier, now, limit=limit, window=window)
        if not wait:
            row.attempts = [t.isoformat() for t in kept]
            row.expires_at = max(kept) + window
            row.save(update_fields=["attempts", "expires_at"])
    if wait:
        raise RateLimited(
            (message or _("Too many attempts in a short time.")) + " " + wait_message(wait),
            retry_after=wait,
        )


def _prune(now: datetime) -> None:
    """Delete a batch of rows whose attempts all left their window; rows another
    request holds are skipped, never waited for."""
    with transaction.atomic():
        stale = list(
            ThrottleBucket.objects.select_for_update(skip_locked=True)
            .filter(expires_at__lt=now)
            .values_list("pk", flat=True)[:PRUNE_BATCH]
        )
        if stale:
            ThrottleBucket.objects.filter(pk__in=stale).delete()
