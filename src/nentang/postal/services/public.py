"""The anonymous tracking look-up's throttle.

S10 numbers are sequential by the UPU standard (a serial and its check digit), so
anyone can write down the next ones: the public page and API show no personal data
(status, the destination province and the facilities' provinces only), and each client
address may look up at most :data:`PUBLIC_LOOKUPS` numbers per :data:`PUBLIC_WINDOW`,
so that walking the number space costs time. Counted per address
(``kernel.security.client_address``: behind a trusted proxy, the forwarded client).
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from nentang.kernel.throttle import throttle_take

PUBLIC_LOOKUPS = 60
PUBLIC_WINDOW = datetime.timedelta(minutes=10)


def public_lookup_take(*, address: str | None) -> None:
    """Count one anonymous look-up from ``address``; ``RateLimited`` (429,
    ``Retry-After``) past the limit. Without an address (no valid ``REMOTE_ADDR``)
    every such request shares one count."""
    throttle_take(
        "postal.public_tracking",
        address or "-",
        limit=PUBLIC_LOOKUPS,
        window=PUBLIC_WINDOW,
        message=_("Too many parcels looked up from this address."),
    )
