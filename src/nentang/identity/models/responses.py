from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class AddressBlock(models.Model):
    """A network address refused at every login for a time: a security operator's
    response to an alert (issue 9), with the reason, lifted early or when it ends."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    address = models.GenericIPAddressField()
    reason = models.CharField(max_length=2000)
    alert = models.CharField(max_length=64, blank=True, default="", help_text="Alert id.")
    blocked_by = models.CharField(max_length=150)
    created_at = models.DateTimeField()
    until = models.DateTimeField()
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.CharField(max_length=150, blank=True, default="")
    lift_reason = models.CharField(max_length=2000, blank=True, default="")

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["address", "until"], name="addressblock_addr_idx")]
        permissions = [
            (
                "respond_to_alerts",
                "Can block addresses and lock accounts in response to security alerts",
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} until {self.until:%Y-%m-%d %H:%M}"
