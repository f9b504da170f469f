"""Per-request context shared by logging, errors and audit (a contextvar, async-safe)."""

from __future__ import annotations

import contextvars
import re
import secrets

_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# Accept a caller's id only when it is short and harmless in logs and headers.
_ACCEPTABLE = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")


def new_request_id() -> str:
    return secrets.token_hex(12)


def accept_request_id(candidate: str | None) -> str:
    """The caller's X-Request-ID when well-formed, otherwise a fresh one."""
    if candidate and _ACCEPTABLE.match(candidate):
        return candidate
    return new_request_id()


def current_request_id() -> str:
    return _request_id.get()


def bind_request_id(value: str) -> contextvars.Token[str]:
    return _request_id.set(value)


def reset_request_id(token: contextvars.Token[str]) -> None:
    _request_id.reset(token)
