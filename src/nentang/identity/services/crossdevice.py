"""Cross-device login (issue 9), as VNeID does it: a browser shows a QR code; the
person's phone, already logged in, scans it, sees which browser and service ask, and
approves or refuses; the browser's session then starts.

* ``cross_device_start`` — the showing browser asks for a code: two random secrets, the
  code (in the QR code) and the browser secret (kept in that browser's session); only
  their digests are stored. Throttled per address. Lives ``LIFETIME``.
* ``cross_device_pending`` — what the phone shows before deciding.
* ``cross_device_decide`` — the logged-in phone approves or refuses (a person's
  account only: staff log in with their own second factor, never by a phone).
* ``cross_device_claim`` — the showing browser, proving its secret, takes the approved
  login once (one conditional UPDATE: single use under races).

Every decision and claim is in the audit log; the claim counts as a login (security
event and new-device notice, as a passkey login).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, CrossDeviceLogin
from nentang.identity.problems import CROSS_DEVICE_EXPIRED, CROSS_DEVICE_NOT_FOR_STAFF
from nentang.identity.services.common import actor_for
from nentang.identity.services.factors import second_factor_mandatory
from nentang.identity.services.login import login_success_record
from nentang.identity.services.responses import address_block_wait
from nentang.identity.services.throttling import source_address
from nentang.kernel import auditing
from nentang.kernel.errors import Conflict, Forbidden, NotFound, RateLimited
from nentang.kernel.throttle import throttle_take

LIFETIME = timedelta(minutes=2)
PER_ADDRESS = 20  # codes an address may ask for in WINDOW
WINDOW = timedelta(minutes=10)
KEEP = timedelta(days=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class CrossDeviceStart:
    login_id: uuid.UUID
    code: str  # goes into the QR code
    browser_secret: str  # stays in the showing browser's session
    expires_in: int


def cross_device_start(
    *, source_ip: str | None, user_agent: str, service: str = "", next_url: str = ""
) -> CrossDeviceStart:
    """A new code for the browser at ``source_ip``; 429 after ``PER_ADDRESS`` codes in
    ``WINDOW`` from one address, or from an address a security operator blocked."""
    now = timezone.now()
    address = source_address(source_ip)
    message = _("Too many QR codes were asked for from this network. Log in with your password.")
    blocked = address_block_wait(address, now)
    if blocked:
        raise RateLimited(message, retry_after=blocked)
    if address:  # counted in the kernel's throttle: parallel requests cannot all pass
        throttle_take(
            "identity.qr_login", address, limit=PER_ADDRESS, window=WINDOW,
            message=message, source_ip=address,
        )  # fmt: skip
    CrossDeviceLogin.objects.filter(expires_at__lt=now - KEEP).delete()
    code, browser = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    row = CrossDeviceLogin.objects.create(
        code_digest=_digest(code),
        browser_digest=_digest(browser),
        user_agent=(user_agent or "")[:300].replace("\x00", ""),
        source_ip=address,
        service=(service or "")[:200],
        next_url=(next_url or "")[:2000],
        created_at=now,
        expires_at=now + LIFETIME,
    )
    return CrossDeviceStart(row.id, code, browser, int(LIFETIME.total_seconds()))


def _waiting(code: str) -> CrossDeviceLogin:
    row = (
        CrossDeviceLogin.objects.filter(code_digest=_digest(code or "")).first()
        if code and len(code) <= 64 and "\x00" not in code
        else None
    )
    if row is None:
        raise NotFound(_("This QR code is not known. Scan the code on the screen again."))
    if row.state != CrossDeviceLogin.State.WAITING or row.expires_at <= timezone.now():
        raise Conflict(
            _("This QR code has expired or was used. Show a new one on the other screen."),
            code=CROSS_DEVICE_EXPIRED,
        )
    return row


def cross_device_pending(*, code: str) -> CrossDeviceLogin:
    """The waiting login a scanned code names (browser, address, service), or 404/409."""
    return _waiting(code)


def cross_device_allowed(account: Account) -> bool:
    """Only a person's account may approve a login from its phone: staff present their
    own second factor at every login, organisations log in with theirs."""
    return account.kind == Account.Kind.PERSON and not second_factor_mandatory(account)


def cross_device_decide(*, actor: Account, code: str, approve: bool) -> CrossDeviceLogin:
    """The logged-in phone of ``actor`` approves (or refuses) the login a code names."""
    if not cross_device_allowed(actor):
        raise Forbidden(
            _("Staff and organisation accounts log in with their password and second factor."),
            code=CROSS_DEVICE_NOT_FOR_STAFF,
        )
    row = _waiting(code)
    now = timezone.now()
    state = CrossDeviceLogin.State.APPROVED if approve else CrossDeviceLogin.State.REFUSED
    with transaction.atomic():
        changed = CrossDeviceLogin.objects.filter(
            pk=row.pk, state=CrossDeviceLogin.State.WAITING, expires_at__gt=now
        ).update(state=state, account=actor, decided_at=now)
        if not changed:
            raise Conflict(
                _("This QR code has expired or was used. Show a new one on the other screen."),
                code=CROSS_DEVICE_EXPIRED,
            )
        auditing.record(
            actor=actor_for(actor),
            action="identity.login.cross_device." + ("approve" if approve else "refuse"),
            subject_type="identity.cross_device_login",
            subject=str(row.pk),
            summary={"service": row.service},
        )
    row.refresh_from_db()
    return row


def cross_device_state(*, login_id: uuid.UUID, browser_secret: str) -> str:
    """What the showing browser sees while it waits: ``waiting``, ``approved``,
    ``refused`` or ``expired`` (a wrong secret looks expired: nothing to learn)."""
    row = CrossDeviceLogin.objects.filter(
        pk=login_id, browser_digest=_digest(browser_secret or "")
    ).first()
    if row is None or row.state == CrossDeviceLogin.State.CLAIMED:
        return "expired"
    if row.state == CrossDeviceLogin.State.WAITING and row.expires_at <= timezone.now():
        return "expired"
    return str(row.state)


def cross_device_claim(
    *, login_id: uuid.UUID, browser_secret: str, source_ip: str | None
) -> tuple[Account, str] | None:
    """The approved login for the browser holding ``browser_secret``, once: (account,
    where it was going), or None (not approved, expired, claimed, another browser)."""
    now = timezone.now()
    with transaction.atomic():
        claimed = CrossDeviceLogin.objects.filter(
            pk=login_id,
            browser_digest=_digest(browser_secret or ""),
            state=CrossDeviceLogin.State.APPROVED,
            claimed_at__isnull=True,
            decided_at__gt=now - LIFETIME,
        ).update(state=CrossDeviceLogin.State.CLAIMED, claimed_at=now)
        if not claimed:
            return None
        row = CrossDeviceLogin.objects.select_related("account").get(pk=login_id)
        account = row.account
        assert account is not None
        if account.is_locked or not account.is_active:
            return None
        auditing.record(
            actor=actor_for(account),
            action="identity.login.cross_device",
            subject_type="identity.cross_device_login",
            subject=str(row.pk),
            summary={"service": row.service},
        )
    login_success_record(
        account=account,
        login=account.get_username(),
        source_ip=source_address(source_ip),
        channel="cross_device",
    )
    return account, row.next_url
