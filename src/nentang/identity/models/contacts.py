"""The holder changing the phone or e-mail of their e-ID online (issue 9, "Citizens")."""

from __future__ import annotations

from django.db import models

from nentang.identity.models.accounts import Account
from nentang.kernel.ids import new_id


class ContactChange(models.Model):
    """One request to change the mobile phone or the e-mail of a person's e-ID.

    A 6-digit code goes to the *new* contact; the code is kept as a keyed hash. When
    the new contact already belongs to another e-ID (``taken``) the message there says
    so and no code can match: the holder's page is the same either way (no
    enumeration). Requests are kept for a day so that they can be counted per account;
    ``completed_at`` is set when the code switched the contact."""

    class Kind(models.TextChoices):
        PHONE = "phone", "phone"
        EMAIL = "email", "e-mail"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="contact_changes")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    value = models.CharField(max_length=254)
    taken = models.BooleanField(default=False)
    code_hash = models.CharField(max_length=64)
    attempts = models.PositiveSmallIntegerField(default=0)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["account", "occurred_at"], name="contact_change_account_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} change {self.id}"
