"""Scans by postal workers and sorting centres, delivery with proof, failed attempts.

``scans_record`` takes a batch (a phone's single scan, or a sorting centre's thousands)
and answers per item: ``recorded``, ``duplicate`` (already stored: nothing changes),
``flagged`` (stored, but an impossible transition: the status did not change) or
``rejected`` (bad S10, unknown item, unknown code, a time in the future …), so that one
bad line never loses the others. The whole batch is one transaction, with the
shipments locked in id order (stable: two overlapping batches cannot deadlock).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import (
    Conflict,
    FieldError,
    NotFound,
    PayloadTooLarge,
    ProblemError,
    ValidationFailed,
)
from nentang.kernel.gcpause import gc_paused
from nentang.kernel.text import clean
from nentang.postal.models import DeliveryOtp, DeliveryProof, Facility, Shipment
from nentang.postal.models.shipments import Status
from nentang.postal.problems import (
    BATCH_TOO_LARGE,
    DELIVERY_NOT_ALLOWED,
    INVALID_S10,
    OTP_INVALID,
    SHIPMENT_NOT_FOUND,
)
from nentang.postal.services import cod, s10, sms, tracking

MAX_BATCH = 1000
CLOCK_SKEW = datetime.timedelta(minutes=10)
OTP_TTL = datetime.timedelta(minutes=10)
OTP_MAX_ATTEMPTS = 5
OTP_MAX_PER_HOUR = 3
SIGNATURE_MAX_BYTES = 200_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


@dataclass(frozen=True)
class ScanInput:
    s10: str
    code: str
    occurred_at: datetime.datetime | None = None
    facility_code: str = ""
    reason: str = ""
    next_attempt_on: datetime.date | None = None


@dataclass
class ScanOutcome:
    index: int
    s10: str
    result: str = "rejected"  # recorded, duplicate, flagged, rejected
    status: str = ""
    flag: str = ""
    error_code: str = ""
    error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "s10": self.s10,
            "result": self.result,
            "status": self.status or None,
            "flag": self.flag or None,
            "error_code": self.error_code or None,
            "error": self.error or None,
        }


@dataclass
class _Item:
    outcome: ScanOutcome
    code: str = ""
    at: datetime.datetime | None = None
    facility: str = ""
    reason: str = ""
    next_attempt_on: datetime.date | None = None
    shipment: Shipment | None = field(default=None)


def _reject(outcome: ScanOutcome, code: str, message: str) -> None:
    outcome.result, outcome.error_code, outcome.error = "rejected", code, message


def scans_record(
    *, actor: Actor, items: list[ScanInput], default_facility: str = "", allow_delivery: bool = True
) -> list[ScanOutcome]:
    """Record a batch of scans; see the module docstring. Delivery (EMI) by batch is for
    systems that carry their own proof (partner carriers); the scanning page delivers
    through :func:`shipment_deliver` with the recipient's code or signature."""
    if len(items) > MAX_BATCH:
        raise PayloadTooLarge(
            _("At most %(n)s scans per request.") % {"n": MAX_BATCH}, code=BATCH_TOO_LARGE
        )
    # A bounded batch (MAX_BATCH items): see kernel.gcpause for why.
    with gc_paused():
        return _record(items, actor, default_facility, allow_delivery)


def _record(
    items: list[ScanInput], actor: Actor, default_facility: str, allow_delivery: bool
) -> list[ScanOutcome]:
    now = timezone.now()
    facilities = set(Facility.objects.filter(is_active=True).values_list("code", flat=True))
    work: list[_Item] = []
    for index, item in enumerate(items):
        outcome = ScanOutcome(index=index, s10=str(item.s10 or "")[:20])
        entry = _Item(outcome)
        work.append(entry)
        try:
            outcome.s10 = s10.s10_parse(item.s10)
        except ProblemError as error:
            _reject(outcome, INVALID_S10, str(error.detail))
            continue
        code = str(item.code or "").upper()
        if code not in tracking.SCAN_CODES or (code == "EMI" and not allow_delivery):
            _reject(outcome, "unknown_event_code", _("Unknown event code %(c)s.") % {"c": code[:5]})
            continue
        rules = tracking.EVENT_CODES[code]
        reason = str(item.reason or "")
        if rules.needs_reason and reason not in tracking.FAILURE_REASONS:
            _reject(outcome, "reason_required", _("This event needs one of the listed reasons."))
            continue
        at = item.occurred_at or now
        if timezone.is_naive(at):
            _reject(outcome, "invalid_time", _("Give the time with its offset (ISO 8601)."))
            continue
        if at > now + CLOCK_SKEW:
            _reject(outcome, "time_in_future", _("The scan time is in the future."))
            continue
        facility = item.facility_code or default_facility
        if facility and facility not in facilities:
            _reject(outcome, "facility_not_found", _("No active facility has this code."))
            continue
        entry.code, entry.at, entry.facility = code, at, facility
        entry.reason, entry.next_attempt_on = (
            reason if rules.needs_reason else "",
            item.next_attempt_on,
        )

    wanted = {e.outcome.s10 for e in work if e.code}
    with transaction.atomic():
        # The latest cycle of each identifier, locked in a stable order.
        shipments: dict[str, Shipment] = {}
        for shipment in tracking.shipments_lock_for_ingest(wanted):
            current = shipments.get(shipment.s10)
            if current is None or shipment.s10_cycle > current.s10_cycle:
                shipments[shipment.s10] = shipment
        new_events = []
        for entry in work:
            if not entry.code:
                continue
            target = shipments.get(entry.outcome.s10)
            if target is None:
                _reject(entry.outcome, SHIPMENT_NOT_FOUND, _("No shipment has this item number."))
                entry.code = ""
                continue
            entry.shipment = target
            assert entry.at is not None
            new_events.append(
                tracking.NewEvent(
                    target.id,
                    entry.code,
                    entry.at,
                    entry.facility,
                    entry.reason,
                    entry.next_attempt_on,
                )
            )
        applied = tracking.events_apply(
            actor=actor,
            shipments=list(shipments.values()),
            new_events=new_events,
            cod=cod.cod_ledger(),
        )
    claimed: set[tuple[Any, str, datetime.datetime, str]] = set()
    for entry in work:
        if not entry.code or entry.shipment is None:
            continue
        assert entry.at is not None
        key = (entry.shipment.id, entry.code, entry.at, entry.facility)
        outcome = entry.outcome
        outcome.status = entry.shipment.status
        if key in applied.inserted_keys and key not in claimed:
            claimed.add(key)  # the first item of the batch with this key stored it
            outcome.result = "recorded"
            if key in applied.flags:
                outcome.result, outcome.flag = "flagged", applied.flags[key]
        else:
            outcome.result = "duplicate"
    return [entry.outcome for entry in work]


# --- delivery at the door ---------------------------------------------------------


def _digest(shipment: Shipment, code: str) -> str:
    return hmac.new(str(shipment.id).encode(), code.encode(), hashlib.sha256).hexdigest()


def _deliverable(shipment_id: Any) -> Shipment:
    shipment = Shipment.objects.select_for_update().filter(id=shipment_id).first()
    if shipment is None:
        raise NotFound(_("No shipment has this id."), code=SHIPMENT_NOT_FOUND)
    if shipment.status in (
        Status.PRE_TRANSIT,
        Status.DELIVERED,
        Status.CANCELLED,
        Status.RETURN_TO_SENDER,
    ):
        raise Conflict(
            _("Shipment %(s10)s cannot be delivered now (%(status)s).")
            % {"s10": shipment.s10, "status": shipment.get_status_display()},
            code=DELIVERY_NOT_ALLOWED,
        )
    return shipment


def delivery_code_send(*, actor: Actor, shipment_id: Any) -> str:
    """Send a 6-digit code to the recipient's phone; returns the masked number it went
    to. At most three codes an hour per shipment; a code lives ten minutes."""
    now = timezone.now()
    code = f"{secrets.randbelow(1_000_000):06d}"
    with transaction.atomic():
        shipment = _deliverable(shipment_id)
        recent = DeliveryOtp.objects.filter(
            shipment=shipment, created_at__gt=now - datetime.timedelta(hours=1)
        ).count()
        if recent >= OTP_MAX_PER_HOUR:
            raise Conflict(
                _("Three codes were sent this hour: use the signature instead."),
                code=DELIVERY_NOT_ALLOWED,
            )
        DeliveryOtp.objects.create(
            shipment=shipment,
            digest=_digest(shipment, code),
            expires_at=now + OTP_TTL,
            created_at=now,
        )
        auditing.record(
            actor=actor,
            action="postal.delivery.code_send",
            subject_type="postal.shipment",
            subject=shipment.s10,
        )
        phone = shipment.recipient_phone
        text = (
            f"Ma nhan hang buu gui {shipment.s10}: {code}. Chi doc ma cho buu ta khi da nhan hang."
        )
        transaction.on_commit(lambda: sms.sms_sender().send(to=phone, text=text))
    return sms.mask(phone)


def shipment_deliver(
    *,
    actor: Actor,
    worker_account_id: object,
    facility_code: str,
    shipment_id: Any,
    received_by: str,
    code: str = "",
    signature_png: bytes | None = None,
) -> Shipment:
    """Record a delivery with its proof: the recipient's name plus the code sent to
    their phone, or plus a signature image (PNG). COD is collected with it."""
    name = clean(received_by or "")
    errors: list[FieldError] = []
    if not 1 <= len(name) <= 150 or any(ord(ch) < 32 for ch in name):
        errors.append(
            FieldError(
                "received_by", _("Write the name of the person who received it."), "required"
            )
        )
    if bool(code) == bool(signature_png):
        errors.append(FieldError("code", _("Give either the SMS code or a signature."), "required"))
    if signature_png is not None and (
        not signature_png.startswith(PNG_MAGIC) or len(signature_png) > SIGNATURE_MAX_BYTES
    ):
        errors.append(
            FieldError("signature", _("The signature must be a PNG image under 200 KB."), "invalid")
        )
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), errors=errors)
    now = timezone.now()
    wrong = False
    with transaction.atomic():
        shipment = _deliverable(shipment_id)
        if code:
            otp = (
                DeliveryOtp.objects.select_for_update()
                .filter(shipment=shipment, used_at__isnull=True)
                .order_by("-created_at")
                .first()
            )
            if otp is None or otp.expires_at < now or otp.attempts >= OTP_MAX_ATTEMPTS:
                raise ValidationFailed(
                    _("The code expired: send a new one."),
                    code=OTP_INVALID,
                    errors=[FieldError("code", _("The code expired: send a new one."), "expired")],
                )
            if hmac.compare_digest(otp.digest, _digest(shipment, str(code).strip())):
                otp.used_at = now
                otp.save(update_fields=["used_at"])
            else:
                # Committed (not rolled back with an error), so guessing costs attempts.
                DeliveryOtp.objects.filter(id=otp.id).update(attempts=F("attempts") + 1)
                wrong = True
        if not wrong:
            DeliveryProof.objects.create(
                shipment=shipment,
                method=DeliveryProof.Method.OTP if code else DeliveryProof.Method.SIGNATURE,
                received_by=name,
                signature_png=signature_png,
                worker=str(worker_account_id),
                recorded_at=now,
            )
            tracking.events_apply(
                actor=actor,
                shipments=[shipment],
                new_events=[tracking.NewEvent(shipment.id, "EMI", now, facility_code)],
                cod=cod.cod_ledger(),
            )
    if wrong:
        raise ValidationFailed(
            _("The code is wrong."),
            code=OTP_INVALID,
            errors=[FieldError("code", _("The code is wrong."), "wrong_code")],
        )
    return shipment


def shipment_delivery_failed(
    *,
    actor: Actor,
    facility_code: str,
    shipment_id: Any,
    reason: str,
    next_attempt_on: datetime.date | None = None,
) -> Shipment:
    """Record a failed attempt (EMH) with its reason and the next attempt's date."""
    if reason not in tracking.FAILURE_REASONS:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError("reason", _("Choose a reason from the list."), "invalid_choice")],
        )
    today = timezone.localdate()
    if next_attempt_on is not None and not today <= next_attempt_on <= today + datetime.timedelta(
        days=14
    ):
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError(
                    "next_attempt_on", _("Choose a date within the next 14 days."), "invalid_date"
                )
            ],
        )
    with transaction.atomic():
        shipment = _deliverable(shipment_id)
        tracking.events_apply(
            actor=actor,
            shipments=[shipment],
            new_events=[
                tracking.NewEvent(
                    shipment.id, "EMH", timezone.now(), facility_code, reason, next_attempt_on
                )
            ],
            cod=cod.cod_ledger(),
        )
    return shipment
