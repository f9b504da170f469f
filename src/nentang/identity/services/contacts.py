"""The holder changes the mobile phone or the e-mail of their e-ID online (issue 9,
"Citizens"; ASVS 5.0 V6.3.7 and V7.5.1: re-authentication before changing the
contacts that recovery and notices rely on).

Two steps, each only for the holder themself (the web pages also ask for the second
factor in the session when the account has one):

1. :func:`contact_change_start` — the new phone or e-mail and the **current
   password** (a recent re-authentication: a wrong one counts as a failed login of
   the account, so an open session cannot be used to guess it). Not within the
   cooling-off day after an online recovery (409 ``recovery_cooling_off``). At most
   5 requests per account a day (429). A 6-digit code goes to the **new** contact;
   an earlier open request of the account stops working.
2. :func:`contact_change_confirm` — the code (10 minutes, 5 tries, judged under a
   row lock so parallel guesses cannot pass 5 and one code switches once) switches
   the contact; a notice goes to the **old** contacts (``notices``).

A phone or e-mail that another e-ID has on record gives the holder exactly the same
pages; the message at the new contact says that it belongs to another e-ID, and no
code can match (no enumeration of other people's contacts). Every step is audited
in its transaction; no raw contact goes into the audit log.
"""

from __future__ import annotations

import datetime
import hmac
import secrets
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from nentang.identity.models import Account, ContactChange, Person
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors, actor_for
from nentang.identity.services.login import (
    login_attempt_failed,
    login_attempt_reserve,
    login_attempt_succeeded,
)
from nentang.identity.services.notices import contact_changed_notice
from nentang.identity.services.recovery import security_change_check
from nentang.identity.services.sms import mask, sms_sender
from nentang.identity.services.throttling import source_address, wait_message, window_wait
from nentang.kernel import auditing
from nentang.kernel.errors import NotFound, RateLimited

KINDS = (ContactChange.Kind.PHONE, ContactChange.Kind.EMAIL)


@dataclass(frozen=True)
class ContactPolicy:
    """A code lives 10 minutes and allows 5 tries; 5 requests per account a day are
    enough for typos and a lost message, and too few to flood someone's phone."""

    code_lifetime: datetime.timedelta = datetime.timedelta(minutes=10)
    max_attempts: int = 5
    per_account: int = 5
    window: datetime.timedelta = datetime.timedelta(days=1)


POLICY = ContactPolicy()


def mask_email(address: str) -> str:
    """an.nguyen@example.vn → a*******n@example.vn (the domain stays readable)."""
    local, _at, domain = address.rpartition("@")
    if not local:
        return "***"
    hidden = local[0] + "*" * max(len(local) - 2, 1) + (local[-1] if len(local) > 1 else "")
    return f"{hidden}@{domain}"


def masked(kind: str, value: str) -> str:
    return mask(value) if kind == ContactChange.Kind.PHONE else mask_email(value)


def _code_hash(change_id: uuid.UUID, code: str) -> str:
    return salted_hmac(
        "nentang.identity.contact.code", f"{change_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _person_of(actor: Account) -> Person:
    person = Person.objects.filter(account=actor).first()
    if person is None:  # staff accounts keep their contacts with their agency
        raise NotFound(_("This account has no personal e-ID."))
    return person


def _new_value(errors: Errors, person: Person, kind: str, value: str) -> str:
    """The new contact in its stored form, or "" with a field error (at ``kind``)."""
    if kind == ContactChange.Kind.PHONE:
        new = inputs.mobile_phone(errors, value, field="phone")
        if new and new == person.phone:
            errors.add("phone", _("This is already the phone of your e-ID."), "unchanged")
        return new
    if not (value or "").strip():
        errors.add("email", _("Enter the new e-mail address."), "required")
        return ""
    new = inputs.email_address(errors, value)
    if new and new.casefold() == person.email.casefold():
        errors.add("email", _("This is already the e-mail of your e-ID."), "unchanged")
    return new


def _taken(actor: Account, kind: str, value: str) -> bool:
    """Is ``value`` the phone or e-mail of another person's record?"""
    others = Person.objects.exclude(account=actor)
    if kind == ContactChange.Kind.PHONE:
        return others.filter(phone=value).exists()
    return others.filter(email__iexact=value).exists()


def _reauthenticate(actor: Account, password: str, source_ip: str | None) -> None:
    """The account's current password, counted like a login (429 when the login is
    locked out or the address throttled; a wrong one is a failure towards the lockout)."""
    attempt = login_attempt_reserve(
        login=actor.username, source_ip=source_ip, channel="contact_change"
    )
    if not actor.check_password(password):
        login_attempt_failed(attempt, account=actor, reason="wrong_password")
        errors = Errors()
        errors.add("password", _("This is not the password of your e-ID."), "wrong_password")
        errors.raise_if_any()
    login_attempt_succeeded(attempt, complete=False)


def _message(kind: str, taken: bool, code: str) -> tuple[str, str]:
    """(subject, text) of the message to the new contact, in the site's language."""
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("nentang e-ID: confirm your new contact")
        if taken and kind == ContactChange.Kind.PHONE:
            text = _(
                "nentang e-ID: someone asked to make this number the phone of an e-ID, but "
                "it is the phone of another e-ID already. Nothing was changed. If you did "
                "not ask, ignore this message."
            )
        elif taken:
            text = _(
                "nentang e-ID: someone asked to make this address the e-mail of an e-ID, "
                "but it is the e-mail of another e-ID already. Nothing was changed. If you "
                "did not ask, ignore this message."
            )
        else:
            text = _(
                "nentang e-ID: the code to confirm your new contact is %(code)s. It is valid "
                "for 10 minutes. Never give it to anyone, not even to someone who says they "
                "are an officer."
            ) % {"code": code}
    return subject, text


def _deliver(kind: str, to: str, subject: str, text: str) -> None:
    if kind == ContactChange.Kind.PHONE:
        sms_sender().send(to=to, text=text)
    else:
        # A mail server that is down must not turn the page into an error: the person
        # can ask again (the request is stored, the code simply did not arrive).
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [to], fail_silently=True)


def contact_change_start(
    *,
    actor: Account,
    kind: str,
    value: str,
    password: str,
    source_ip: str | None = None,
) -> ContactChange:
    """Step 1 (see the module docstring): 422 per field (the new contact, the
    password), 409 in the cooling-off day, 429 past 5 requests a day. Returns the
    request, whose id the caller keeps; the same whether or not the contact is taken."""
    assert kind in KINDS, kind
    person = _person_of(actor)
    security_change_check(actor, contacts=True)
    errors = Errors()
    new = _new_value(errors, person, kind, value)
    if not password:
        errors.add("password", _("Enter the password of your e-ID."), "required")
    errors.raise_if_any()
    address = source_address(source_ip)
    _reauthenticate(actor, password, address)
    taken = _taken(actor, kind, new)
    now = timezone.now()
    change = ContactChange(
        account=actor,
        kind=kind,
        value=new,
        taken=taken,
        source_ip=address,
        occurred_at=now,
        expires_at=now + POLICY.code_lifetime,
    )
    code = f"{secrets.randbelow(10**6):06d}"
    change.code_hash = "-" if taken else _code_hash(change.id, code)  # "-" matches no code
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=actor.pk).first()  # one count at a time
        wait = window_wait(
            ContactChange.objects.filter(account=actor), now, POLICY.per_account, POLICY.window
        )
        if wait:
            raise RateLimited(
                _("Too many requests to change the phone or e-mail of this e-ID.")
                + " "
                + wait_message(wait),
                retry_after=wait,
            )
        ContactChange.objects.filter(occurred_at__lt=now - POLICY.window).delete()
        ContactChange.objects.filter(
            account=actor, completed_at__isnull=True, expires_at__gt=now
        ).update(expires_at=now)  # the earlier request stops working
        change.save(force_insert=True)
        auditing.record(
            actor=actor_for(actor),
            action="identity.contact.change_start",
            subject_type="identity.account",
            subject=str(actor.pk),
            summary={"kind": kind, "request": str(change.id), "taken": taken},
        )
    subject, text = _message(kind, taken, code)
    _deliver(kind, new, subject, text)  # once the request is stored (see recovery)
    return change


def _code_error(message: str, code: str) -> None:
    errors = Errors()
    errors.add("code", message, code)
    errors.raise_if_any()


def contact_change_pending(*, actor: Account, change_id: uuid.UUID | str) -> ContactChange | None:
    """The actor's own request that can still be confirmed, or None (another
    person's id is None too)."""
    try:
        wanted = uuid.UUID(str(change_id))
    except ValueError:
        return None
    return ContactChange.objects.filter(
        id=wanted,
        account=actor,
        completed_at__isnull=True,
        expires_at__gt=timezone.now(),
        attempts__lt=POLICY.max_attempts,
    ).first()


def contact_change_confirm(
    *, actor: Account, change_id: uuid.UUID | str, code: str, source_ip: str | None = None
) -> ContactChange:
    """Step 2: the right code switches the contact and tells the old contacts; a wrong
    one is a 422 at ``code`` (the fifth ends the request). A request that is expired,
    used, replaced, unknown or another account's is "expired" alike."""
    now = timezone.now()
    typed = "".join((code or "").split())
    try:
        wanted = uuid.UUID(str(change_id))
    except ValueError:
        wanted = None
    with transaction.atomic():
        change = (
            ContactChange.objects.select_for_update().filter(id=wanted, account=actor).first()
            if wanted is not None
            else None
        )
        if change is None or change.expires_at <= now or change.completed_at is not None:
            _code_error(_("This code has expired. Ask for a new one."), "expired")
        assert change is not None
        if change.attempts >= POLICY.max_attempts:
            _code_error(_("Too many wrong codes. Ask for a new one."), "locked")
        right = (
            len(typed) == 6
            and typed.isdigit()
            and not change.taken
            and hmac.compare_digest(change.code_hash, _code_hash(change.id, typed))
        )
        if right:
            _switch(actor, change, now)
            return change
        change.attempts += 1
        change.save(update_fields=["attempts"])
        auditing.record(
            actor=actor_for(actor),
            action="identity.contact.wrong_code",
            subject_type="identity.account",
            subject=str(actor.pk),
            summary={"request": str(change.id), "attempts": change.attempts},
        )
    left = POLICY.max_attempts - change.attempts
    if left <= 0:
        auditing.security_event(
            kind="contact_change.code_locked",
            outcome="denied",
            severity="low",
            source_ip=source_address(source_ip),
            actor=actor_for(actor),
            subject=str(actor.pk),
            detail={"attempts": change.attempts},
        )
        _code_error(_("Too many wrong codes. Ask for a new one."), "locked")
    _code_error(
        _("This code is not right. You can try %(left)d more times.") % {"left": left},
        "wrong_code",
    )
    raise AssertionError("unreachable")


def _switch(actor: Account, change: ContactChange, now: datetime.datetime) -> None:
    """Inside the confirm's transaction: the person's contact becomes the new one."""
    Account.objects.select_for_update().filter(pk=actor.pk).first()
    security_change_check(actor, contacts=True)  # a recovery may have happened since
    person = Person.objects.select_for_update().get(account=actor)
    if _taken(actor, change.kind, change.value):  # another e-ID took it meanwhile
        _code_error(_("This code has expired. Ask for a new one."), "expired")
    old_phone, old_email = person.phone, person.email
    if change.kind == ContactChange.Kind.PHONE:
        person.phone = change.value
    else:
        person.email = change.value
    person.updated_at = now
    person.save(update_fields=[change.kind, "updated_at"])
    change.completed_at = now
    change.save(update_fields=["completed_at"])
    auditing.record(
        actor=actor_for(actor),
        action="identity.contact.change",
        subject_type="identity.person",
        subject=str(person.pk),
        summary={"kind": change.kind, "request": str(change.id)},
    )
    auditing.security_event(
        kind="account.contact_changed",
        outcome="success",
        severity="low",
        source_ip=change.source_ip,
        actor=actor_for(actor),
        subject=str(actor.pk),
        detail={"kind": change.kind},
    )
    contact_changed_notice(
        kind=change.kind,
        new_masked=masked(change.kind, change.value),
        old_phone=old_phone,
        old_email=old_email,
        at=now,
    )
