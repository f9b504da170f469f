"""The one outbound HTTP client. Every context calls other servers through it.

Webhook URLs, OIDC ``jwks_uri``/``redirect_uri`` look-ups and partner APIs are URLs that
people typed, so a request must never become a way into our own network (SSRF). The
rules live with the code that enforces them:

* :mod:`~nentang.kernel.outbound.addresses`: which URLs and addresses may be reached
  (:func:`check_url`, :func:`blocked_reason`, ``NENTANG_OUTBOUND_ALLOW_NETWORKS``);
* :mod:`~nentang.kernel.outbound.client`: :class:`OutboundClient` — connecting to the
  checked address, timeouts, the body cap, redirects and retries;
* :mod:`~nentang.kernel.outbound.timeouts`: :class:`Timeouts`;
* :mod:`~nentang.kernel.outbound.response`: :class:`OutboundResponse`;
* :mod:`~nentang.kernel.outbound.errors`: the exceptions.

Failures raise :class:`OutboundError` or one of its subclasses, whose message names the
host, the address and the reason; URLs in messages never carry their query string.

Import from this package, not from its modules: the names below are its interface.
"""

from __future__ import annotations

from nentang.kernel.outbound.addresses import (
    IPAddress,
    IPNetwork,
    Target,
    allowed_networks,
    blocked_reason,
    check_url,
    redact,
)
from nentang.kernel.outbound.client import (
    DEFAULT_MAX_RESPONSE_BYTES,
    IDEMPOTENT_METHODS,
    MAX_RETRIES,
    REDIRECT_STATUSES,
    RETRY_STATUSES,
    USER_AGENT,
    OutboundClient,
    request,
)
from nentang.kernel.outbound.errors import (
    OutboundBlocked,
    OutboundError,
    OutboundTimeout,
    OutboundTooLarge,
)
from nentang.kernel.outbound.response import OutboundResponse
from nentang.kernel.outbound.timeouts import Timeouts

__all__ = [
    "DEFAULT_MAX_RESPONSE_BYTES",
    "IDEMPOTENT_METHODS",
    "MAX_RETRIES",
    "REDIRECT_STATUSES",
    "RETRY_STATUSES",
    "USER_AGENT",
    "IPAddress",
    "IPNetwork",
    "OutboundBlocked",
    "OutboundClient",
    "OutboundError",
    "OutboundResponse",
    "OutboundTimeout",
    "OutboundTooLarge",
    "Target",
    "Timeouts",
    "allowed_networks",
    "blocked_reason",
    "check_url",
    "redact",
    "request",
]
