"""JSON API of the opendata context at ``/api/v1/opendata/`` (mounted by config/urls.py).

Each operation parses, authorises, calls one service or selector and serialises, with
its own input and output schemas; errors are problem+json (``kernel.errors``); unsafe
creates honour ``Idempotency-Key`` (``kernel.idempotency``); lists use cursor
pagination (``kernel.pagination``).
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["opendata"])
