"""The throttle's sliding-window rule, without a database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from nentang.kernel.throttle import decide

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


def test_attempts_below_the_limit_pass_and_are_kept() -> None:
    earlier = [NOW - timedelta(minutes=m) for m in (50, 10)]
    kept, wait = decide(earlier, NOW, limit=3, window=HOUR)
    assert wait == 0
    assert kept == [NOW, NOW - timedelta(minutes=10), NOW - timedelta(minutes=50)]


def test_the_attempt_past_the_limit_waits_until_the_oldest_leaves_the_window() -> None:
    earlier = [NOW - timedelta(minutes=m) for m in (40, 5, 20)]
    kept, wait = decide(earlier, NOW, limit=3, window=HOUR)
    assert wait == 20 * 60
    assert kept == sorted(earlier, reverse=True)  # a refused attempt is not counted


def test_attempts_older_than_the_window_are_forgotten() -> None:
    earlier = [NOW - timedelta(minutes=m) for m in (61, 90, 120)]
    kept, wait = decide(earlier, NOW, limit=3, window=HOUR)
    assert (kept, wait) == ([NOW], 0)


def test_kept_attempts_never_exceed_the_limit() -> None:
    earlier = [NOW - timedelta(seconds=s) for s in range(1, 30)]
    kept, wait = decide(earlier, NOW, limit=5, window=HOUR)
    assert len(kept) == 5
    assert wait > 0


def test_an_attempt_stamped_after_now_still_counts() -> None:
    """Another server's clock may run ahead: its attempts are not ignored."""
    earlier = [NOW + timedelta(seconds=2), NOW - timedelta(minutes=1)]
    kept, wait = decide(earlier, NOW, limit=2, window=HOUR)
    assert kept == sorted(earlier, reverse=True)
    assert wait > 0
