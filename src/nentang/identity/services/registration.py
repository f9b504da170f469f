"""Online registration in two steps: the phone is confirmed by a one-time code before
the e-ID account is created (issue 8 item 6, Decree 69/2024/NĐ-CP).

``registration_start`` checks the whole form in one pass (422 with every field error),
throttles it (``login.registration_attempt_reserve``), keeps it as a
``PendingRegistration`` (the password hashed, the portrait kept) and sends a 6-digit
code to the phone through the SMS port (``services.sms``). ``registration_confirm``
creates the account on the right code: 10 minutes, 5 attempts, a resend at most every
minute and 3 times in all.

When the ID number already has an e-ID the caller sees exactly the same answers, but
the SMS to the phone says that an account exists and how to recover it in person, and
no code can ever match: the page never tells whether a number is registered.
"""

from __future__ import annotations

import datetime
import hmac
import secrets
import uuid

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from nentang.identity.models import Account, PendingRegistration, Person
from nentang.identity.services.common import Errors
from nentang.identity.services.people import (
    Residence,
    id_number_has_eid,
    person_create_registered,
    registration_checked,
)
from nentang.identity.services.sms import sms_sender
from nentang.identity.services.throttling import registration_attempt_reserve, source_address
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import RateLimited

CODE_LIFETIME = datetime.timedelta(minutes=10)
MAX_ATTEMPTS = 5
RESEND_AFTER = datetime.timedelta(minutes=1)
MAX_SENDS = 4  # the first message and 3 resends


def _code_hash(pending_id: uuid.UUID, code: str) -> str:
    return salted_hmac(
        "nentang.identity.registration.code", f"{pending_id}:{code}", algorithm="sha256"
    ).hexdigest()


def _message(pending: PendingRegistration, code: str) -> str:
    if pending.taken:
        return _(
            "nentang e-ID: someone tried to register an e-ID with your ID number, but an "
            "account already exists. If it is yours, log in; if you cannot, go with your "
            "citizen identity card to the police of your ward or commune or to a one-stop "
            "shop to recover it. No new account was created."
        )
    return _(
        "nentang e-ID: your code is %(code)s. It is valid for 10 minutes. Never give it to anyone."
    ) % {"code": code}


def _send(pending: PendingRegistration) -> None:
    """A fresh code (its hash stored), and the SMS. A taken registration gets the
    hash of a code that is never sent."""
    code = f"{secrets.randbelow(10**6):06d}"
    pending.code_hash = _code_hash(pending.id, code)
    sms_sender().send(to=pending.phone, text=_message(pending, code))


def registration_start(
    *,
    id_number: str,
    full_name: str,
    date_of_birth: datetime.date | None,
    sex: str,
    phone: str,
    password: str,
    residence: Residence,
    portrait: bytes | None,
    email: str = "",
    nationality: str = "VN",
    residence_card_number: str = "",
    source_ip: str | None = None,
    name_without_marks: bool = True,
) -> PendingRegistration:
    """Step 1 (see the module docstring). Returns the pending registration whose id the
    caller keeps (the web page in the session); the same for a taken ID number."""
    fields, (picture, extension) = registration_checked(
        id_number=id_number,
        full_name=full_name,
        date_of_birth=date_of_birth,
        sex=sex,
        phone=phone,
        password=password,
        residence=residence,
        portrait=portrait,
        email=email,
        nationality=nationality,
        residence_card_number=residence_card_number,
        name_without_marks=name_without_marks,
    )
    number = str(fields["id_number"])
    registration_attempt_reserve(id_number=number, source_ip=source_address(source_ip))
    taken = id_number_has_eid(number)
    now = timezone.now()
    stored = dict(fields)
    stored["date_of_birth"] = fields["date_of_birth"].isoformat()  # type: ignore[attr-defined]
    pending = PendingRegistration(
        fields=stored,
        # Argon2 either way, so a taken number costs the same time as a fresh one.
        password_hash=make_password(password),
        portrait=picture,
        portrait_extension=extension,
        phone=str(fields["phone"]),
        taken=taken,
        sent_at=now,
        expires_at=now + CODE_LIFETIME,
        created_at=now,
    )
    if taken:
        pending.fields = {}
        pending.portrait = b""
        pending.password_hash = make_password(None)  # unusable: nothing to keep
    _send(pending)
    with transaction.atomic():
        PendingRegistration.objects.filter(expires_at__lt=now).delete()
        pending.save(force_insert=True)
        auditing.record(
            actor=Actor.anonymous(),
            action="identity.registration.start",
            subject_type="identity.pending_registration",
            subject=str(pending.id),
            summary={"taken": taken, "foreigner": fields["nationality"] != "VN"},
        )
    return pending


def _code_error(message: str, code: str) -> Errors:
    errors = Errors()
    errors.add("code", message, code)
    return errors


def _usable(pending_id: uuid.UUID | str, now: datetime.datetime) -> PendingRegistration:
    pending = PendingRegistration.objects.filter(id=pending_id).first()
    if pending is None or pending.expires_at <= now:
        _code_error(
            _("This code has expired. Fill in the registration form again."), "expired"
        ).raise_if_any()
    assert pending is not None
    if pending.attempts >= MAX_ATTEMPTS:
        _code_error(
            _("Too many wrong codes. Fill in the registration form again."), "locked"
        ).raise_if_any()
    return pending


def registration_confirm(*, pending_id: uuid.UUID | str, code: str) -> Person:
    """Step 2: the right code creates the person and the account; a wrong one is a 422
    field error at ``code`` (the fifth locks the registration); an expired or unknown
    registration too. A taken registration answers a wrong code every time. The row is
    locked while the code is judged, so parallel guesses cannot pass 5 and one code
    creates one account."""
    now = timezone.now()
    _usable(pending_id, now)
    with transaction.atomic():
        locked = PendingRegistration.objects.select_for_update().filter(id=pending_id).first()
        pending = _usable(pending_id, now) if locked is None else locked
        if pending.attempts >= MAX_ATTEMPTS or pending.expires_at <= now:
            _usable(pending.id, now)
        typed = "".join(code.split())
        right = (
            len(typed) == 6
            and typed.isdigit()
            and hmac.compare_digest(pending.code_hash, _code_hash(pending.id, typed))
            and not pending.taken
        )
        if right:
            fields = dict(pending.fields)
            fields["date_of_birth"] = datetime.date.fromisoformat(str(fields["date_of_birth"]))
            account = Account(
                username=str(fields["id_number"]),
                kind=Account.Kind.PERSON,
                password=pending.password_hash,
            )
            person = person_create_registered(
                fields, (bytes(pending.portrait), pending.portrait_extension), account
            )
            pending.delete()
            return person
        pending.attempts += 1
        pending.save(update_fields=["attempts"])
        auditing.record(
            actor=Actor.anonymous(),
            action="identity.registration.wrong_code",
            subject_type="identity.pending_registration",
            subject=str(pending.id),
            summary={"attempts": pending.attempts},
        )
    left = MAX_ATTEMPTS - pending.attempts
    if left <= 0:
        auditing.security_event(
            kind="registration.code_locked",
            outcome="denied",
            severity="low",
            actor=Actor.anonymous(),
            subject=str(pending.id),
            detail={"attempts": pending.attempts},
        )
    if left <= 0:
        message = _("Too many wrong codes. Fill in the registration form again.")
    else:
        message = _("This code is not right. You can try %(left)d more times.") % {"left": left}
    _code_error(message, "wrong_code").raise_if_any()
    raise AssertionError("unreachable")


def registration_resend(*, pending_id: uuid.UUID | str) -> PendingRegistration:
    """A new code (the old one stops working), at most once a minute and 3 times in all:
    429 ``rate_limited`` else. The same for a taken registration."""
    now = timezone.now()
    _usable(pending_id, now)
    with transaction.atomic():
        locked = PendingRegistration.objects.select_for_update().filter(id=pending_id).first()
        pending = _usable(pending_id, now) if locked is None else locked
        wait = (pending.sent_at + RESEND_AFTER - now).total_seconds()
        if pending.sends >= MAX_SENDS or wait > 0:
            raise RateLimited(
                _("A new code can be sent in a minute; at most 3 times."),
                retry_after=max(int(wait) + 1, 1) if pending.sends < MAX_SENDS else None,
            )
        _send(pending)
        pending.sends += 1
        pending.sent_at = now
        pending.save(update_fields=["code_hash", "sends", "sent_at"])
        auditing.record(
            actor=Actor.anonymous(),
            action="identity.registration.resend",
            subject_type="identity.pending_registration",
            subject=str(pending.id),
            summary={"sends": pending.sends},
        )
    return pending


def pending_registration_phone(pending_id: uuid.UUID | str) -> str:
    """The phone a pending registration's code went to, or "" (for the page's hint)."""
    pending = PendingRegistration.objects.filter(id=pending_id).first()
    return pending.phone if pending else ""
