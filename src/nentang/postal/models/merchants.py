"""Merchants (shops that ship through the API) and their cash-on-delivery remittances."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from nentang.kernel.ids import new_id


class Merchant(models.Model):
    """A shop shipping parcels through the merchant API with its OIDC machine client."""

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    tax_code = models.CharField(max_length=14, help_text="10 digits, or 10 + '-NNN'.")
    organisation_id = models.UUIDField(
        null=True, blank=True, help_text="Public id of the organisation's e-ID, if any."
    )
    client_id = models.CharField(
        max_length=100, unique=True, help_text="OIDC client (client_credentials) of its API."
    )
    phone = models.CharField(max_length=16)
    pickup_line = models.CharField(max_length=200)
    pickup_ward_code = models.CharField(max_length=5)
    pickup_province_code = models.CharField(max_length=2)
    remittance_days = models.PositiveSmallIntegerField(
        default=1, help_text="COD collected is remitted every N days."
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def webhook_owner(self) -> str:
        return f"postal.merchant:{self.id}"


class CodRemittance(models.Model):
    """Cash collected on delivery for one merchant, remitted in one transfer."""

    class Status(models.TextChoices):
        PENDING = "pending", "To remit"
        PAID = "paid", "Remitted"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="remittances")
    amount = models.BigIntegerField()
    shipment_count = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    reference = models.CharField(max_length=100, blank=True, default="")
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["merchant", "-created_at"], name="postal_remit_merchant")]

    def __str__(self) -> str:
        return f"{self.amount} ₫ ({self.shipment_count} shipments)"


class MerchantStaff(models.Model):
    """An account of a merchant's staff: sees the merchant's parcels, its cash on delivery
    and its remittance reports on the merchant page (``/post/merchant``)."""

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="merchant_staff"
    )
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="staff")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "merchant"], name="postal_merchant_staff")
        ]
        verbose_name_plural = "merchant staff"

    def __str__(self) -> str:
        return f"{self.account_id} @ {self.merchant_id}"
