"""Throttling primitives shared by the login, registration and recovery steps, and
the throttle of online registrations.

Counters are kept as rows (``LoginThrottle``, ``LoginFailure``; registrations in
the kernel's ``ThrottleBucket``) rather than in a cache, so that they hold on both
databases, survive a restart and serialise under parallel attempts. Logins and ID
numbers are stored only as keyed hashes.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import QuerySet
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nentang.identity.models import LoginThrottle
from nentang.kernel.throttle import Limit, throttle_take_all


def source_address(value: str | None) -> str | None:
    """A valid IP address (IPv4-mapped IPv6 folded to IPv4), or None."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def login_key(login: str) -> str:
    """Keyed hash of a login as typed: throttling state without storing logins."""
    return salted_hmac("nentang.identity.login", login.strip(), algorithm="sha256").hexdigest()


def wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes
    ) % {"minutes": minutes}


def throttle_row(key: str, now: datetime) -> None:
    """Make sure the login's throttle row exists (two racing inserts: one wins, no error)."""
    LoginThrottle.objects.bulk_create(
        [LoginThrottle(login_key=key, updated_at=now)], ignore_conflicts=True
    )


@dataclass(frozen=True)
class RegistrationPolicy:
    """Online registrations that passed their field checks: 10 per address per hour
    (a family or an office behind one address registers a few; a script registering
    thousands, or probing ID numbers, meets the limit at once) and 3 per ID number per
    day (a person who mistyped the phone retries; probing one number is slow)."""

    per_address: int = 10
    address_window: timedelta = timedelta(hours=1)
    per_id_number: int = 3
    id_number_window: timedelta = timedelta(days=1)


REGISTRATION = RegistrationPolicy()


def registration_attempt_reserve(*, id_number: str, source_ip: str | None) -> None:
    """Count a registration before the ID number is looked up; 429 ``rate_limited``
    (the kernel's RateLimited, ``Retry-After``) when the address or the number is
    spent. Both are counted in one step of the kernel's throttle (rows locked, so
    parallel attempts cannot all pass; a refused attempt is counted in neither), and a
    refusal is a rate-limited ``ratelimit.hit`` security event."""
    limits = [
        Limit(
            "identity.register.id_number",
            id_number,
            REGISTRATION.per_id_number,
            REGISTRATION.id_number_window,
        )
    ]
    if source_ip is not None:
        limits.append(
            Limit(
                "identity.register.address",
                source_ip,
                REGISTRATION.per_address,
                REGISTRATION.address_window,
            )
        )
    throttle_take_all(
        limits,
        message=_("Too many registrations from your network or for this ID number."),
        source_ip=source_ip,
    )


def window_wait(rows: QuerySet[Any], now: datetime, limit: int, window: timedelta) -> int:
    """Seconds until one more event fits in the sliding window (0: it fits now): the
    ``limit``-th most recent ``occurred_at`` must first leave the window."""
    times: list[datetime] = list(
        rows.filter(occurred_at__gte=now - window)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)[:limit]
    )
    if len(times) < limit:
        return 0
    return max(1, math.ceil((times[-1] + window - now).total_seconds()))
