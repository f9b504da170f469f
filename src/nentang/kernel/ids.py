"""Sortable public identifiers: UUIDv7 (RFC 9562), time-ordered and unguessable.

Python 3.11 has no ``uuid.uuid7``. The PyPI package ``uuid6`` keeps ids monotonic by
adding one millisecond per id generated within the same millisecond, which pushes
timestamps into the future under load (2,000 ids → 2 s ahead). We implement RFC 9562
§6.2 Method 1 instead — the same as CPython 3.14: a 42-bit counter in ``rand_a`` and
the top of ``rand_b``, reseeded randomly each millisecond and incremented within it;
only when it overflows (2⁴¹+ ids in one millisecond) does the timestamp move ahead.

Layout: 48-bit Unix ms | ver 7 (4) | counter hi (12) | var 0b10 (2) | counter lo (30)
| random (32).
"""

from __future__ import annotations

import os
import threading
import time
import uuid

_COUNTER_BITS = 42
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1

_lock = threading.Lock()
_last_ms = 0
_counter = 0


def _seed_counter() -> int:
    # Leave the top bit clear so the counter has at least 2^41 increments left.
    return int.from_bytes(os.urandom(6), "big") & (_COUNTER_MAX >> 1)


def new_id() -> uuid.UUID:
    """A new UUIDv7, strictly increasing within this process."""
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms = now_ms
            _counter = _seed_counter()
        else:
            _counter += 1
            if _counter > _COUNTER_MAX:  # practically unreachable: 2^41 ids in 1 ms
                _last_ms += 1
                _counter = _seed_counter()
        timestamp, counter = _last_ms, _counter
    tail = int.from_bytes(os.urandom(4), "big")
    value = (timestamp & 0xFFFF_FFFF_FFFF) << 80
    value |= 0x7 << 76
    value |= (counter >> 30) << 64
    value |= 0b10 << 62
    value |= (counter & 0x3FFF_FFFF) << 32
    value |= tail
    return uuid.UUID(int=value)


def parse_id(value: str) -> uuid.UUID:
    """Parse a public id; raises ``ValueError`` on anything that is not a UUID."""
    return uuid.UUID(str(value))


def id_timestamp_ms(value: uuid.UUID) -> int:
    """Milliseconds since the epoch encoded in a UUIDv7."""
    if value.version != 7:
        raise ValueError("not a UUIDv7")
    return value.int >> 80
