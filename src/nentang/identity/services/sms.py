"""The SMS port of the identity context: how a one-time code reaches a phone.

The same shape as the postal context's adapter (``send(to=…, text=…)``). An operator
plugs its gateway in with :func:`sms_sender_install`. Until then :class:`FileSmsSender`
appends each message as one JSON line to ``$NENTANG_HOME/outbox/sms/<number>.jsonl``
(the development, demo and test set-up: the code is read there) and logs it with the
number masked.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.utils import timezone

logger = logging.getLogger("nentang.identity.sms")


class SmsSender(Protocol):
    def send(self, *, to: str, text: str) -> None: ...


def mask(phone: str) -> str:
    """+84912345678 → +849******78."""
    return phone[:4] + "*" * max(len(phone) - 6, 0) + phone[-2:] if len(phone) > 6 else "***"


class FileSmsSender:
    """Writes each message to a file per number under ``directory`` (by default
    ``$NENTANG_HOME/outbox/sms``, read when sending so test settings apply)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory

    def folder(self) -> Path:
        return self.directory or Path(settings.HOME) / "outbox" / "sms"

    def send(self, *, to: str, text: str) -> None:
        folder = self.folder()
        folder.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"at": timezone.now().isoformat(), "to": to, "text": text})
        with (folder / f"{to.lstrip('+')}.jsonl").open("a", encoding="utf-8") as out:
            out.write(line + "\n")
        logger.info("SMS to %s written to the outbox", mask(to))

    def messages(self, to: str) -> list[str]:
        """Every message sent to ``to``, oldest first (for the demo and tests)."""
        path = self.folder() / f"{to.lstrip('+')}.jsonl"
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line)["text"] for line in lines if line]


_sender: SmsSender = FileSmsSender()


def sms_sender() -> SmsSender:
    return _sender


def sms_sender_install(sender: SmsSender) -> SmsSender:
    """Install ``sender``; returns the previous one (so a test can put it back)."""
    global _sender
    previous, _sender = _sender, sender
    return previous
