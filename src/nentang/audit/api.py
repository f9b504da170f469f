"""Public read API of the transparency log (/api/v1/audit/…)."""

from ninja import Router

router = Router(tags=["audit"])
