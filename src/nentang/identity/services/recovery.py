"""Online account recovery: what a person can do alone, and what needs an officer.

Online, for a personal e-ID at level 1 or 2 that is not locked:

* **Forgot the password** — the personal ID number, the date of birth and the mobile
  phone on record, then a 6-digit code sent by SMS to that phone (10 minutes, 5
  tries) and a new password. Every session ends and every token issued to services is
  revoked; the holder is told by SMS and e-mail. A second factor, when the account
  has one, stays: the next login still asks for it.
* **Lost the authenticator app or the passkeys** — a backup code (``services.backup``)
  stands in for the second factor once per code.

For a day after an online recovery (``RecoveryPolicy.cooling_off``) the second factor,
passkeys, backup codes, the phone and the e-mail cannot be changed (409
``recovery_cooling_off``): whoever took over the phone cannot also remove the holder's
authenticator or move the account's contacts away.

In person, at the police of the ward or commune or a one-stop shop (an officer checks
the identity card): a locked e-ID, a phone number no longer held, a lost second
factor without backup codes, organisation and staff accounts.

Requests are throttled per source address and per ID number (the same sliding
windows as registration) and always answered alike, matched or not.
"""

from __future__ import annotations

import datetime
import hmac
import re
import secrets
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import formats, timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from nentang.identity.models import Account, AccountRecovery, LoginThrottle, Person
from nentang.identity.problems import RECOVERY_COOLING_OFF
from nentang.identity.services import inputs
from nentang.identity.services.common import Errors, actor_for
from nentang.identity.services.notices import security_notice
from nentang.identity.services.sessions import end_all_sessions
from nentang.identity.services.sms import sms_sender
from nentang.identity.services.throttling import (
    login_key,
    source_address,
    throttle_row,
    wait_message,
    window_wait,
)
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, RateLimited
from nentang.kernel.throttle import refusal_to_report


@dataclass(frozen=True)
class RecoveryPolicy:
    """5 requests per address per hour and 3 per ID number per day: a person who
    mistyped retries; probing numbers or flooding a phone with SMS is slow. A code
    lives 10 minutes and allows 5 tries. Security changes wait a day after."""

    per_address: int = 5
    address_window: datetime.timedelta = datetime.timedelta(hours=1)
    per_id_number: int = 3
    id_number_window: datetime.timedelta = datetime.timedelta(days=1)
    code_lifetime: datetime.timedelta = datetime.timedelta(minutes=10)
    max_attempts: int = 5
    cooling_off: datetime.timedelta = datetime.timedelta(days=1)


POLICY = RecoveryPolicy()
_LOCK = "recovery:" + "0" * 55  # the mutex row of recovery requests
_TWELVE_DIGITS = re.compile(r"\d{12}")


def _code_hash(recovery_id: uuid.UUID, code: str) -> str:
    return salted_hmac(
        "nentang.identity.recovery.code", f"{recovery_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _id_key(id_number: str) -> str:
    return salted_hmac("nentang.identity.recover", id_number, algorithm="sha256").hexdigest()


def _checked(
    id_number: str, date_of_birth: datetime.date | None, phone: str
) -> tuple[str, datetime.date, str]:
    errors = Errors()
    number = (id_number or "").strip()
    if not number:
        errors.add("id_number", _("Enter your 12-digit personal ID number."), "required")
    elif not _TWELVE_DIGITS.fullmatch(number):
        errors.add("id_number", _("A personal ID number is exactly 12 digits."), "invalid_length")
    birth = inputs.date_of_birth_check(errors, date_of_birth, today=timezone.localdate())
    number_e164 = inputs.mobile_phone(errors, phone)
    errors.raise_if_any()
    assert birth is not None
    return number, birth, number_e164


def _reserve(id_key: str, source_ip: str | None, now: datetime.datetime) -> None:
    """Count this request before anything is looked up (one mutex row: requests are
    rare), or raise 429 when the address or the number is spent."""
    with transaction.atomic():
        if not LoginThrottle.objects.filter(login_key=_LOCK).update(updated_at=now):
            throttle_row(_LOCK, now)
            LoginThrottle.objects.filter(login_key=_LOCK).update(updated_at=now)
        AccountRecovery.objects.filter(occurred_at__lt=now - POLICY.id_number_window).delete()
        waits = [
            window_wait(
                AccountRecovery.objects.filter(id_key=id_key),
                now,
                POLICY.per_id_number,
                POLICY.id_number_window,
            )
        ]
        if source_ip is not None:
            waits.append(
                window_wait(
                    AccountRecovery.objects.filter(source_ip=source_ip),
                    now,
                    POLICY.per_address,
                    POLICY.address_window,
                )
            )
        wait = max(waits)
    refused = refusal_to_report("identity.recovery", source_ip or "") if wait else 0
    if refused:  # a flood of refused requests: one event per period, with its count
        auditing.security_event(
            kind="ratelimit.hit",
            outcome="denied",
            severity="low",
            source_ip=source_ip,
            actor=Actor.anonymous(),
            subject="identity.account.recover",
            detail={"scope": "recovery", "refused": refused},
        )
        raise RateLimited(
            _("Too many recovery requests from your network or for this ID number.")
            + " "
            + wait_message(wait),
            retry_after=wait,
        )


def _holder(number: str, birth: datetime.date, phone: str) -> Account | None:
    """The personal e-ID whose three answers all match, or None."""
    person = (
        Person.objects.select_related("account")
        .filter(id_number=number, date_of_birth=birth, account__isnull=False)
        .first()
    )
    if person is None or person.account is None or not hmac.compare_digest(person.phone, phone):
        return None
    account = person.account
    if account.kind != Account.Kind.PERSON or not account.is_active:
        return None
    return account


def recovery_start(
    *,
    id_number: str,
    date_of_birth: datetime.date | None,
    phone: str,
    source_ip: str | None = None,
) -> AccountRecovery:
    """Step 1: check the three answers' form (422 per field), count the request (429),
    and when they match an unlocked personal e-ID send a code to its phone. A locked
    e-ID gets an SMS that says where to go instead. The caller gets the request's id
    in every case and shows the same page (no enumeration of ID numbers or phones)."""
    number, birth, phone_e164 = _checked(id_number, date_of_birth, phone)
    now = timezone.now()
    address = source_address(source_ip)
    key = _id_key(number)
    _reserve(key, address, now)
    account = _holder(number, birth, phone_e164)
    recovery = AccountRecovery(
        id_key=key,
        source_ip=address,
        occurred_at=now,
        expires_at=now + POLICY.code_lifetime,
        code_hash="-",  # matches no code unless one is sent below
    )
    text = ""
    if account is not None and account.is_locked:
        text = _(
            "nentang e-ID: someone asked to recover your e-ID online, but it is locked. "
            "Go with your identity card to the police of your ward or commune to unlock it."
        )
    elif account is not None:
        code = f"{secrets.randbelow(10**6):06d}"
        recovery.account, recovery.phone = account, phone_e164
        recovery.code_hash = _code_hash(recovery.id, code)
        text = _(
            "nentang e-ID: your recovery code is %(code)s. It is valid for 10 minutes. "
            "Never give it to anyone, not even to someone who says they are an officer."
        ) % {"code": code}
    with transaction.atomic():
        recovery.save(force_insert=True)
        auditing.record(
            actor=Actor.anonymous(),
            action="identity.recovery.start",
            subject_type="identity.account_recovery",
            subject=str(recovery.id),
            summary={"code_sent": recovery.account_id is not None},
        )
    if text:  # sent once the request is stored (a code of no stored request is useless)
        sms_sender().send(to=phone_e164, text=text)
    return recovery


def _code_error(message: str, code: str) -> None:
    errors = Errors()
    errors.add("code", message, code)
    errors.raise_if_any()


def recovery_complete(
    *, recovery_id: uuid.UUID | str, code: str, password: str, source_ip: str | None = None
) -> Account:
    """Step 2: the right code and an acceptable new password set the password, end
    every session (tokens revoked), clear the login's lockout and start the cooling-off
    period; the holder is notified. A wrong code is a 422 at ``code`` (the fifth ends
    the request); a weak password a 422 at ``password`` that spends no try. The row
    is locked while the code is judged, so parallel guesses cannot pass 5."""
    now = timezone.now()
    typed = "".join((code or "").split())
    with transaction.atomic():
        recovery = AccountRecovery.objects.select_for_update().filter(id=recovery_id).first()
        if recovery is None or recovery.expires_at <= now or recovery.completed_at is not None:
            _code_error(_("This code has expired. Ask for a new one."), "expired")
        assert recovery is not None
        if recovery.attempts >= POLICY.max_attempts:
            _code_error(_("Too many wrong codes. Ask for a new one."), "locked")
        right = (
            len(typed) == 6
            and typed.isdigit()
            and hmac.compare_digest(recovery.code_hash, _code_hash(recovery.id, typed))
            and recovery.account_id is not None
        )
        if right and recovery.account_id is not None:
            account = Account.objects.select_for_update().get(pk=recovery.account_id)
            errors = Errors()
            inputs.password_check(errors, password, username=account.username)
            errors.raise_if_any()
            if account.is_locked:
                _code_error(_("This e-ID is locked: recover it in person."), "locked")
            account.set_password(password)
            account.recovered_at = now
            account.save(update_fields=["password", "recovered_at"])
            recovery.completed_at = now
            recovery.save(update_fields=["completed_at"])
            ended = end_all_sessions(account, reason="password_recovered")
            LoginThrottle.objects.filter(login_key=login_key(account.username)).update(
                failures=0, factor_failures=0, lockouts=0, locked_until=None, updated_at=now
            )
            auditing.record(
                actor=actor_for(account),
                action="identity.account.recover",
                subject_type="identity.account",
                subject=str(account.pk),
                summary={"sessions_ended": ended, "channel": "online"},
            )
            auditing.security_event(
                kind="account.recovered",
                outcome="success",
                severity="medium",
                source_ip=source_address(source_ip),
                actor=actor_for(account),
                subject=str(account.pk),
                detail={"channel": "online"},
            )
            security_notice(account=account, kind="password_recovered", at=now)
            return account
        recovery.attempts += 1
        recovery.save(update_fields=["attempts"])
    left = POLICY.max_attempts - recovery.attempts
    if left <= 0:
        auditing.security_event(
            kind="recovery.code_locked",
            outcome="denied",
            severity="low",
            source_ip=source_address(source_ip),
            actor=Actor.anonymous(),
            subject=str(recovery.id),
            detail={"attempts": recovery.attempts},
        )
        _code_error(_("Too many wrong codes. Ask for a new one."), "locked")
    _code_error(
        _("This code is not right. You can try %(left)d more times.") % {"left": left},
        "wrong_code",
    )
    raise AssertionError("unreachable")


def security_change_check(account: Account, *, contacts: bool = False) -> None:
    """409 ``recovery_cooling_off`` within the cooling-off period after an online
    recovery: second factors, passkeys and backup codes — and, with ``contacts``, the
    phone and e-mail on record — stay as they were."""
    if account.recovered_at is None:
        return
    until = account.recovered_at + POLICY.cooling_off
    if timezone.now() < until:
        at = {"until": formats.date_format(timezone.localtime(until), "d/m/Y H:i")}
        if contacts:
            text = _(
                "Your password was recovered online a short time ago. For your safety, "
                "the phone and e-mail of your e-ID can be changed again after %(until)s."
            )
        else:
            text = _(
                "Your password was recovered online a short time ago. For your safety, "
                "the second factor and backup codes can be changed again after %(until)s."
            )
        raise Conflict(text % at, code=RECOVERY_COOLING_OFF)
