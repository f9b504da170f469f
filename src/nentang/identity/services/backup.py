"""Backup codes of the second factor: ten single-use codes, shown once, for the day
the authenticator app or the passkey is lost (ASVS 5.0 V6.5: look-up secrets).

A code is 10 characters from an alphabet without look-alikes (about 49 bits), kept as
a keyed hash. Using one counts exactly like an authenticator code: reserved before it
is checked, 5 wrong ones lock the login out (``LoginPolicy.factor_failures``). Each
code works once: a conditional UPDATE marks it used, so two parallel logins with the
same code cannot both pass. A new set replaces the old one; making a set needs a
second factor, and waits out the cooling-off period after an online recovery.
"""

from __future__ import annotations

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from nentang.identity.models import Account, BackupCode
from nentang.identity.problems import TOTP_NOT_ENROLLED
from nentang.identity.services.common import Errors, actor_for
from nentang.identity.services.factors import requires_second_factor
from nentang.identity.services.login import (
    login_attempt_failed,
    login_attempt_reserve,
    login_attempt_succeeded,
)
from nentang.identity.services.notices import security_notice
from nentang.identity.services.recovery import security_change_check
from nentang.identity.services.throttling import source_address
from nentang.kernel import auditing
from nentang.kernel.errors import Conflict

COUNT = 10
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"  # no 0/o, 1/l/i
LENGTH = 10


def _normalised(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:64]


def _hash(account: Account, code: str) -> str:
    return salted_hmac(
        "nentang.identity.backup_code", f"{account.pk}:{_normalised(code)}", algorithm="sha256"
    ).hexdigest()


def backup_codes_make(*, actor: Account) -> list[str]:
    """A new set of :data:`COUNT` codes for the holder's own account (the old set stops
    working), returned once for display as ``xxxxx-xxxxx``. 409 when the account has
    no second factor to back up, or within the cooling-off period after a recovery."""
    if not requires_second_factor(actor):
        raise Conflict(
            _("Turn on an authenticator app or add a passkey first: backup codes stand in for it."),
            code=TOTP_NOT_ENROLLED,
        )
    security_change_check(actor)
    codes = ["".join(secrets.choice(ALPHABET) for _ in range(LENGTH)) for _ in range(COUNT)]
    now = timezone.now()
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=actor.pk).first()
        BackupCode.objects.filter(account=actor).delete()
        BackupCode.objects.bulk_create(
            [
                BackupCode(account=actor, code_hash=_hash(actor, code), created_at=now)
                for code in codes
            ]
        )
        auditing.record(
            actor=actor_for(actor),
            action="identity.backup_codes.make",
            subject_type="identity.account",
            subject=str(actor.pk),
            summary={"codes": COUNT},
        )
        security_notice(account=actor, kind="backup_codes_made", at=now)
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def backup_codes_left(*, account: Account) -> int:
    return BackupCode.objects.filter(account=account, used_at__isnull=True).count()


def backup_code_use(
    *, account: Account, code: str, source_ip: str | None = None, channel: str = "web"
) -> int:
    """Accept one unused backup code of ``account`` as its second factor; returns how
    many are left. A wrong or used code is a 422 at ``backup_code`` and counts as a
    failed second factor (429 once the login is locked out)."""
    address = source_address(source_ip)
    attempt = login_attempt_reserve(
        login=account.username, source_ip=address, channel=channel, factor=True
    )
    now = timezone.now()
    used = 0
    if len(_normalised(code)) == LENGTH:
        used = BackupCode.objects.filter(
            account=account, code_hash=_hash(account, code), used_at__isnull=True
        ).update(used_at=now)
    if not used:
        login_attempt_failed(attempt, account=account, reason="wrong_backup_code")
        errors = Errors()
        errors.add(
            "backup_code",
            _("This backup code is not right, or it was used already."),
            "invalid_code",
        )
        errors.raise_if_any()
    login_attempt_succeeded(attempt, complete=True)
    left = backup_codes_left(account=account)
    with transaction.atomic():
        auditing.record(
            actor=actor_for(account),
            action="identity.backup_code.use",
            subject_type="identity.account",
            subject=str(account.pk),
            summary={"left": left},
        )
        security_notice(account=account, kind="backup_code_used", at=now)
    return left
