from __future__ import annotations

from django.db import models


class Agency(models.Model):
    """A state agency tied to an administrative unit: "UBND phường Sài Gòn", a provincial
    Department of Justice, a ward police station …"""

    class Kind(models.TextChoices):
        PEOPLES_COMMITTEE = "peoples_committee", "People's Committee"
        DEPARTMENT = "department", "Department"
        POLICE = "police", "Police"
        SOCIAL_INSURANCE = "social_insurance", "Social insurance"
        OTHER = "other", "Other"

    code = models.SlugField(max_length=60, primary_key=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    province_code = models.CharField(max_length=2)
    commune_code = models.CharField(max_length=5, blank=True, default="")
    address = models.CharField(
        max_length=250,
        blank=True,
        default="",
        help_text="Where people go in person: told to a citizen whose e-ID it locked.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name


class Officer(models.Model):
    """A staff account acting for an agency, with roles checked by the services."""

    class Role(models.TextChoices):
        ENROLMENT = "enrolment", "Enrolment officer (verifies to level 2)"
        IDENTITY_ADMIN = "identity_admin", "Identity administrator (locks, unlocks)"
        RECEPTION = "reception", "One-stop-shop reception"
        PROCESSING = "processing", "Dossier processing"
        APPROVAL = "approval", "Approval"

    account = models.OneToOneField(
        "identity.Account", on_delete=models.PROTECT, related_name="officer"
    )
    agency = models.ForeignKey(Agency, on_delete=models.PROTECT, related_name="officers")
    full_name = models.CharField(max_length=150)
    title = models.CharField(max_length=150, blank=True, default="")
    roles = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["agency_id", "full_name"]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.agency_id})"

    def has_role(self, role: str) -> bool:
        return self.is_active and role in self.roles
