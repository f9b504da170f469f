from __future__ import annotations

from django.db import models


class DataUsage(models.Model):
    """One use of a person's data — "my personal data usage" (GovStack), Law 91/2025.

    Officers' reads (which fields, for what purpose, which agency) and every release to a
    client (ID token, userinfo, token exchange) are recorded and shown to the person.
    """

    class Kind(models.TextChoices):
        OFFICER_READ = "officer_read", "Read by an officer"
        CLIENT_RELEASE = "client_release", "Released to a service"

    person = models.ForeignKey(
        "identity.Person", on_delete=models.CASCADE, related_name="data_usage"
    )
    occurred_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    fields = models.JSONField(default=list)
    purpose = models.CharField(max_length=300)
    officer = models.ForeignKey(
        "identity.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agency = models.ForeignKey(
        "identity.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    client_id = models.CharField(max_length=100, blank=True, default="")
    client_name = models.CharField(max_length=255, blank=True, default="")
    request_id = models.CharField(max_length=128, blank=True, default="")

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["person", "-occurred_at"], name="datausage_person_idx")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.occurred_at:%Y-%m-%d}"
