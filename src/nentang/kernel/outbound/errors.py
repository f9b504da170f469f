"""What an outbound request raises: :class:`OutboundError` and its subclasses.

Every message names the host, the address and the reason; URLs in messages never carry
their query string.
"""

from __future__ import annotations


class OutboundError(Exception):
    """An outbound request failed: connection, TLS, protocol or size. Base of the others."""

    def __init__(self, message: str, *, url: str = "", host: str = "", address: str = "") -> None:
        self.url = url
        self.host = host
        self.address = address
        super().__init__(message)


class OutboundBlocked(OutboundError):
    """The request was refused before anything was sent (SSRF rules, scheme, redirect)."""

    def __init__(
        self, message: str, *, reason: str, url: str = "", host: str = "", address: str = ""
    ) -> None:
        self.reason = reason
        super().__init__(message, url=url, host=host, address=address)


class OutboundTimeout(OutboundError):
    """A timeout expired; ``phase`` is connect, read, write, pool or total."""

    def __init__(
        self, message: str, *, phase: str, url: str = "", host: str = "", address: str = ""
    ) -> None:
        self.phase = phase
        super().__init__(message, url=url, host=host, address=address)


class OutboundTooLarge(OutboundError):
    """The response body exceeded the client's ``max_response_bytes``."""
