"""Reads of the web shell: the installation's identity, cached briefly per process."""

from __future__ import annotations

import time

from django.db import DatabaseError

from nentang.web.models import Installation

CACHE_SECONDS = 30
_cache: tuple[float, Installation] | None = None


def installation() -> Installation:
    """The installation's identity (an unsaved default until an operator sets it).
    Cached for ``CACHE_SECONDS`` in each process: an edit shows within half a minute."""
    global _cache
    now = time.monotonic()
    if _cache is not None and now - _cache[0] < CACHE_SECONDS:
        return _cache[1]
    try:
        row = Installation.objects.filter(pk=1).first() or Installation()
    except DatabaseError:  # the database is down: error pages must still render
        return Installation()
    _cache = (now, row)
    return row


def installation_forget() -> None:
    """Drop the cached row (after an edit in this process, and in tests)."""
    global _cache
    _cache = None
