"""Second factors: TOTP (RFC 6238, with pyotp) and the per-session second-factor flag.

A code is accepted within one time step either side (clock drift), and each time step
at most once (``TotpDevice.last_step`` only moves forward, by a conditional UPDATE that
two concurrent requests cannot both win). A wrong code counts as a failed login, so
guessing six digits meets the same lockout as guessing a password.

Level-2 actions may require a second factor: :func:`requires_second_factor` says
whether an account has one to present, and the view asks for it when
:func:`second_factor_satisfied` is false for the session, then calls
:func:`second_factor_mark` after :func:`totp_verify` succeeded.
"""

from __future__ import annotations

import hmac
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

import pyotp
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, Passkey, TotpDevice
from nentang.identity.problems import (
    SECOND_FACTOR_MANDATORY,
    SECOND_FACTOR_REQUIRED,
    TOTP_ALREADY_ENROLLED,
    TOTP_NOT_ENROLLED,
)
from nentang.identity.services.common import Errors, actor_for
from nentang.identity.services.login import (
    login_attempt_failed,
    login_attempt_reserve,
    login_attempt_succeeded,
)
from nentang.identity.services.notices import security_notice
from nentang.identity.services.recovery import security_change_check
from nentang.identity.services.sessions import session_second_factor_mark
from nentang.identity.services.throttling import source_address
from nentang.kernel import auditing
from nentang.kernel.errors import Conflict, Forbidden

ISSUER = "nentang"
VALID_WINDOW = 1  # time steps accepted either side of now
SESSION_FLAG = "identity.second_factor"


@dataclass(frozen=True)
class TotpEnrolment:
    """What the account page shows once: the secret and its otpauth:// URI (QR code)."""

    secret: str
    provisioning_uri: str


def totp_enrol(*, actor: Account) -> TotpEnrolment:
    """Start setting up an authenticator app: a new secret, unconfirmed until a first
    code is entered (:func:`totp_confirm`). Replaces an unconfirmed one. Refused during
    the cooling-off period after an online recovery."""
    security_change_check(actor)
    secret = pyotp.random_base32()
    with transaction.atomic():
        device = TotpDevice.objects.select_for_update().filter(account=actor).first()
        if device is not None and device.confirmed_at is not None:
            raise Conflict(
                _("An authenticator app is already set up for this account."),
                code=TOTP_ALREADY_ENROLLED,
            )
        TotpDevice.objects.update_or_create(
            account=actor,
            defaults={"secret": secret, "confirmed_at": None, "last_step": 0},
            create_defaults={
                "secret": secret,
                "confirmed_at": None,
                "last_step": 0,
                "created_at": timezone.now(),
            },
        )
        auditing.record(
            actor=actor_for(actor),
            action="identity.totp.enrol",
            subject_type="identity.account",
            subject=str(actor.pk),
        )
    uri = pyotp.TOTP(secret).provisioning_uri(name=actor.username, issuer_name=ISSUER)
    return TotpEnrolment(secret=secret, provisioning_uri=uri)


def _matching_step(secret: str, code: str) -> int | None:
    text = "".join((code or "").split())
    if len(text) != 6 or not (text.isascii() and text.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(timezone.now())
    for step in range(now_step - VALID_WINDOW, now_step + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), text):
            return step
    return None


def _use_step(device: TotpDevice, step: int) -> bool:
    """Consume ``step`` unless it (or a later one) was used already."""
    return bool(TotpDevice.objects.filter(pk=device.pk, last_step__lt=step).update(last_step=step))


def totp_confirm(*, actor: Account, code: str) -> None:
    """Finish setting up the authenticator app with its first code."""
    device = TotpDevice.objects.filter(account=actor, confirmed_at__isnull=True).first()
    if device is None:
        raise Conflict(_("Start setting up an authenticator app first."), code=TOTP_NOT_ENROLLED)
    step = _matching_step(device.secret, code)
    errors = Errors()
    if step is None:
        errors.add("code", _("This code is not the one your app shows now."), "invalid_code")
        errors.raise_if_any()
    assert step is not None
    with transaction.atomic():
        if not _use_step(device, step):
            errors.add(
                "code", _("This code was used already; wait for the next one."), "code_reused"
            )
            errors.raise_if_any()
        TotpDevice.objects.filter(pk=device.pk).update(confirmed_at=timezone.now())
        auditing.record(
            actor=actor_for(actor),
            action="identity.totp.confirm",
            subject_type="identity.account",
            subject=str(actor.pk),
        )
        security_notice(account=actor, kind="second_factor_added")


def totp_verify(
    *, account: Account, code: str, source_ip: str | None = None, channel: str = "web"
) -> None:
    """Check a code from the account's confirmed authenticator app, as a second factor.

    A wrong code counts against the login like a wrong password, in its own count that
    a right password does not reset (5 lock the login out, see ``LoginPolicy``); a
    code already used (same or earlier time step) is refused (RFC 6238 §5.2). Raises
    422 with a field error on ``code``, 409 ``totp_not_enrolled`` or 429.
    """
    address = source_address(source_ip)
    device = TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).first()
    if device is None:
        raise Conflict(_("This account has no authenticator app."), code=TOTP_NOT_ENROLLED)
    # Counted before the code is checked, apart from passwords (issue 8 item 3).
    attempt = login_attempt_reserve(
        login=account.username, source_ip=address, channel=channel, factor=True
    )
    errors = Errors()
    step = _matching_step(device.secret, code)
    if step is None:
        login_attempt_failed(attempt, account=account, reason="wrong_code")
        errors.add("code", _("This code is not the one your app shows now."), "invalid_code")
        errors.raise_if_any()
    assert step is not None
    if not _use_step(device, step):
        login_attempt_failed(attempt, account=account, reason="reused_code")
        errors.add("code", _("This code was used already; wait for the next one."), "code_reused")
        errors.raise_if_any()
    login_attempt_succeeded(attempt, complete=True)


def requires_second_factor(account: Account) -> bool:
    """Does this account have a second factor to present (a confirmed authenticator
    app or a passkey)? Then level-2 actions and officer actions ask for it."""
    return (
        TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).exists()
        or Passkey.objects.filter(account=account).exists()
    )


def second_factor_mandatory(account: Account) -> bool:
    """Must this account present a second factor at every login? Staff accounts do:
    officers (postal workers included), security operators and administrators — any
    account of the staff kind, with Django's staff flag or superuser. Their first login
    after creation goes to setting one up (the staff middleware allows nothing else)."""
    return bool(account.kind == Account.Kind.STAFF or account.is_staff or account.is_superuser)


def second_factor_removal_check(account: Account, *, removing: str) -> None:
    """409 ``second_factor_mandatory`` when ``removing`` (``totp`` or ``passkey``) would
    leave a staff account without any second factor. Call inside the removal's
    transaction, after locking what is removed."""
    if not second_factor_mandatory(account):
        return
    totp = TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).exists()
    passkeys = Passkey.objects.filter(account=account).count()
    left = (passkeys if removing == "totp" else passkeys - 1) + (
        0 if removing == "totp" else int(totp)
    )
    if left <= 0:
        raise Conflict(
            _(
                "A staff account must keep a second factor: add another passkey or an "
                "authenticator app before removing this one."
            ),
            code=SECOND_FACTOR_MANDATORY,
        )


def second_factor_mark(
    session: MutableMapping[str, Any], *, method: str, session_key: str | None = None
) -> None:
    """Flag a session as having passed the second factor (``totp`` or ``passkey``)."""
    session[SESSION_FLAG] = method
    if session_key:
        session_second_factor_mark(session_key=session_key, method=method)


def second_factor_satisfied(session: MutableMapping[str, Any]) -> bool:
    return bool(session.get(SESSION_FLAG))


def second_factor_require(account: Account, session: MutableMapping[str, Any]) -> None:
    """403 ``second_factor_required`` when the account has a second factor and this
    session has not presented it."""
    if requires_second_factor(account) and not second_factor_satisfied(session):
        raise Forbidden(
            _("Confirm with your authenticator app or passkey first."),
            code=SECOND_FACTOR_REQUIRED,
        )
