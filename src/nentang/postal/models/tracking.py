"""Tracking events (EMSEVT-style codes) and proofs of delivery."""

from __future__ import annotations

from django.db import models


class TrackingEvent(models.Model):
    """One scan or status event of a shipment.

    Idempotent by (shipment, code, occurred_at, facility): the same scan sent twice is
    stored once. Events are applied in ``occurred_at`` order whatever order they arrive
    in; one that would make an impossible transition (anything after delivery, a
    delivery after a return …) is stored with ``flag`` set and does not change the
    status. The append-heavy table of this context: a big integer key, and the
    shipment id leads its index (the distribution key on the scale-out path).
    """

    id = models.BigAutoField(primary_key=True)
    # No index of its own: the unique (shipment, code, occurred_at, facility) index leads
    # with it (one index fewer to write per event).
    shipment = models.ForeignKey(
        "postal.Shipment", on_delete=models.CASCADE, related_name="events", db_index=False
    )
    code = models.CharField(max_length=3)
    occurred_at = models.DateTimeField()
    facility_code = models.CharField(max_length=40, blank=True, default="")
    actor = models.CharField(max_length=120)
    reason = models.CharField(max_length=40, blank=True, default="")
    next_attempt_on = models.DateField(null=True, blank=True)
    flag = models.CharField(max_length=40, blank=True, default="")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shipment", "code", "occurred_at", "facility_code"],
                name="postal_event_once",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.occurred_at:%Y-%m-%d %H:%M}"


class DeliveryProof(models.Model):
    """How a delivery was proven: the recipient's name plus an OTP sent to their phone,
    or plus a signature image."""

    class Method(models.TextChoices):
        OTP = "otp", "One-time code sent to the recipient"
        SIGNATURE = "signature", "Signature"

    shipment = models.OneToOneField(
        "postal.Shipment", on_delete=models.CASCADE, related_name="proof"
    )
    method = models.CharField(max_length=10, choices=Method.choices)
    received_by = models.CharField(max_length=150)
    signature_png = models.BinaryField(null=True, blank=True)
    worker = models.CharField(max_length=64, help_text="Account id of the postal worker.")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.method} {self.recorded_at:%Y-%m-%d %H:%M}"


class DeliveryOtp(models.Model):
    """A one-time code sent to the recipient's phone at the door (stored as a digest)."""

    shipment = models.ForeignKey("postal.Shipment", on_delete=models.CASCADE, related_name="otps")
    digest = models.CharField(max_length=64)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["shipment", "-created_at"], name="postal_otp_latest")]

    def __str__(self) -> str:
        return f"code until {self.expires_at:%H:%M}"
