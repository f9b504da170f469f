"""Reading the checkpoint held by the witness (``NENTANG_AUDIT_WITNESS``), for
``nentang audit verify`` and for the publisher (services.witness)."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings

from nentang.kernel.outbound import OutboundError, redact, request

__all__ = ["MAX_WITNESS_BYTES", "WITNESS_FILE", "WitnessError", "read_witness", "witness_location"]

MAX_WITNESS_BYTES = 64 * 1024
WITNESS_FILE = "checkpoint"


class WitnessError(Exception):
    """The witness could not be read (or written): unreachable, refusing, unreadable."""


def witness_location() -> str:
    """Where the witness is, for messages (a URL without its query string), or ""."""
    location: str = settings.NENTANG_AUDIT_WITNESS
    if location.startswith(("http://", "https://")):
        return redact(location)
    return location


def read_witness() -> str | None:
    """The signed checkpoint the witness holds, None when it holds none yet (or none is
    configured); raises :class:`WitnessError` when it cannot be read."""
    location: str = settings.NENTANG_AUDIT_WITNESS
    if not location:
        return None
    if location.startswith(("http://", "https://")):
        try:
            response = request("GET", location)
        except OutboundError as error:
            raise WitnessError(str(error)) from None
        if response.status_code == 404:
            return None
        if not response.is_success:
            raise WitnessError(f"{redact(location)} answered HTTP {response.status_code}")
        data = response.content
    else:
        path = Path(location) / WITNESS_FILE
        try:
            with path.open("rb") as handle:
                data = handle.read(MAX_WITNESS_BYTES + 1)
        except FileNotFoundError:
            return None
        except OSError as error:
            raise WitnessError(f"cannot read {path}: {error.strerror}") from None
    if len(data) > MAX_WITNESS_BYTES:
        raise WitnessError(f"{witness_location()} holds more than {MAX_WITNESS_BYTES} bytes")
    return data.decode("utf-8", errors="replace")
