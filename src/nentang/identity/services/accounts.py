"""Locking and unlocking electronic identification accounts (Decree 69/2024/NĐ-CP).

A locked account cannot log in (``services.login``) and obtains no tokens: the OpenID
Connect provider checks ``Account.is_locked``; locking also ends every session and runs
the session revokers, so tokens already issued are revoked.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, AccountLockEvent, Officer, Organisation, Person
from nentang.identity.problems import (
    ACCOUNT_ALREADY_LOCKED,
    ACCOUNT_NOT_FOUND,
    ACCOUNT_NOT_LOCKED,
    OUTSIDE_AGENCY_AREA,
)
from nentang.identity.services.common import (
    Errors,
    actor_for,
    denied,
    officer_with_role,
    require_area,
)
from nentang.identity.services.notices import security_notice
from nentang.identity.services.sessions import end_all_sessions
from nentang.kernel import auditing, events
from nentang.kernel.errors import Conflict, Forbidden, NotFound
from nentang.kernel.text import clean

ACCOUNT_LOCKED_TOPIC = "identity.account.locked"
ACCOUNT_UNLOCKED_TOPIC = "identity.account.unlocked"


def _target(account_id: uuid.UUID) -> Account:
    account = Account.objects.filter(pk=account_id).first()
    if account is None:
        raise NotFound(_("No account has this id."), code=ACCOUNT_NOT_FOUND)
    return account


def _officer_in_area(actor: Account, target: Account, *, what: str) -> Officer:
    """An identity administrator whose agency covers the target: a person's residence,
    an organisation's head office, or (for staff) the same agency."""
    officer = officer_with_role(actor, "identity_admin", what=what)
    person = Person.objects.filter(account=target).only("province_code", "commune_code").first()
    organisation = (
        Organisation.objects.filter(account=target).only("province_code", "commune_code").first()
        if person is None
        else None
    )
    place = person or organisation
    if place is not None:
        require_area(
            actor,
            officer,
            province_code=place.province_code,
            commune_code=place.commune_code,
            what=what,
        )
        return officer
    colleague = Officer.objects.filter(account=target).only("agency_id").first()
    if colleague is None or colleague.agency_id != officer.agency_id or target.is_superuser:
        denied(actor, what=what, detail={"reason": "outside_agency_area"})
        raise Forbidden(
            _("Officers lock only staff accounts of their own agency."),
            code=OUTSIDE_AGENCY_AREA,
        )
    return officer


def _note(errors: Errors, note: str) -> str:
    text = clean(note or "")
    if len(text) > 500:
        errors.add("note", _("The note is at most 500 characters."), "too_long")
    return text


def account_lock(
    *, actor: Account, account_id: uuid.UUID, reason: str, note: str = ""
) -> AccountLockEvent:
    """Lock an e-ID account (Decree 69/2024/NĐ-CP): by its holder (reason
    ``holder_request`` only) or by an identity administrator of the agency covering
    the holder (any reason: officer action, terms breach, ID revoked, deceased). Ends
    every session and revokes tokens; recorded in the lock history.
    """
    target = _target(account_id)
    by_holder = actor.pk == target.pk
    officer = None if by_holder else _officer_in_area(actor, target, what="identity.account.lock")
    errors = Errors()
    if reason not in Account.LockReason.values:
        errors.add("reason", _("Choose a reason for the lock."), "invalid_choice")
    elif by_holder and reason != Account.LockReason.HOLDER_REQUEST:
        errors.add(
            "reason",
            _("A holder locks their own account at their own request only."),
            "invalid_choice",
        )
    text = _note(errors, note)
    errors.raise_if_any()
    with transaction.atomic():
        row = Account.objects.select_for_update().get(pk=target.pk)
        if row.is_locked:
            raise Conflict(_("This account is locked already."), code=ACCOUNT_ALREADY_LOCKED)
        moment = timezone.now()
        row.locked_at, row.lock_reason = moment, reason
        row.save(update_fields=["locked_at", "lock_reason"])
        event = AccountLockEvent.objects.create(
            account=row,
            action=AccountLockEvent.Action.LOCK,
            reason=reason,
            note=text,
            by_officer=officer,
            by_holder=by_holder,
            at=moment,
        )
        ended = end_all_sessions(row, reason="account_locked")
        events.emit(ACCOUNT_LOCKED_TOPIC, {"account_id": str(row.pk), "reason": reason})
        auditing.record(
            actor=actor_for(actor),
            action="identity.account.lock",
            subject_type="identity.account",
            subject=str(row.pk),
            summary={
                "reason": reason,
                "by": "holder" if by_holder else "officer",
                "agency": officer.agency_id if officer else "",
                "sessions_ended": ended,
            },
        )
        security_notice(account=row, kind="account_locked", at=moment)
    return event


def account_unlock(*, actor: Account, account_id: uuid.UUID, note: str = "") -> AccountLockEvent:
    """Unlock an e-ID account: identity administrators of the agency covering the holder
    only (the holder proves who they are in person, Decree 69/2024/NĐ-CP)."""
    target = _target(account_id)
    officer = _officer_in_area(actor, target, what="identity.account.unlock")
    errors = Errors()
    text = _note(errors, note)
    errors.raise_if_any()
    with transaction.atomic():
        row = Account.objects.select_for_update().get(pk=target.pk)
        if not row.is_locked:
            raise Conflict(_("This account is not locked."), code=ACCOUNT_NOT_LOCKED)
        previous = row.lock_reason
        moment = timezone.now()
        row.locked_at, row.lock_reason = None, ""
        row.save(update_fields=["locked_at", "lock_reason"])
        event = AccountLockEvent.objects.create(
            account=row,
            action=AccountLockEvent.Action.UNLOCK,
            reason=previous,
            note=text,
            by_officer=officer,
            by_holder=False,
            at=moment,
        )
        events.emit(ACCOUNT_UNLOCKED_TOPIC, {"account_id": str(row.pk)})
        auditing.record(
            actor=actor_for(actor),
            action="identity.account.unlock",
            subject_type="identity.account",
            subject=str(row.pk),
            summary={"previous_reason": previous, "agency": officer.agency_id},
        )
        security_notice(account=row, kind="account_unlocked", at=moment)
    return event
