"""Password login with throttling and lockout (OWASP ASVS 5.0 V6.3, level 2).

Every login of the platform — the web pages, Django's admin, the OpenID Connect
provider's login page — goes through :func:`login_authenticate` (via
``nentang.identity.auth.AccountBackend``). Rules, in this order:

1. **Per source address**: ``address_failures`` failed logins from one address within
   ``address_window`` refuse further attempts from it (429 ``login_rate_limited``,
   ``Retry-After``) until the oldest of them leaves the window.
2. **Per login**: ``account_failures`` consecutive failures lock the login out for
   ``lockout_base``, doubling with each further lockout (up to ``lockout_max``) until a
   successful login (429 ``login_locked_out``, ``Retry-After``). A login that names no
   account is counted and locked out exactly the same way, from the failures recorded
   for it, so the answers never tell whether an account exists (no user enumeration);
   an unknown login also costs one Argon2 hash, like a wrong password.
3. The password is checked; only then are the e-ID lock (403 ``account_locked``) and a
   disabled account (403 ``account_inactive``) told apart — a distinct message only for
   whoever knows the password.

Each failure, lockout and suspicious success (after failures, or from an address the
account never used) is a security event (``auth.failure``, ``auth.lockout``,
``auth.success``) that the SOC's brute-force rules see. Logins appear there only as a
keyed pseudonym, never in clear.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from nentang.audit.services import pseudonym
from nentang.identity.models import Account, AccountSession, LoginFailure
from nentang.identity.problems import (
    ACCOUNT_INACTIVE,
    ACCOUNT_LOCKED,
    INVALID_CREDENTIALS,
    LOGIN_LOCKED_OUT,
    LOGIN_RATE_LIMITED,
)
from nentang.identity.services.common import actor_for
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Forbidden, ProblemError, Unauthorized


@dataclass(frozen=True)
class LoginPolicy:
    """Thresholds of throttling and lockout.

    10 consecutive failures per login: NIST SP 800-63B §5.2.2 allows up to 100; ASVS
    5.0 sets no number. 10 keeps a typo-prone citizen well clear of a lockout while an
    online guesser gets 10 tries per 15 minutes, then 10 per 30, 60 … minutes.
    20 failures per address in 10 minutes stops password spraying across many logins
    from one address while leaving room for a shared address (an office behind NAT).
    """

    account_failures: int = 10
    lockout_base: timedelta = timedelta(minutes=15)
    lockout_max: timedelta = timedelta(hours=24)
    address_failures: int = 20
    address_window: timedelta = timedelta(minutes=10)
    keep_failures: timedelta = timedelta(days=1)


POLICY = LoginPolicy()


class LoginThrottled(ProblemError):
    """429: too many failures for this login or from this address; ``Retry-After``."""

    status = 429
    code = LOGIN_LOCKED_OUT

    def __init__(self, detail: str, *, code: str, retry_after: int) -> None:
        super().__init__(
            detail,
            code=code,
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after


def source_address(value: str | None) -> str | None:
    """A valid IP address (IPv4-mapped IPv6 folded to IPv4), or None."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def login_key(login: str) -> str:
    """Keyed hash of a login as typed: throttling state without storing logins."""
    return salted_hmac("nentang.identity.login", login.strip(), algorithm="sha256").hexdigest()


def _wait_message(seconds: int) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return ngettext(
        "Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes
    ) % {"minutes": minutes}


def _event(
    kind: str,
    *,
    outcome: str,
    severity: str,
    source_ip: str | None,
    login: str,
    actor: Actor | None = None,
    detail: dict[str, object] | None = None,
) -> None:
    auditing.security_event(
        kind=kind,
        outcome=outcome,
        severity=severity,
        source_ip=source_ip,
        actor=actor or Actor.anonymous(),
        subject=pseudonym(login.strip()) if login.strip() else "",
        detail=detail or {},
    )


def _address_refusal(source_ip: str | None, now: datetime) -> int:
    """Seconds until this address may try again, or 0."""
    if source_ip is None:
        return 0
    window_start = now - POLICY.address_window
    recent = (
        LoginFailure.objects.filter(source_ip=source_ip, occurred_at__gte=window_start)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)[: POLICY.address_failures]
    )
    times = list(recent)
    if len(times) < POLICY.address_failures:
        return 0
    return max(1, math.ceil((times[-1] + POLICY.address_window - now).total_seconds()))


def _unknown_login_lockout(key: str, now: datetime) -> int:
    """Seconds an unknown login stays locked out, mirroring an account's first lockout."""
    times = list(
        LoginFailure.objects.filter(login_key=key, occurred_at__gte=now - POLICY.lockout_base)
        .order_by("-occurred_at")
        .values_list("occurred_at", flat=True)[: POLICY.account_failures]
    )
    if len(times) < POLICY.account_failures:
        return 0
    return max(1, math.ceil((times[0] + POLICY.lockout_base - now).total_seconds()))


def _lockout_length(lockouts: int) -> timedelta:
    length: timedelta = POLICY.lockout_base * (2 ** max(0, lockouts - 1))
    return min(length, POLICY.lockout_max)


def login_failure_record(
    *,
    login: str,
    account: Account | None,
    source_ip: str | None,
    channel: str,
    reason: str,
) -> None:
    """Count a failure (wrong password, wrong second-factor code) against the login and
    the address; lock the login out at the threshold. Commits on its own: the caller's
    refusal must not roll the count back."""
    now = timezone.now()
    key = login_key(login)
    with transaction.atomic():
        LoginFailure.objects.create(occurred_at=now, source_ip=source_ip, login_key=key)
        LoginFailure.objects.filter(occurred_at__lt=now - POLICY.keep_failures).delete()
        _event(
            "auth.failure",
            outcome="failure",
            severity="low",
            source_ip=source_ip,
            login=login,
            detail={"channel": channel, "reason": reason},
        )
        locked_until = None
        if account is not None:
            row = Account.objects.select_for_update().get(pk=account.pk)
            row.failed_logins += 1
            fields = ["failed_logins"]
            if row.failed_logins >= POLICY.account_failures:
                row.lockouts += 1
                row.failed_logins = 0
                row.lockout_until = locked_until = now + _lockout_length(row.lockouts)
                fields += ["lockouts", "lockout_until"]
                auditing.record(
                    actor=Actor.system("identity.login"),
                    action="identity.account.lockout",
                    subject_type="identity.account",
                    subject=str(row.pk),
                    summary={"lockouts": row.lockouts, "minutes": _minutes(row.lockouts)},
                )
            row.save(update_fields=fields)
            account.failed_logins, account.lockout_until = row.failed_logins, row.lockout_until
        elif _unknown_login_lockout(key, now):
            locked_until = now + POLICY.lockout_base
        if locked_until is not None:
            _event(
                "auth.lockout",
                outcome="locked",
                severity="medium",
                source_ip=source_ip,
                login=login,
                detail={"channel": channel, "scope": "login", "until": locked_until.isoformat()},
            )
        if source_ip is not None:
            count = LoginFailure.objects.filter(
                source_ip=source_ip, occurred_at__gte=now - POLICY.address_window
            ).count()
            if count == POLICY.address_failures:
                _event(
                    "auth.lockout",
                    outcome="throttled",
                    severity="medium",
                    source_ip=source_ip,
                    login=login,
                    detail={"channel": channel, "scope": "address"},
                )


def _minutes(lockouts: int) -> int:
    return int(_lockout_length(lockouts).total_seconds() // 60)


def login_refusal_if_throttled(
    *, login: str, account: Account | None, source_ip: str | None, channel: str
) -> None:
    """Raise 429 when the address or the login is throttled (see the module docstring)."""
    now = timezone.now()
    wait = _address_refusal(source_ip, now)
    if wait:
        _event(
            "ratelimit.hit",
            outcome="denied",
            severity="low",
            source_ip=source_ip,
            login=login,
            detail={"channel": channel, "scope": "address"},
        )
        raise LoginThrottled(
            _("Too many failed logins from your network.") + " " + _wait_message(wait),
            code=LOGIN_RATE_LIMITED,
            retry_after=wait,
        )
    if account is not None:
        until = account.lockout_until
        wait = math.ceil((until - now).total_seconds()) if until and until > now else 0
    else:
        wait = _unknown_login_lockout(login_key(login), now)
    if wait:
        with transaction.atomic():
            # Still a failure of this address: spraying locked-out logins is spraying.
            LoginFailure.objects.create(
                occurred_at=now, source_ip=source_ip, login_key=login_key(login)
            )
            _event(
                "auth.failure",
                outcome="failure",
                severity="low",
                source_ip=source_ip,
                login=login,
                detail={"channel": channel, "reason": "locked_out"},
            )
        raise LoginThrottled(
            _("Too many wrong passwords for this login.") + " " + _wait_message(wait),
            code=LOGIN_LOCKED_OUT,
            retry_after=wait,
        )


def login_authenticate(
    *, login: str, password: str, source_ip: str | None, channel: str = "web"
) -> Account:
    """Check a login (personal ID number, tax code or staff login) and its password.

    Returns the account, or raises: 429 ``login_rate_limited`` / ``login_locked_out``
    (with ``Retry-After``), 401 ``invalid_credentials`` (unknown login or wrong
    password, one message for both), 403 ``account_locked`` or ``account_inactive``
    (only after the right password). See the module docstring for the rules.
    """
    login = (login or "").strip()
    address = source_address(source_ip)
    account = Account.objects.filter(username=login).first() if login else None
    login_refusal_if_throttled(login=login, account=account, source_ip=address, channel=channel)
    if account is None:
        # Cost an unknown login what a wrong password costs (no user enumeration by time).
        make_password(password)
        verified = False
    else:
        verified = account.check_password(password)
    if not verified:
        login_failure_record(
            login=login,
            account=account,
            source_ip=address,
            channel=channel,
            reason="wrong_password" if account else "unknown_login",
        )
        raise Unauthorized(_("The login or the password is wrong."), code=INVALID_CREDENTIALS)
    assert account is not None
    if account.is_locked or not account.is_active:
        _event(
            "auth.failure",
            outcome="denied",
            severity="medium",
            source_ip=address,
            login=login,
            actor=actor_for(account),
            detail={"channel": channel, "reason": "locked" if account.is_locked else "inactive"},
        )
        if account.is_locked:
            raise Forbidden(
                _(
                    "This electronic identification account is locked and cannot log in. "
                    "To unlock it, go to the police of your ward or commune."
                ),
                code=ACCOUNT_LOCKED,
            )
        raise Forbidden(_("This account is disabled and cannot log in."), code=ACCOUNT_INACTIVE)
    login_success_record(account=account, login=login, source_ip=address, channel=channel)
    return account


def login_success_record(
    *, account: Account, login: str, source_ip: str | None, channel: str
) -> None:
    """Reset the failure count; report the success when it looks suspicious: after
    failures of this login or from this address, or from an address this account has
    never signed in from."""
    after_failures = account.failed_logins
    address_failures = (
        LoginFailure.objects.filter(
            source_ip=source_ip, occurred_at__gte=timezone.now() - POLICY.address_window
        ).exists()
        if source_ip is not None
        else False
    )
    new_address = source_ip is not None and not (
        AccountSession.objects.filter(account=account, ip_address=source_ip).exists()
    )
    if after_failures or account.lockouts or account.lockout_until:
        Account.objects.filter(pk=account.pk).update(
            failed_logins=0, lockouts=0, lockout_until=None
        )
        account.failed_logins, account.lockouts, account.lockout_until = 0, 0, None
    if after_failures or address_failures or new_address:
        _event(
            "auth.success",
            outcome="success",
            severity="low" if after_failures or address_failures else "info",
            source_ip=source_ip,
            login=login,
            actor=actor_for(account),
            detail={
                "channel": channel,
                "after_failures": after_failures,
                "address_failures": address_failures,
                "new_address": new_address,
            },
        )
