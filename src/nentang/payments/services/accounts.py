"""Ledger accounts: open (idempotent per code), the system accounts opened on first
use, and freeze / unfreeze / close with a reason (audited)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, ValidationFailed
from nentang.payments.models import Account, AccountKind
from nentang.payments.problems import ACCOUNT_CLOSED, ACCOUNT_NOT_EMPTY

SYSTEM_ACCOUNTS = {
    "system:cash-float": "Tiền mặt tại đại lý (quỹ hệ thống)",
    "system:bank-settlement": "Tài khoản thanh toán ngân hàng",
    "system:fee-revenue": "Doanh thu phí",
    "system:cod-clearing": "Thu hộ COD chờ đối soát",
}


def account_open(
    *,
    actor: Actor,
    code: str,
    kind: str,
    name: str,
    owner: str = "",
) -> Account:
    """Open an account (idempotent per ``code``: an existing one is returned). System
    accounts may go negative; every other kind may not spend more than it received."""
    if kind not in AccountKind.values:
        raise ValidationFailed(errors=[FieldError("kind", _("Unknown account kind."))])
    with transaction.atomic():
        account, created = Account.objects.get_or_create(
            code=code,
            defaults={
                "kind": kind,
                "name": name,
                "owner": owner,
                "debits_must_not_exceed_credits": kind != AccountKind.SYSTEM,
                "created_at": timezone.now(),
            },
        )
        if created:
            auditing.record(
                actor=actor,
                action="payments.account.open",
                subject_type="payments.account",
                subject=str(account.public_id),
                summary={"code": code, "kind": kind},
            )
    return account


def system_account(code: str) -> Account:
    """A system account by code, opened on first use."""
    account = Account.objects.filter(code=code).first()
    if account is not None:
        return account
    return account_open(
        actor=Actor.system("payments"),
        code=code,
        kind=AccountKind.SYSTEM,
        name=SYSTEM_ACCOUNTS.get(code, code),
    )


def account_set_status(*, actor: Actor, account: Account, status: str, reason: str) -> Account:
    """Freeze, unfreeze or close an account. Closing needs a zero balance and nothing
    pending; a closed account never reopens."""
    if status not in Account.Status.values:
        raise ValidationFailed(errors=[FieldError("status", _("Unknown status."))])
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.status == Account.Status.CLOSED:
            raise Conflict(_("This account is closed."), code=ACCOUNT_CLOSED)
        if status == Account.Status.CLOSED and (
            locked.balance != 0 or locked.debits_pending or locked.credits_pending
        ):
            raise Conflict(
                _("Only an account with a zero balance and nothing pending can be closed."),
                code=ACCOUNT_NOT_EMPTY,
            )
        previous = locked.status
        locked.status = status
        locked.save(update_fields=["status"])
        auditing.record(
            actor=actor,
            action="payments.account.status",
            subject_type="payments.account",
            subject=str(locked.public_id),
            summary={"from": previous, "to": status, "reason": reason[:200]},
        )
    return locked


def account_owner_set(*, actor: Actor, account: Account, owner: str) -> Account:
    """Hand a merchant or agent account to who operates it on its page
    (``person:<id>`` or ``organisation:<id>``); the same owner again changes nothing."""
    with transaction.atomic():
        locked = Account.objects.select_for_update().get(pk=account.pk)
        if locked.owner == owner:
            return locked
        previous = locked.owner
        locked.owner = owner
        locked.save(update_fields=["owner"])
        auditing.record(
            actor=actor,
            action="payments.account.owner",
            subject_type="payments.account",
            subject=str(locked.public_id),
            summary={"from": previous, "to": owner},
        )
    return locked
