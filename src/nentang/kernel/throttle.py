"""A small generic throttle: ``throttle_take(scope, key, limit=…, window=…)``.

Counters are rows (``ThrottleBucket``), not a cache, so they hold on both databases,
survive a restart and serialise under parallel requests: each attempt locks its
(scope, key) row with ``select_for_update`` (on SQLite the IMMEDIATE transaction
takes the write lock) before it reads and writes the recent attempts. Keys are
stored only as keyed hashes (``salted_hmac``). A refused attempt is not counted.

A refusal is a security event (``ratelimit.hit``, ``denied``, subject the scope, like
identity's throttles) — but at most one per (scope, key) every ``REPORT_EVERY``,
carrying how many refusals it stands for, so that a flood writes a few rows, not one
per refused request.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import RateLimited
from nentang.kernel.models import ThrottleBucket

PRUNE_BATCH = 200
REPORT_EVERY = timedelta(minutes=5)  # at most one security event per row in this time


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


def report_due(reported_at: datetime | None, now: datetime) -> bool:
    """Pure rule: whether a refusal writes a security event (the first one, then at
    most one per ``REPORT_EVERY``; one reported by a clock ahead of ours waits)."""
    return reported_at is None or not (now - REPORT_EVERY < reported_at)


@dataclass(frozen=True)
class Limit:
    """At most ``limit`` attempts of ``key`` in ``scope`` per sliding ``window``."""

    scope: str
    key: str
    limit: int
    window: timedelta


def throttle_take(
    scope: str,
    key: str,
    *,
    limit: int,
    window: timedelta,
    message: str | None = None,
    actor: Actor | None = None,
    source_ip: str | None = None,
) -> None:
    """Record one attempt of ``key`` in ``scope``; raise ``RateLimited`` (429,
    ``Retry-After``) when ``limit`` attempts already fall in the last ``window``.
    ``message`` says what was limited (the wait is appended). A refusal is reported as
    a security event (rate-limited, see the module docstring) naming ``actor`` and
    ``source_ip`` when given; call it outside any transaction the caller rolls back."""
    throttle_take_all(
        [Limit(scope, key, limit, window)], message=message, actor=actor, source_ip=source_ip
    )


def throttle_take_all(
    limits: Sequence[Limit],
    *,
    message: str | None = None,
    actor: Actor | None = None,
    source_ip: str | None = None,
) -> None:
    """One attempt against several limits at once (per address *and* per number): it
    is recorded in all of them or, when any is spent, in none (429 with the longest
    wait). The rows are locked in one order, so parallel callers never deadlock."""
    _prune(timezone.now())
    ordered = sorted(
        ((limit, key_hash(limit.scope, limit.key)) for limit in limits),
        key=lambda pair: (pair[0].scope, pair[1]),
    )
    reports: list[tuple[Limit, int]] = []
    with transaction.atomic():
        rows = [_locked_row(limit.scope, hashed) for limit, hashed in ordered]
        now = timezone.now()  # read under the locks: earlier holders' attempts are older
        decisions = [
            decide(
                [datetime.fromisoformat(t) for t in row.attempts],
                now,
                limit=limit.limit,
                window=limit.window,
            )
            for (limit, _hashed), row in zip(ordered, rows, strict=True)
        ]
        wait = max(spent for _kept, spent in decisions)
        for (limit, _hashed), row, (kept, spent) in zip(ordered, rows, decisions, strict=True):
            if not wait:
                row.attempts = [t.isoformat() for t in kept]
                row.expires_at = max(kept) + limit.window
                row.save(update_fields=["attempts", "expires_at"])
            elif not spent:
                continue  # this limit had room: the attempt is counted nowhere
            elif report_due(row.reported_at, now):
                reports.append((limit, row.refused + 1))
                row.refused, row.reported_at = 0, now
                row.save(update_fields=["refused", "reported_at"])
            else:
                row.refused += 1
                row.save(update_fields=["refused"])
    for limit, refused in reports:
        auditing.security_event(
            kind="ratelimit.hit",
            outcome="denied",
            severity="low",
            source_ip=source_ip,
            actor=actor or Actor.anonymous(),
            subject=limit.scope,
            detail={"scope": limit.scope, "refused": refused, "limit": limit.limit},
        )
    if wait:
        raise RateLimited(
            (message or _("Too many attempts in a short time.")) + " " + wait_message(wait),
            retry_after=wait,
        )


def refusal_to_report(scope: str, key: str) -> int:
    """For a throttle kept elsewhere (identity's login and recovery counters): count one
    refusal of ``key`` and say how many refusals its ``ratelimit.hit`` event should
    stand for now — 0 to stay silent — with the same rate limit as ``throttle_take``'s
    own events (a ``ThrottleBucket`` row of ``scope`` holding no attempts)."""
    now = timezone.now()
    with transaction.atomic():
        row = _locked_row(scope, key_hash(scope, key))
        row.expires_at = max(row.expires_at, now + REPORT_EVERY)  # kept for its period
        if report_due(row.reported_at, now):
            due, row.refused, row.reported_at = row.refused + 1, 0, now
        else:
            due, row.refused = 0, row.refused + 1
        row.save(update_fields=["refused", "reported_at", "expires_at"])
    return due


def _locked_row(scope: str, hashed: str) -> ThrottleBucket:
    """The (scope, key) row, created when missing, locked until the transaction ends."""
    for _attempt in range(3):  # a pruner may delete an expired row between the two
        ThrottleBucket.objects.bulk_create(
            [ThrottleBucket(scope=scope, key_hash=hashed, expires_at=timezone.now())],
            ignore_conflicts=True,
        )
        row = (
            ThrottleBucket.objects.select_for_update().filter(scope=scope, key_hash=hashed).first()
        )
        if row is not None:
            return row
    raise RuntimeError(f"throttle row {scope} could not be created")


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
