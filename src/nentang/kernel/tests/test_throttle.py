"""The generic throttle on the database: limits, hashed keys, pruning, and on
PostgreSQL exactly ``limit`` of many parallel attempts pass."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from nentang.kernel.errors import RateLimited
from nentang.kernel.models import ThrottleBucket
from nentang.kernel.throttle import throttle_take

HOUR = timedelta(hours=1)


@pytest.mark.django_db
def test_the_attempt_past_the_limit_is_refused_with_a_wait() -> None:
    for _ in range(3):
        throttle_take("test.scope", "0912345678", limit=3, window=HOUR)
    with pytest.raises(RateLimited) as refused:
        throttle_take("test.scope", "0912345678", limit=3, window=HOUR)
    assert refused.value.status == 429
    assert 3500 < int(refused.value.headers["Retry-After"]) <= 3600
    throttle_take("test.scope", "0987654321", limit=3, window=HOUR)  # another key
    throttle_take("other.scope", "0912345678", limit=3, window=HOUR)  # another scope
    assert not ThrottleBucket.objects.filter(key_hash__contains="0912345678").exists()
    assert ThrottleBucket.objects.count() == 3


@pytest.mark.django_db
def test_rows_whose_attempts_left_the_window_are_pruned() -> None:
    throttle_take("test.scope", "old", limit=3, window=HOUR)
    ThrottleBucket.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    throttle_take("test.scope", "new", limit=3, window=HOUR)
    assert ThrottleBucket.objects.count() == 1


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_parallel_attempts_pass_exactly_the_limit() -> None:
    """Twelve threads race on one key with a limit of five: five pass, seven wait."""
    passed: list[bool] = []
    barrier = threading.Barrier(12)

    def worker() -> None:
        try:
            barrier.wait()
            try:
                throttle_take("test.race", "one key", limit=5, window=HOUR)
                passed.append(True)
            except RateLimited:
                passed.append(False)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(passed) == [False] * 7 + [True] * 5
    assert len(ThrottleBucket.objects.get(scope="test.race").attempts) == 5
