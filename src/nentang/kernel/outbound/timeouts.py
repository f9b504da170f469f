"""Time limits of an outbound call, and the error raised when one expires.

Each phase (connect, read, write, pool) has its own limit, and ``total`` is a deadline
for the whole call, retries and redirects included.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from nentang.kernel.outbound.errors import OutboundTimeout


@dataclass(frozen=True)
class Timeouts:
    """Seconds. ``total`` bounds the whole call, including retries and redirects."""

    connect: float = 3.0
    read: float = 10.0
    write: float = 10.0
    pool: float = 3.0
    total: float = 30.0


def _timeout_error(
    error: httpx.TimeoutException, timeouts: Timeouts, where: dict[str, str]
) -> OutboundTimeout:
    phase = {
        httpx.ReadTimeout: "read",
        httpx.WriteTimeout: "write",
        httpx.PoolTimeout: "pool",
        httpx.ConnectTimeout: "connect",
    }.get(type(error), "read")
    seconds = getattr(timeouts, phase)
    return OutboundTimeout(
        f"The {phase} timeout ({seconds:g} s) expired talking to {where['host']} at "
        f"{where['address']} for {where['url']}.",
        phase=phase,
        **where,
    )
