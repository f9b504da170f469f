"""Turning the authenticator app (TOTP) off, which ``services.factors`` does not offer
yet: the holder proves they still hold it with a current code, then it is removed."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from nentang.identity.models import Account, TotpDevice
from nentang.identity.problems import TOTP_NOT_ENROLLED
from nentang.identity.services import second_factor_removal_check, totp_verify
from nentang.identity.services.common import actor_for
from nentang.identity.services.notices import security_notice
from nentang.identity.services.recovery import security_change_check
from nentang.kernel import auditing
from nentang.kernel.errors import Conflict


def totp_disable(*, actor: Account, code: str, source_ip: str | None) -> None:
    """Remove the holder's confirmed authenticator app after checking a current code
    from it (a wrong code counts as a failed login, as in ``totp_verify``)."""
    if not TotpDevice.objects.filter(account=actor, confirmed_at__isnull=False).exists():
        raise Conflict(_("This account has no authenticator app."), code=TOTP_NOT_ENROLLED)
    security_change_check(actor)
    totp_verify(account=actor, code=code, source_ip=source_ip)
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=actor.pk).first()  # one removal at a time
        second_factor_removal_check(actor, removing="totp")
        TotpDevice.objects.filter(account=actor).delete()
        auditing.record(
            actor=actor_for(actor),
            action="identity.totp.disable",
            subject_type="identity.account",
            subject=str(actor.pk),
        )
        security_notice(account=actor, kind="second_factor_removed")


def totp_state(*, account: Account) -> str:
    """``none``, ``pending`` (set up, not confirmed) or ``active``."""
    device = TotpDevice.objects.filter(account=account).only("confirmed_at").first()
    if device is None:
        return "none"
    return "active" if device.confirmed_at is not None else "pending"
