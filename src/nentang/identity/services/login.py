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

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from nentang.audit.services import pseudonym
from nentang.identity.models import (
    Account,
    AccountLockEvent,
    AccountSession,
    LoginFailure,
    LoginThrottle,
    Passkey,
    TotpDevice,
)
from nentang.identity.problems import (
    ACCOUNT_INACTIVE,
    ACCOUNT_LOCKED,
    INVALID_CREDENTIALS,
    LOGIN_LOCKED_OUT,
    LOGIN_RATE_LIMITED,
)
from nentang.identity.services.common import actor_for
from nentang.identity.services.notices import security_notice
from nentang.identity.services.responses import address_block_wait
from nentang.identity.services.throttling import (
    login_key,
    source_address,
    throttle_row,
    wait_message,
    window_wait,
)
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Forbidden, ProblemError, RateLimited, Unauthorized
from nentang.kernel.throttle import refusal_to_report


@dataclass(frozen=True)
class LoginPolicy:
    """Thresholds of throttling and lockout.

    10 consecutive failures per login: NIST SP 800-63B §5.2.2 allows up to 100; ASVS
    5.0 sets no number. 10 keeps a typo-prone citizen well clear of a lockout while an
    online guesser gets 10 tries per 15 minutes, then 10 per 30, 60 … minutes.
    20 failures per address in 10 minutes stops password spraying across many logins
    from one address while leaving room for a shared address (an office behind NAT).
    5 consecutive wrong second-factor codes lock the login out the same way; they are
    counted apart from passwords and only a right code ends them (a right password does
    not: issue 8 item 3). A guesser who holds the password gets 5 codes of a million
    (3 accepted at a time) per lockout: RFC 4226 §7.3 asks for such a limit.
    """

    account_failures: int = 10
    factor_failures: int = 5
    lockout_base: timedelta = timedelta(minutes=15)
    lockout_max: timedelta = timedelta(hours=24)
    address_failures: int = 20
    address_window: timedelta = timedelta(minutes=10)
    keep_failures: timedelta = timedelta(days=1)


POLICY = LoginPolicy()


class LoginThrottled(RateLimited):
    """429: too many failures for this login or from this address; ``Retry-After``.
    The kernel's ``RateLimited`` with the login's own codes (``login_locked_out``,
    ``login_rate_limited``) and ``retry_after`` in the body."""

    code = LOGIN_LOCKED_OUT

    def __init__(self, detail: str, *, code: str, retry_after: int) -> None:
        ProblemError.__init__(
            self,
            detail,
            code=code,
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )
        self.retry_after = retry_after


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


def _address_wait(source_ip: str, now: datetime) -> int:
    """Seconds until this address may try again (0: it may), from the failures (and
    attempts in flight) recorded for it in the window."""
    return window_wait(
        LoginFailure.objects.filter(source_ip=source_ip),
        now,
        POLICY.address_failures,
        POLICY.address_window,
    )


def _lockout_length(lockouts: int) -> timedelta:
    length: timedelta = POLICY.lockout_base * (2 ** max(0, lockouts - 1))
    return min(length, POLICY.lockout_max)


def _minutes(lockouts: int) -> int:
    return int(_lockout_length(lockouts).total_seconds() // 60)


def _address_lock_key(source_ip: str) -> str:
    """The key of the row that serialises the attempts of one address (a mutex row in
    the same table; 64 characters like a login key, never equal to one)."""
    digest = salted_hmac("nentang.identity.address", source_ip, algorithm="sha256").hexdigest()
    return "address:" + digest[:56]


@dataclass(frozen=True)
class Attempt:
    """A reserved login attempt: counted before the password is checked, so that parallel
    attempts cannot all pass a check made before any of them failed."""

    login: str
    key: str
    source_ip: str | None
    channel: str
    address_row: int | None  # the LoginFailure row reserved for the address, if any
    factor: bool = False  # a second-factor code, counted apart from passwords


def _address_refused(
    *, login: str, source_ip: str | None, channel: str, wait: int
) -> LoginThrottled:
    refused = refusal_to_report("identity.login.address", source_ip or "")
    if refused:  # a flood of refused attempts: one event per period, with its count
        _event(
            "ratelimit.hit",
            outcome="denied",
            severity="low",
            source_ip=source_ip,
            login=login,
            detail={"channel": channel, "scope": "address", "refused": refused},
        )
    return LoginThrottled(
        _("Too many failed logins from your network.") + " " + wait_message(wait),
        code=LOGIN_RATE_LIMITED,
        retry_after=wait,
    )


def _login_refused(*, login: str, source_ip: str | None, channel: str, wait: int) -> LoginThrottled:
    _event(
        "auth.failure",
        outcome="failure",
        severity="low",
        source_ip=source_ip,
        login=login,
        detail={"channel": channel, "reason": "locked_out"},
    )
    return LoginThrottled(
        _("Too many wrong passwords for this login.") + " " + wait_message(wait),
        code=LOGIN_LOCKED_OUT,
        retry_after=wait,
    )


def login_attempt_reserve(
    *, login: str, source_ip: str | None, channel: str, factor: bool = False
) -> Attempt:
    """Count an attempt against the address and the login *before* the password is
    checked, atomically on both databases; raise 429 when either is spent.

    * Address: under a lock of the address's row, the failures (and attempts in flight)
      of the window are counted and this attempt's ``LoginFailure`` row added, so
      however many run in parallel, no more than the limit pass.
    * Login: a conditional ``UPDATE … SET failures = failures + 1 WHERE failures <
      limit AND not locked out``: the database serialises it on the row, so no more
      than the limit of attempts are ever evaluated before the lockout.

    A login that names no account has its row like any other (no user enumeration).
    """
    now = timezone.now()
    key = login_key(login)
    address_row = None
    blocked = address_block_wait(source_ip, now)  # a security operator's block (SOC)
    if blocked:
        raise _address_refused(login=login, source_ip=source_ip, channel=channel, wait=blocked)
    if source_ip is not None:
        lock_key = _address_lock_key(source_ip)
        with transaction.atomic():
            # One attempt of this address at a time counts and reserves (a row lock on
            # PostgreSQL; SQLite's IMMEDIATE transactions queue every writer anyway).
            if not LoginThrottle.objects.filter(login_key=lock_key).update(updated_at=now):
                throttle_row(lock_key, now)
                LoginThrottle.objects.filter(login_key=lock_key).update(updated_at=now)
            wait = _address_wait(source_ip, now)
            if not wait:
                address_row = LoginFailure.objects.create(
                    occurred_at=now, source_ip=source_ip, login_key=key
                ).pk
        if wait:
            # Refused before anything was tried: not a failure of its own (the window
            # ends when the failures that filled it leave it).
            raise _address_refused(login=login, source_ip=source_ip, channel=channel, wait=wait)
    throttle_row(key, now)
    counter, limit = _counter(factor)
    reserved = (
        LoginThrottle.objects.filter(login_key=key, **{f"{counter}__lt": limit})
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .update(**{counter: F(counter) + 1}, updated_at=now)
    )
    if not reserved:
        # Locked out (or every allowed attempt is in flight). The same answer whether an
        # account has this login or not; still a failure of the address: spraying
        # locked-out logins is spraying.
        row = LoginThrottle.objects.get(login_key=key)
        if row.locked_until is not None and row.locked_until > now:
            wait = math.ceil((row.locked_until - now).total_seconds())
        else:
            wait = math.ceil(_lockout_length(row.lockouts + 1).total_seconds())
        raise _login_refused(login=login, source_ip=source_ip, channel=channel, wait=wait)
    return Attempt(
        login=login,
        key=key,
        source_ip=source_ip,
        channel=channel,
        address_row=address_row,
        factor=factor,
    )


def _counter(factor: bool) -> tuple[str, int]:
    """The column and limit of a password attempt or of a second-factor code."""
    if factor:
        return "factor_failures", POLICY.factor_failures
    return "failures", POLICY.account_failures


def login_attempt_failed(attempt: Attempt, *, account: Account | None, reason: str) -> None:
    """The reserved attempt failed: it stays counted; at the limit, lock the login out
    (each lockout twice as long as the one before, until a successful login)."""
    now = timezone.now()
    with transaction.atomic():
        LoginFailure.objects.filter(occurred_at__lt=now - POLICY.keep_failures).delete()
        LoginThrottle.objects.filter(updated_at__lt=now - POLICY.keep_failures).filter(
            Q(locked_until__isnull=True) | Q(locked_until__lt=now)
        ).exclude(login_key=attempt.key).delete()
        _event(
            "auth.failure",
            outcome="failure",
            severity="low",
            source_ip=attempt.source_ip,
            login=attempt.login,
            detail={"channel": attempt.channel, "reason": reason},
        )
        row = LoginThrottle.objects.select_for_update().get(login_key=attempt.key)
        counter, limit = _counter(attempt.factor)
        if getattr(row, counter) >= limit and not (
            row.locked_until is not None and row.locked_until > now
        ):
            _lock_out(row, now, account=account, attempt=attempt)
        if attempt.source_ip is None:
            # No address row was reserved: keep the failure for the per-login window.
            LoginFailure.objects.create(occurred_at=now, source_ip=None, login_key=attempt.key)
        else:
            _address_filled(attempt, now)


def _lock_out(
    row: LoginThrottle, now: datetime, *, account: Account | None, attempt: Attempt
) -> None:
    row.lockouts += 1
    row.failures = row.factor_failures = 0
    row.locked_until = now + _lockout_length(row.lockouts)
    row.updated_at = now
    row.save()
    if account is not None:
        auditing.record(
            actor=Actor.system("identity.login"),
            action="identity.account.lockout",
            subject_type="identity.account",
            subject=str(account.pk),
            summary={"lockouts": row.lockouts, "minutes": _minutes(row.lockouts)},
        )
    _event(
        "auth.lockout",
        outcome="locked",
        severity="medium",
        source_ip=attempt.source_ip,
        login=attempt.login,
        detail={
            "channel": attempt.channel,
            "scope": "login",
            "until": row.locked_until.isoformat(),
        },
    )


def _address_filled(attempt: Attempt, now: datetime) -> None:
    if attempt.source_ip is None:
        return
    count = LoginFailure.objects.filter(
        source_ip=attempt.source_ip, occurred_at__gte=now - POLICY.address_window
    ).count()
    if count == POLICY.address_failures:
        _event(
            "auth.lockout",
            outcome="throttled",
            severity="medium",
            source_ip=attempt.source_ip,
            login=attempt.login,
            detail={"channel": attempt.channel, "scope": "address"},
        )


def login_attempt_succeeded(attempt: Attempt, *, complete: bool) -> int:
    """The password (or the code) was right: the reservation is not a failure (the
    address row goes) and the password failures start again from zero. Only a
    ``complete`` login — the right code, or a password when no second factor is to come
    — also clears the second-factor failures and the lockout escalation: a right
    password alone never resets the code count. Returns the failures before."""
    if attempt.address_row is not None:
        LoginFailure.objects.filter(pk=attempt.address_row).delete()
    now = timezone.now()
    with transaction.atomic():
        row = LoginThrottle.objects.select_for_update().get(login_key=attempt.key)
        counter, _limit = _counter(attempt.factor)
        before = max(0, int(getattr(row, counter)) - 1)  # this attempt was counted too
        row.failures = 0
        if complete or attempt.factor:
            row.factor_failures, row.lockouts, row.locked_until = 0, 0, None
        row.updated_at = now
        row.save()
    return before


def login_failure_record(
    *,
    login: str,
    account: Account | None,
    source_ip: str | None,
    channel: str,
    reason: str,
) -> None:
    """Count a failure that was not reserved (a refused passkey assertion) against the
    login and the address; lock the login out at the threshold."""
    now = timezone.now()
    key = login_key(login)
    throttle_row(key, now)
    with transaction.atomic():
        row_id = None
        if source_ip is not None:
            row_id = LoginFailure.objects.create(
                occurred_at=now, source_ip=source_ip, login_key=key
            ).pk
        LoginThrottle.objects.filter(login_key=key).update(
            failures=F("failures") + 1, updated_at=now
        )
    login_attempt_failed(
        Attempt(login=login, key=key, source_ip=source_ip, channel=channel, address_row=row_id),
        account=account,
        reason=reason,
    )


def login_refusal_if_throttled(
    *, login: str, account: Account | None, source_ip: str | None, channel: str
) -> None:
    """Raise 429 when the address or the login is throttled (for steps that reserve
    nothing themselves: a passkey assertion)."""
    now = timezone.now()
    if source_ip is not None:
        wait = _address_wait(source_ip, now)
        if wait:
            raise _address_refused(login=login, source_ip=source_ip, channel=channel, wait=wait)
    row = LoginThrottle.objects.filter(login_key=login_key(login)).first()
    if row is not None and row.locked_until is not None and row.locked_until > now:
        wait = math.ceil((row.locked_until - now).total_seconds())
        with transaction.atomic():
            LoginFailure.objects.create(
                occurred_at=now, source_ip=source_ip, login_key=login_key(login)
            )
        raise _login_refused(login=login, source_ip=source_ip, channel=channel, wait=wait)


def login_lockout_until(account: Account) -> datetime | None:
    """When the temporary lockout of this account's login ends (None: not locked out)."""
    row = LoginThrottle.objects.filter(login_key=login_key(account.username)).first()
    if row is None or row.locked_until is None or row.locked_until <= timezone.now():
        return None
    return row.locked_until


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
    attempt = login_attempt_reserve(login=login, source_ip=address, channel=channel)
    account = Account.objects.filter(username=login).first() if login else None
    if account is None:
        # Cost an unknown login what a wrong password costs (no user enumeration by time).
        make_password(password)
        verified = False
    else:
        verified = account.check_password(password)
    if not verified:
        login_attempt_failed(
            attempt, account=account, reason="wrong_password" if account else "unknown_login"
        )
        raise Unauthorized(_("The login or the password is wrong."), code=INVALID_CREDENTIALS)
    assert account is not None
    after_failures = login_attempt_succeeded(attempt, complete=not _has_second_factor(account))
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
            raise _locked(account)
        raise Forbidden(_("This account is disabled and cannot log in."), code=ACCOUNT_INACTIVE)
    _success_event(
        account=account,
        login=login,
        source_ip=address,
        channel=channel,
        after_failures=after_failures,
    )
    return account


def _locked(account: Account) -> Forbidden:
    """The refusal of a locked e-ID, saying where to go: the agency whose officer locked
    it, with its address (issue 9); the ward or commune police otherwise."""
    event = (
        AccountLockEvent.objects.filter(account=account, action=AccountLockEvent.Action.LOCK)
        .select_related("by_officer__agency")
        .order_by("-at", "-id")
        .first()
    )
    agency = event.by_officer.agency if event and event.by_officer else None
    extra = {"lock_reason": account.lock_reason}
    if agency is None:
        text = _(
            "This electronic identification account is locked and cannot log in. "
            "To unlock it, go to the police of your ward or commune."
        )
    elif agency.address:
        text = _(
            "This electronic identification account was locked by %(agency)s and cannot log "
            "in. To unlock it, go there in person with your identity card: %(address)s."
        ) % {"agency": agency.name, "address": agency.address}
        extra |= {"agency": agency.name, "agency_address": agency.address}
    else:
        text = _(
            "This electronic identification account was locked by %(agency)s and cannot log "
            "in. To unlock it, go there in person with your identity card."
        ) % {"agency": agency.name}
        extra |= {"agency": agency.name}
    return Forbidden(text, code=ACCOUNT_LOCKED, extra=extra)


def _has_second_factor(account: Account) -> bool:
    return (
        TotpDevice.objects.filter(account=account, confirmed_at__isnull=False).exists()
        or Passkey.objects.filter(account=account).exists()
    )


def login_success_record(
    *, account: Account, login: str, source_ip: str | None, channel: str
) -> None:
    """A complete login without a password step (a passkey): the login's failures and
    lockout escalation start again; report the success when it looks suspicious."""
    now = timezone.now()
    key = login_key(login)
    row = LoginThrottle.objects.filter(login_key=key).first()
    after_failures = row.failures if row is not None else 0
    if row is not None and (
        row.failures or row.factor_failures or row.lockouts or row.locked_until
    ):
        LoginThrottle.objects.filter(login_key=key).update(
            failures=0, factor_failures=0, lockouts=0, locked_until=None, updated_at=now
        )
    _success_event(
        account=account,
        login=login,
        source_ip=source_ip,
        channel=channel,
        after_failures=after_failures,
    )


def _success_event(
    *, account: Account, login: str, source_ip: str | None, channel: str, after_failures: int
) -> None:
    """Report a success when it looks suspicious: after failures of this login or from
    this address, or from an address this account has never signed in from."""
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
    if new_address and AccountSession.objects.filter(account=account).exists():
        # Not the first login ever: tell the holder (ASVS 5.0 V6.3.5).
        security_notice(account=account, kind="new_sign_in")
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
