"""Receiving units and receipt codes (Circular 01/2018/TT-VPCP, Art. 19).

``V1V2V3.Z1Z2.Y1Y2.MX1X2-YYMMDD-XXXX``: the receiving unit's identifier (configured per
agency), the date of receipt and the 4-digit sequence of that unit's dossiers that day.
The sequence is a counter row incremented under a row lock inside the receiving
transaction: concurrent receptions queue on the lock, and a reception that rolls back
rolls its number back too — no duplicates and no gaps.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity import selectors as identity
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, Forbidden, ValidationFailed
from nentang.publicservices.models import ReceiptCounter, ReceivingUnit
from nentang.publicservices.problems import INVALID_UNIT_CODE, RECEIPT_SEQUENCE_EXHAUSTED

UNIT_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}$")
RECEIPT_CODE = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")
MAX_SEQUENCE = 9999


def receiving_unit_configure(*, actor: Any, agency_code: str, unit_code: str) -> ReceivingUnit:
    """Give an agency its one-stop-shop unit identifier (administrators only). The
    identifier's structure is checked; which digits a province uses is its own list."""
    if not (actor.is_active and actor.is_superuser and not actor.is_locked):
        auditing.security_event(
            kind="authz.denied",
            outcome="denied",
            severity="low",
            actor=Actor.officer(actor.username),
            subject="publicservices.unit.configure",
        )
        raise Forbidden(_("Only an administrator may configure receiving units."))
    agency = identity.agency_get(code=agency_code)
    code = (unit_code or "").strip().upper()
    if not UNIT_CODE.fullmatch(code):
        raise ValidationFailed(
            _("Some fields are invalid."),
            code=INVALID_UNIT_CODE,
            errors=[
                FieldError(
                    "unit_code",
                    _("A unit identifier is V1V2V3.Z1Z2.Y1Y2.MX1X2, e.g. 000.31.29.H29."),
                    "invalid_format",
                )
            ],
        )
    with transaction.atomic():
        unit, created = ReceivingUnit.objects.update_or_create(
            agency_id=agency.code,
            defaults={"unit_code": code},
            create_defaults={"unit_code": code, "created_at": timezone.now()},
        )
        auditing.record(
            actor=Actor.officer(actor.username),
            action="publicservices.unit.configure",
            subject_type="publicservices.unit",
            subject=agency.code,
            summary={"unit_code": code, "created": created},
        )
    return unit


def receipt_code_allocate(*, unit: ReceivingUnit, day: datetime.date) -> str:
    """The next receipt code of ``unit`` on ``day``. Must run inside the transaction of
    the reception that uses it (the counter's row lock is held until it commits)."""
    ReceiptCounter.objects.bulk_create(
        [ReceiptCounter(unit=unit, day=day, last=0)], ignore_conflicts=True
    )
    counter = ReceiptCounter.objects.select_for_update().get(unit=unit, day=day)
    if counter.last >= MAX_SEQUENCE:
        raise Conflict(
            _("This unit has given every receipt number of the day."),
            code=RECEIPT_SEQUENCE_EXHAUSTED,
        )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"{unit.unit_code}-{day:%y%m%d}-{counter.last:04d}"
