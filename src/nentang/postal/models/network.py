"""The postal network: post offices, sorting centres and the staff who scan there."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Facility(models.Model):
    """A post office (bưu cục), a sorting centre (trung tâm khai thác) or a delivery office.

    The public tracking page shows only the facility's province ("city"): never its
    street address, and never who scanned there.
    """

    class Kind(models.TextChoices):
        POST_OFFICE = "post_office", "Post office"
        SORTING_CENTRE = "sorting_centre", "Sorting centre"
        DELIVERY_OFFICE = "delivery_office", "Delivery office"

    code = models.SlugField(max_length=40, primary_key=True)
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    ward_code = models.CharField(max_length=5)
    province_code = models.CharField(max_length=2)
    city = models.CharField(max_length=100, help_text="Province name shown to the public.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]
        verbose_name_plural = "facilities"

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class PostalWorker(models.Model):
    """An e-ID staff account that may scan and deliver for one facility."""

    account = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="postal_worker"
    )
    facility = models.ForeignKey(Facility, on_delete=models.PROTECT, related_name="workers")
    full_name = models.CharField(max_length=150)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.full_name} @ {self.facility_id}"
