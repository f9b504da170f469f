from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models

from nentang.kernel.ids import new_id


class AccountManager(BaseUserManager["Account"]):
    use_in_migrations = True

    def create_user(self, username: str, password: str | None = None, **extra: Any) -> Account:
        if not username:
            raise ValueError("an account needs a login")
        account = self.model(username=username, **extra)
        account.set_password(password)
        account.save(using=self._db)
        return account

    def create_superuser(self, username: str, password: str | None = None, **extra: Any) -> Account:
        extra.setdefault("kind", Account.Kind.STAFF)
        extra.update(is_staff=True, is_superuser=True)
        return self.create_user(username, password, **extra)


class Account(AbstractBaseUser, PermissionsMixin):
    """A login: a person's e-ID account (login = personal ID number), an organisation's
    e-ID account (login = tax code), or a staff account (officers, operators).

    ``locked_at`` is the e-ID lock of Decree 69/2024 (holder request, officer action, ID
    revoked, deceased): a locked account cannot log in or obtain tokens. The temporary
    lockout after repeated wrong passwords (OWASP ASVS V6) is not here but in
    :class:`LoginThrottle`, kept per login typed, so that it works the same for a login
    that names no account.
    """

    class Kind(models.TextChoices):
        PERSON = "person", "Person"
        ORGANISATION = "organisation", "Organisation"
        STAFF = "staff", "Staff"

    class LockReason(models.TextChoices):
        HOLDER_REQUEST = "holder_request", "Holder request"
        OFFICER_ACTION = "officer_action", "Officer action"
        SUSPECTED_MISUSE = "suspected_misuse", "Suspected misuse"
        TERMS_BREACH = "terms_breach", "Breach of the terms of use"
        ID_REVOKED = "id_revoked", "Identification revoked"
        DECEASED = "deceased", "Holder deceased"
        SECURITY_INCIDENT = "security_incident", "Security incident (SOC)"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    username = models.CharField(max_length=150, unique=True)
    kind = models.CharField(max_length=16, choices=Kind.choices, default=Kind.PERSON)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    lock_reason = models.CharField(max_length=20, choices=LockReason.choices, blank=True)
    recovered_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Last online password recovery: security changes wait a cooling-off period.",
    )

    objects: ClassVar[AccountManager] = AccountManager()

    USERNAME_FIELD = "username"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.username

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class AccountLockEvent(models.Model):
    """History of locks and unlocks: who, when, why."""

    class Action(models.TextChoices):
        LOCK = "lock", "Lock"
        UNLOCK = "unlock", "Unlock"

    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="lock_events")
    action = models.CharField(max_length=8, choices=Action.choices)
    reason = models.CharField(max_length=20, choices=Account.LockReason.choices, blank=True)
    note = models.CharField(max_length=500, blank=True, default="")
    by_officer = models.ForeignKey(
        "identity.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    by_holder = models.BooleanField(default=False)
    by_operator = models.CharField(
        max_length=150, blank=True, default="", help_text="Security operator's login (SOC)."
    )
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.account_id} {self.action} {self.at:%Y-%m-%d}"


class LoginFailure(models.Model):
    """One failed login, kept for a day: counted per source address (throttling) and
    per login typed (``login_key``, a keyed hash), so that a login naming no account is
    throttled exactly like one that does and the answer never tells them apart."""

    occurred_at = models.DateTimeField()
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    login_key = models.CharField(max_length=64)

    class Meta:
        indexes = [
            models.Index(fields=["source_ip", "occurred_at"], name="loginfailure_ip_idx"),
            models.Index(fields=["login_key", "occurred_at"], name="loginfailure_login_idx"),
            models.Index(fields=["occurred_at"], name="loginfailure_time_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.source_ip} {self.occurred_at:%Y-%m-%d %H:%M}"


class LoginThrottle(models.Model):
    """Failures and lockout of one login as typed (``login_key``, a keyed hash), whether
    an account has it or not: the answers never tell (no user enumeration).

    ``failures`` counts consecutive failed attempts, reserved *before* the password is
    checked (a conditional UPDATE that parallel attempts cannot all pass); at the limit
    the login is locked out until ``locked_until``, each lockout (``lockouts`` since the
    last complete login) twice as long as the one before.
    """

    login_key = models.CharField(max_length=64, primary_key=True)
    failures = models.PositiveIntegerField(default=0)
    # Consecutive wrong second-factor codes: only a right code ends them (a right
    # password does not), and at their own limit the login is locked out the same way.
    factor_failures = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveSmallIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.login_key[:12]}… {self.failures} failures"


class AccountSession(models.Model):
    """A signed-in browser session, listed on the account page ("sign out everywhere")."""

    session_key = models.CharField(max_length=40, unique=True)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="sessions")
    created_at = models.DateTimeField()
    last_seen_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True, default="")
    second_factor = models.CharField(max_length=16, blank=True, default="")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at"]

    def __str__(self) -> str:
        return f"{self.account_id} since {self.created_at:%Y-%m-%d %H:%M}"


class TotpDevice(models.Model):
    """A TOTP second factor (RFC 6238). ``last_step`` refuses reuse of a code."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="totp")
    secret = models.CharField(max_length=64)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    last_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"TOTP of {self.account_id}"


class Passkey(models.Model):
    """A WebAuthn credential: the phishing-resistant factor."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="passkeys")
    credential_id = models.BinaryField(max_length=1023, unique=True)
    public_key = models.BinaryField(max_length=2048)
    sign_count = models.BigIntegerField(default=0)
    transports = models.JSONField(default=list)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_id})"
