"""The bare ASGI baseline: answers every HTTP request with the same fixed response.

The status, body and headers come from the environment (set by the benchmark from a
response of nentang), so the bytes on the wire match the scenario's response.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]

STATUS = int(os.environ.get("BENCH_BARE_STATUS", "200"))
BODY = os.environ.get("BENCH_BARE_BODY", '{"status": "ok"}').encode()
_HEADERS: list[list[str]] = json.loads(
    os.environ.get("BENCH_BARE_HEADERS", '[["content-type", "application/json; charset=utf-8"]]')
)
HEADERS = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in _HEADERS]
HEADERS.append((b"content-length", str(len(BODY)).encode()))


async def app(
    scope: Scope,
    receive: Callable[[], Awaitable[Message]],
    send: Callable[[Message], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": STATUS, "headers": HEADERS})
    await send({"type": "http.response.body", "body": BODY})
