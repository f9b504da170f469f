"""Signing webhooks: secrets, the signed envelope, and the back-off between attempts.

Delivery follows Standard Webhooks 1.0. Each request is a ``POST`` of the event envelope
``{"id", "topic", "occurred_at", "data"}`` (compact JSON, UTF-8) with the headers

* ``webhook-id``: the event id — the same on every retry, the receiver's idempotency key;
* ``webhook-timestamp``: Unix seconds of this attempt;
* ``webhook-signature``: ``v1,<base64 HMAC-SHA256 of "{id}.{timestamp}.{body}">``, keyed
  with the base64-decoded part of the subscription's ``whsec_…`` secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from datetime import UTC, timedelta

from nentang.kernel.models import OutboxEvent

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format marker, not a secret
SECRET_BYTES = 32  # Standard Webhooks asks for 24 to 64 random bytes
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_CAP = timedelta(hours=6)

_jitter = secrets.SystemRandom()


def webhook_secret_new() -> str:
    """A fresh signing secret, ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def webhook_signature(*, secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header value for one attempt (Standard Webhooks ``v1``)."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(key, signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def webhook_envelope(event: OutboxEvent) -> bytes:
    """The exact bytes sent (and signed) for ``event``."""
    occurred = event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    envelope = {"id": str(event.id), "topic": event.topic, "occurred_at": occurred}
    envelope["data"] = event.payload
    return json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()


def webhook_backoff(attempt: int, *, retry_after: int | None = None) -> timedelta:
    """Wait after failed attempt ``attempt`` (1-based): 30 s × 2^(n−1), ±20 %, ≤ 6 h.

    A receiver's ``Retry-After`` (429/503) lengthens the wait, within the same cap.
    """
    exponent = min(max(attempt, 1) - 1, 20)
    base = min(BACKOFF_BASE * (1 << exponent), BACKOFF_CAP)
    delay = base * _jitter.uniform(0.8, 1.2)
    if retry_after is not None:
        delay = max(delay, timedelta(seconds=retry_after))
    return min(delay, BACKOFF_CAP)
