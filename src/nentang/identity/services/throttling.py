"""Throttling primitives shared by the login, registration and recovery steps, and
the throttle of online registrations.

Counters are kept as rows (``LoginThrottle``, ``LoginFailure``,
``RegistrationAttempt``) rather than in a cache, so that they hold on both
databases, survive a restart and serialise under parallel attempts. Logins and ID
numbers are stored only as keyed hashes.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nentang.identity.models import LoginThrottle, RegistrationAttempt
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import RateLimited


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
_REGISTRATION_LOCK = "registration:" + "0" * 51  # the mutex row of registrations


def registration_attempt_reserve(*, id_number: str, source_ip: str | None) -> None:
    """Count a registration before the ID number is looked up; 429 ``rate_limited``
    (the kernel's RateLimited, ``Retry-After``) when the address or the number is
    spent. Reserved under a lock (one mutex row: registrations are rare), so parallel
    attempts cannot all pass; a refused attempt is not counted."""
    now = timezone.now()
    key = salted_hmac("nentang.identity.register", id_number, algorithm="sha256").hexdigest()
    with transaction.atomic():
        if not LoginThrottle.objects.filter(login_key=_REGISTRATION_LOCK).update(updated_at=now):
            throttle_row(_REGISTRATION_LOCK, now)
            LoginThrottle.objects.filter(login_key=_REGISTRATION_LOCK).update(updated_at=now)
        RegistrationAttempt.objects.filter(
            occurred_at__lt=now - REGISTRATION.id_number_window
        ).delete()
        waits = [
            window_wait(
                RegistrationAttempt.objects.filter(id_key=key),
                now,
                REGISTRATION.per_id_number,
                REGISTRATION.id_number_window,
            )
        ]
        if source_ip is not None:
            waits.append(
                window_wait(
                    RegistrationAttempt.objects.filter(source_ip=source_ip),
                    now,
                    REGISTRATION.per_address,
                    REGISTRATION.address_window,
                )
            )
        wait = max(waits)
        if not wait:
            RegistrationAttempt.objects.create(occurred_at=now, source_ip=source_ip, id_key=key)
    if wait:
        auditing.security_event(
            kind="ratelimit.hit",
            outcome="denied",
            severity="low",
            source_ip=source_ip,
            actor=Actor.anonymous(),
            subject="identity.person.register",
            detail={"scope": "registration"},
        )
        raise RateLimited(
            _("Too many registrations from your network or for this ID number.")
            + " "
            + wait_message(wait),
            retry_after=wait,
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
