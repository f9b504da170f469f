"""ASGI wrapper in front of Django: cut oversized bodies before they are buffered.

Django's ASGI handler reads the whole body before any middleware runs. This wrapper
answers 413 (problem+json) as soon as a declared Content-Length or the streamed
bytes of an undeclared body pass the limit, so a large upload costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from nentang.kernel.observability.context import accept_request_id

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    def __init__(self, app: ASGIApp, *, max_bytes: int, base_url: str) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.base_url = base_url

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                length = int(declared)
            except ValueError:
                length = -1
            if length < 0:
                await self._refuse(scope, send, 400, "bad_request", "Invalid Content-Length.")
                return
            if length > self.max_bytes:
                await self._drain_nothing_and_refuse(scope, send)
                return
            await self.app(scope, receive, send)
            return
        if scope.get("method") in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        # No declared length (chunked): buffer up to the limit, then replay to Django.
        chunks: list[bytes] = []
        total = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body = message.get("body", b"")
            total += len(body)
            if total > self.max_bytes:
                await self._drain_nothing_and_refuse(scope, send)
                return
            chunks.append(body)
            more = message.get("more_body", False)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": b"".join(chunks), "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    async def _drain_nothing_and_refuse(self, scope: Scope, send: Send) -> None:
        await self._refuse(
            scope,
            send,
            413,
            "payload_too_large",
            f"The request body exceeds the limit of {self.max_bytes} bytes.",
        )

    async def _refuse(self, scope: Scope, send: Send, status: int, code: str, detail: str) -> None:
        headers = dict(scope.get("headers") or [])
        raw_id = headers.get(b"x-request-id", b"").decode("latin-1") or None
        request_id = accept_request_id(raw_id)
        title = "Request body too large" if status == 413 else "Bad request"
        body = json.dumps(
            {
                "type": f"{self.base_url}/problems/{code}",
                "title": title,
                "status": status,
                "code": code,
                "detail": detail,
                "instance": scope.get("path", ""),
                "request_id": request_id,
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/problem+json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-request-id", request_id.encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
