"""UPU S10 item identifiers: ``EE473124829VN``.

Two letters of service indicator, an 8-digit serial, a check digit and the ISO country
code. Check digit (UPU S10, as in DOMAIN.md): weights 8 6 4 2 3 5 9 7 on the serial,
C = 11 − (Σ mod 11), and 10 → 0, 11 → 5. Serial 47312482 → 9.

Allocation draws serials from :class:`~nentang.postal.models.S10Counter` under a row
lock, so concurrent creations never share one, and refuses a serial whose previous item
(an earlier cycle of the counter) is less than 12 months old.
"""

from __future__ import annotations

import re
from datetime import timedelta
from operator import mul

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel.errors import BadRequest, Conflict
from nentang.postal.models import S10Counter, Shipment
from nentang.postal.problems import INVALID_S10, S10_EXHAUSTED

WEIGHTS = (8, 6, 4, 2, 3, 5, 9, 7)
COUNTRY = "VN"
SERIALS_PER_CYCLE = 100_000_000
REUSE_AFTER = timedelta(days=366)
S10_PATTERN = re.compile(r"^([A-Z]{2})([0-9]{8})([0-9])([A-Z]{2})$")

# Service indicators (UPU S10 Annex): E EMS, C parcels, R registered, L tracked letters,
# V insured. J, K, S, T, W are reserved for bilateral use and never issued here.
INDICATORS = {"express": "EE", "standard": "CP", "ecommerce": "CE", "result": "RR"}


def check_digit(serial: str) -> int:
    """The S10 check digit of an 8-digit serial."""
    if len(serial) != 8 or not serial.isascii() or not serial.isdigit():
        raise ValueError("an S10 serial is exactly 8 ASCII digits")
    check = 11 - sum(map(mul, map(int, serial), WEIGHTS)) % 11
    return 0 if check == 10 else 5 if check == 11 else check


def s10_format(indicator: str, serial: int, country: str = COUNTRY) -> str:
    text = f"{serial:08d}"
    return f"{indicator}{text}{check_digit(text)}{country}"


def s10_is_valid(value: str) -> bool:
    found = S10_PATTERN.fullmatch(value)
    return bool(found) and check_digit(found.group(2)) == int(found.group(3))  # type: ignore[union-attr]


def s10_parse(value: str, *, field: str = "s10") -> str:
    """The identifier upper-cased and stripped of spaces, or a 400 ``invalid_s10`` that
    says whether the shape or the check digit is wrong."""
    cleaned = "".join(str(value or "").split()).upper()
    found = S10_PATTERN.fullmatch(cleaned)
    if found is None:
        raise BadRequest(
            _(
                "%(value)s is not an S10 item number: 2 letters, 9 digits, 2 letters "
                "(e.g. EE473124829VN)."
            )
            % {"value": cleaned[:20] or "“”"},
            code=INVALID_S10,
        )
    if check_digit(found.group(2)) != int(found.group(3)):
        raise BadRequest(
            _("The check digit of %(value)s is wrong: check the number on the label.")
            % {"value": cleaned},
            code=INVALID_S10,
        )
    return cleaned


def s10_allocate(*, indicator: str, count: int = 1) -> list[tuple[str, int]]:
    """Draw ``count`` consecutive identifiers of ``indicator``: (s10, cycle) pairs.

    Must run inside the caller's transaction: the counter row stays locked until it
    commits, so a concurrent allocation waits and then draws the next serials.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("s10_allocate runs inside the creating transaction")
    S10Counter.objects.get_or_create(indicator=indicator)
    counter = S10Counter.objects.select_for_update().get(indicator=indicator)
    start, cycle = counter.next_serial, counter.cycle
    if start + count > SERIALS_PER_CYCLE:
        # A new cycle: serials come round again only after 12 months.
        start, cycle = 0, cycle + 1
        S10Counter.objects.filter(indicator=indicator).update(next_serial=0, cycle=cycle)
    drawn = [s10_format(indicator, start + n) for n in range(count)]
    if cycle:
        cutoff = timezone.now() - REUSE_AFTER
        recent = Shipment.objects.filter(
            s10__in=drawn, s10_cycle__lt=cycle, created_at__gt=cutoff
        ).exists()
        if recent:
            raise Conflict(
                _("The S10 serials of %(ind)s are exhausted for 12 months.") % {"ind": indicator},
                code=S10_EXHAUSTED,
            )
    S10Counter.objects.filter(indicator=indicator).update(next_serial=F("next_serial") + count)
    return [(s10, cycle) for s10 in drawn]
