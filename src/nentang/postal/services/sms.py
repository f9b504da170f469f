"""The SMS adapter: how a delivery code reaches the recipient's phone.

An operator plugs its SMS gateway in with :func:`sms_sender_install` (an object with a
``send(to, text)`` method, e.g. :class:`HttpSmsSender` posting JSON to a gateway
through the platform's outbound client). Until then :class:`LogSmsSender` writes the
message to the log with the number masked — the development and demo set-up, where the
code is read from the log.
"""

from __future__ import annotations

import logging
from typing import Protocol

from nentang.kernel.outbound import OutboundClient

logger = logging.getLogger("nentang.postal.sms")


class SmsSender(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


def mask(phone: str) -> str:
    """+84912345678 → +849******78: enough for a person to recognise their number."""
    return phone[:4] + "*" * max(len(phone) - 6, 0) + phone[-2:] if len(phone) > 6 else "***"


class LogSmsSender:
    def send(self, *, to: str, text: str) -> None:
        logger.info("SMS to %s: %s", mask(to), text)


class HttpSmsSender:
    """POST ``{"to": …, "text": …}`` to a gateway URL (a bearer token if given)."""

    def __init__(self, url: str, *, token: str = "") -> None:
        self.url = url
        self.token = token

    def send(self, *, to: str, text: str) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        with OutboundClient() as client:
            response = client.post(self.url, json={"to": to, "text": text}, headers=headers)
        if response.status_code >= 300:
            raise RuntimeError(f"SMS gateway answered {response.status_code}")


_sender: SmsSender = LogSmsSender()


def sms_sender() -> SmsSender:
    return _sender


def sms_sender_install(sender: SmsSender) -> None:
    global _sender
    _sender = sender
