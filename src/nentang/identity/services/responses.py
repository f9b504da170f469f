"""Security operators' responses to an alert (issue 9): block a network address from
logging in for a time, lock the account an alert is about — and undo either.

The SOC (audit context) calls these; identity decides. Only an active staff account
holding ``identity.respond_to_alerts`` may act (the SOC pages also require a session
that presented a second factor). Every action needs a reason, is recorded in the audit
log in its own transaction and can be reversed: a block is lifted (or ends by itself),
a security lock is lifted by a security operator or, like any lock, by an identity
administrator in person.

The alert names an account by the audit log's pseudonym of its actor (people are never
named in clear there), so the account is found by computing the pseudonym of each
candidate: a scan, acceptable for a rare manual action.
"""

from __future__ import annotations

import ipaddress
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.audit.services import pseudonym
from nentang.identity.models import Account, AccountLockEvent, AddressBlock, Person
from nentang.identity.problems import (
    ACCOUNT_ALREADY_LOCKED,
    ACCOUNT_NOT_LOCKED,
    BLOCK_ENDED,
    OWN_ACCOUNT_LOCK,
    RESPOND_PERMISSION_REQUIRED,
)
from nentang.identity.services.common import Errors, actor_for, denied
from nentang.identity.services.sessions import end_all_sessions
from nentang.kernel import auditing
from nentang.kernel.errors import Conflict, Forbidden, NotFound

RESPOND = "identity.respond_to_alerts"
BLOCK_HOURS = (1, 24, 24 * 7)
MAX_REASON = 2000


def _require(by: Account, what: str) -> None:
    if not (by.is_active and by.is_staff and not by.is_locked and by.has_perm(RESPOND)):
        denied(by, what=what, detail={"permission": RESPOND})
        raise Forbidden(
            _("Only a security operator may respond to alerts."), code=RESPOND_PERMISSION_REQUIRED
        )


def _reason(errors: Errors, value: str, field: str = "reason") -> str:
    text = (value or "").strip()
    if not text:
        errors.add(field, _("Give the reason: it is kept in the audit log."), "required")
    elif len(text) > MAX_REASON or "\x00" in text:
        errors.add(field, _("Keep the reason under 2000 characters of text."), "invalid")
    return text


def _canonical(address: str) -> str | None:
    """One spelling per address: an IPv4-mapped IPv6 address (``::ffff:1.2.3.4``, what a
    dual-stack socket reports for an IPv4 client) is its IPv4 address, IPv6 in its
    compressed form; None when ``address`` is not an address."""
    try:
        parsed = ipaddress.ip_address((address or "").strip().strip("[]"))
    except ValueError:
        return None
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is not None:
        return str(parsed.ipv4_mapped)
    return str(parsed)


def address_block(
    *, by: Account, address: str, hours: int, reason: str, alert: str = ""
) -> AddressBlock:
    """Refuse every login from ``address`` for ``hours`` (1, 24 or 168)."""
    _require(by, "identity.address.block")
    errors = Errors()
    network = _canonical(address)
    if network is None:
        errors.add("address", _("Enter an IPv4 or IPv6 address."), "invalid")
        network = ""
    if hours not in BLOCK_HOURS:
        errors.add("hours", _("Choose 1 hour, 24 hours or 7 days."), "invalid_choice")
    text = _reason(errors, reason)
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        block = AddressBlock.objects.create(
            address=network,
            reason=text,
            alert=(alert or "")[:64],
            blocked_by=by.get_username(),
            created_at=now,
            until=now + timedelta(hours=hours),
        )
        auditing.record(
            actor=actor_for(by),
            action="identity.address.block",
            subject_type="identity.address_block",
            subject=str(block.id),
            summary={"hours": hours, "alert": block.alert},
        )
    return block


def address_unblock(*, by: Account, block_id: uuid.UUID, reason: str) -> AddressBlock:
    """Lift a block before it ends."""
    _require(by, "identity.address.unblock")
    errors = Errors()
    text = _reason(errors, reason)
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        block = AddressBlock.objects.select_for_update().filter(pk=block_id).first()
        if block is None:
            raise NotFound(_("There is no such block."))
        if block.lifted_at is not None or block.until <= now:
            raise Conflict(_("This block has ended already."), code=BLOCK_ENDED)
        block.lifted_at, block.lifted_by, block.lift_reason = now, by.get_username(), text
        block.save(update_fields=["lifted_at", "lifted_by", "lift_reason"])
        auditing.record(
            actor=actor_for(by),
            action="identity.address.unblock",
            subject_type="identity.address_block",
            subject=str(block.id),
            summary={"alert": block.alert},
        )
    return block


def address_block_wait(source_ip: str | None, now: datetime) -> int:
    """Seconds until ``source_ip`` may log in again (0: not blocked). Login calls it."""
    address = _canonical(source_ip or "")
    if address is None:
        return 0
    until = (
        AddressBlock.objects.filter(address=address, until__gt=now, lifted_at__isnull=True)
        .order_by("-until")
        .values_list("until", flat=True)
        .first()
    )
    return max(1, int((until - now).total_seconds())) if until else 0


def address_blocks_active(*, address: str) -> list[AddressBlock]:
    now = timezone.now()
    canonical = _canonical(address) or address
    return list(
        AddressBlock.objects.filter(address=canonical, until__gt=now, lifted_at__isnull=True)
    )


@dataclass(frozen=True)
class AlertAccount:
    """The account an alert's actor pseudonym names (no personal data beyond its id)."""

    id: uuid.UUID
    is_locked: bool
    lock_reason: str


def account_for_actor(actor_ref: str) -> AlertAccount | None:
    """The account whose audit actor has the pseudonym ``actor_ref``, if any."""
    if not actor_ref.startswith("p_"):
        return None
    for username, pk in Account.objects.filter(is_staff=True).values_list("username", "pk"):
        if pseudonym(username) == actor_ref:
            return _alert_account(pk)
    people = Person.objects.filter(account__isnull=False).values_list("id", "account_id")
    for person_id, account_id in people.iterator(chunk_size=2000):
        if pseudonym(str(person_id)) == actor_ref:
            return _alert_account(account_id)
    return None


def _alert_account(pk: uuid.UUID) -> AlertAccount:
    row = Account.objects.only("locked_at", "lock_reason").get(pk=pk)
    return AlertAccount(id=row.pk, is_locked=row.is_locked, lock_reason=row.lock_reason)


def account_lock_for_alert(
    *, by: Account, actor_ref: str, reason: str, alert: str = ""
) -> AccountLockEvent:
    """Lock the account an alert is about (reason ``security_incident``): its sessions
    end and its tokens stop working at once."""
    _require(by, "identity.account.lock")
    errors = Errors()
    text = _reason(errors, reason)
    errors.raise_if_any()
    found = account_for_actor(actor_ref)
    if found is None:
        raise NotFound(_("No account matches this alert."))
    with transaction.atomic():
        row = Account.objects.select_for_update().get(pk=found.id)
        if row.is_locked:
            raise Conflict(_("This account is locked already."), code=ACCOUNT_ALREADY_LOCKED)
        if row.pk == by.pk:
            raise Conflict(_("An operator cannot lock their own account."), code=OWN_ACCOUNT_LOCK)
        now = timezone.now()
        row.locked_at, row.lock_reason = now, Account.LockReason.SECURITY_INCIDENT
        row.save(update_fields=["locked_at", "lock_reason"])
        event = AccountLockEvent.objects.create(
            account=row,
            action=AccountLockEvent.Action.LOCK,
            reason=Account.LockReason.SECURITY_INCIDENT,
            note=text[:500],
            by_operator=by.get_username(),
            at=now,
        )
        ended = end_all_sessions(row, reason="account_locked")
        auditing.record(
            actor=actor_for(by),
            action="identity.account.lock",
            subject_type="identity.account",
            subject=str(row.pk),
            summary={
                "reason": "security_incident",
                "by": "soc",
                "alert": alert[:64],
                "sessions_ended": ended,
            },
        )
    return event


def account_unlock_for_alert(*, by: Account, actor_ref: str, reason: str) -> AccountLockEvent:
    """Lift a security-incident lock (any other lock is lifted in person only)."""
    _require(by, "identity.account.unlock")
    errors = Errors()
    text = _reason(errors, reason)
    errors.raise_if_any()
    found = account_for_actor(actor_ref)
    if found is None:
        raise NotFound(_("No account matches this alert."))
    with transaction.atomic():
        row = Account.objects.select_for_update().get(pk=found.id)
        if row.lock_reason != Account.LockReason.SECURITY_INCIDENT:
            raise Conflict(_("This account is not under a security lock."), code=ACCOUNT_NOT_LOCKED)
        row.locked_at, row.lock_reason = None, ""
        row.save(update_fields=["locked_at", "lock_reason"])
        event = AccountLockEvent.objects.create(
            account=row,
            action=AccountLockEvent.Action.UNLOCK,
            reason=Account.LockReason.SECURITY_INCIDENT,
            note=text[:500],
            by_operator=by.get_username(),
            at=timezone.now(),
        )
        auditing.record(
            actor=actor_for(by),
            action="identity.account.unlock",
            subject_type="identity.account",
            subject=str(row.pk),
            summary={"previous_reason": "security_incident", "by": "soc"},
        )
    return event
