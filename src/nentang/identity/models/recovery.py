"""Getting back into an account without an officer: online password recovery and the
backup codes of the second factor (issue 9, "Citizens")."""

from __future__ import annotations

from django.db import models

from nentang.identity.models.accounts import Account
from nentang.kernel.ids import new_id


class AccountRecovery(models.Model):
    """One online recovery request (ID number + date of birth + the phone on record).

    Every request is kept for a day, matched or not, so that requests are counted per
    source address and per ID number (``id_key``, a keyed hash) whatever they named.
    Only a request whose three answers match a person's e-ID has an ``account`` and
    gets a code by SMS; the page says the same in every case (no enumeration). The
    code is kept as a keyed hash; ``completed_at`` is set when it was used."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="recoveries"
    )
    id_key = models.CharField(max_length=64)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    phone = models.CharField(max_length=16, blank=True, default="")
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    occurred_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["source_ip", "occurred_at"], name="recovery_ip_idx"),
            models.Index(fields=["id_key", "occurred_at"], name="recovery_id_idx"),
        ]

    def __str__(self) -> str:
        return f"recovery {self.id}"


class BackupCode(models.Model):
    """A single-use backup code of the second factor, kept as a keyed hash: the person
    saw the codes once, when they were made. A new set replaces the old one."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="backup_codes")
    code_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"backup code of {self.account_id}"
