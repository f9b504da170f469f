"""Sortable public identifiers: UUIDv7 (RFC 9562), time-ordered, 122 bits of which
74 are random. Python 3.11 has no ``uuid.uuid7``; the ``uuid6`` package provides it.
"""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    """A new UUIDv7 as a plain :class:`uuid.UUID` (monotonic within a process)."""
    return uuid.UUID(int=uuid6.uuid7().int)


def parse_id(value: str) -> uuid.UUID:
    """Parse a public id; raises ``ValueError`` on anything that is not a UUID."""
    return uuid.UUID(str(value))


def id_timestamp_ms(value: uuid.UUID) -> int:
    """Milliseconds since the epoch encoded in a UUIDv7."""
    if value.version != 7:
        raise ValueError("not a UUIDv7")
    return value.int >> 80
