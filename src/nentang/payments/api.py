"""JSON API of the payments context at ``/api/v1/payments/`` (mounted by config/urls.py).

Each operation parses, authorises, calls one service or selector and serialises, with
its own input and output schemas; errors are problem+json (``kernel.errors``); unsafe
creates honour ``Idempotency-Key`` (``kernel.idempotency``); lists use cursor
pagination (``kernel.pagination``).
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["payments"])
