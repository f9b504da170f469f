"""What :class:`~nentang.kernel.outbound.client.OutboundClient` returns."""

from __future__ import annotations

import json as jsonlib
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class OutboundResponse:
    """A response read in full (or with its body discarded when the caller asked)."""

    status_code: int
    headers: httpx.Headers
    content: bytes
    url: str
    address: str
    elapsed_ms: int

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return jsonlib.loads(self.content)
