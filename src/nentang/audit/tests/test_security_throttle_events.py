"""The kernel's generic throttle reports its refusals as security events — one for
the first refusal, then at most one per ``REPORT_EVERY`` per key, counting the
refusals it stands for: a flood writes a few rows, not one per refused request."""

from __future__ import annotations

from datetime import timedelta

import pytest

from nentang.audit.models import SecurityEvent
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import RateLimited
from nentang.kernel.models import ThrottleBucket
from nentang.kernel.throttle import REPORT_EVERY, throttle_take

HOUR = timedelta(hours=1)


@pytest.mark.django_db
def test_a_flood_of_refusals_writes_one_event_per_period_with_its_count() -> None:
    def take() -> None:
        throttle_take(
            "test.flood", "someone", limit=2, window=HOUR,
            actor=Actor.system("test"), source_ip="203.0.113.9",
        )  # fmt: skip

    take()
    take()
    assert not SecurityEvent.objects.filter(kind="ratelimit.hit").exists()
    for _ in range(30):
        with pytest.raises(RateLimited):
            take()
    events = list(SecurityEvent.objects.filter(kind="ratelimit.hit"))
    assert len(events) == 1
    event = events[0]
    assert (event.outcome, event.subject, event.source_ip) == (
        "denied",
        "test.flood",
        "203.0.113.9",
    )
    assert event.detail == {"scope": "test.flood", "refused": 1, "limit": 2}
    # The next period: one more event, standing for the 29 silent refusals and itself.
    reported = ThrottleBucket.objects.get().reported_at
    assert reported is not None
    ThrottleBucket.objects.update(reported_at=reported - REPORT_EVERY)
    with pytest.raises(RateLimited):
        take()
    refused = [e.detail["refused"] for e in SecurityEvent.objects.filter(kind="ratelimit.hit")]
    assert sorted(refused) == [1, 30]
