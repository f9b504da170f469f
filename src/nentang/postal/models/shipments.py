"""Shipments and the counters their UPU S10 identifiers are drawn from."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from nentang.kernel.ids import new_id


class S10Counter(models.Model):
    """The next serial of one service indicator (``EE``, ``CP`` …): 8 digits per cycle.

    Serials are drawn with a row lock (``select_for_update``) and ``F()`` so that two
    concurrent creations never get the same one. When the 10⁸ serials of a cycle are
    spent, the next cycle starts, and a serial is used again only if its previous item
    is more than 12 months old (UPU S10: no reuse within 12 months).
    """

    indicator = models.CharField(max_length=2, primary_key=True)
    next_serial = models.PositiveIntegerField(default=0)
    cycle = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.indicator} {self.next_serial:08d} (cycle {self.cycle})"


class Service(models.TextChoices):
    EXPRESS = "express", _("Express (EMS)")
    STANDARD = "standard", _("Standard parcel")
    ECOMMERCE = "ecommerce", _("E-commerce parcel")


class Status(models.TextChoices):
    """The common tracker vocabulary (EasyPost, AfterShip), plus ``cancelled``."""

    PRE_TRANSIT = "pre_transit", _("Label created")
    IN_TRANSIT = "in_transit", _("In transit")
    OUT_FOR_DELIVERY = "out_for_delivery", _("Out for delivery")
    AVAILABLE_FOR_PICKUP = "available_for_pickup", _("Available for pickup")
    DELIVERED = "delivered", _("Delivered")
    RETURN_TO_SENDER = "return_to_sender", _("Returned to sender")
    FAILURE = "failure", _("Delivery attempt failed")
    CANCELLED = "cancelled", _("Cancelled")


class CodStatus(models.TextChoices):
    NONE = "none", _("No COD")
    PENDING = "pending", _("To collect on delivery")
    COLLECTED = "collected", _("Collected, to remit")
    REMITTED = "remitted", _("Remitted to the merchant")
    VOIDED = "voided", _("Voided (not delivered)")


class Shipment(models.Model):
    """One parcel or letter, from its label to its delivery or return.

    ``status`` is derived from the tracking events (``services.tracking``), never set
    by hand. Personal data (Law 91/2025, basic): names, phones and street lines of the
    sender and recipient — shown to the merchant who created the shipment and to postal
    staff, never on the public tracking page.
    """

    Service = Service
    Status = Status
    CodStatus = CodStatus

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    s10 = models.CharField(max_length=13, help_text="UPU S10 item identifier, e.g. EE473124829VN.")
    s10_cycle = models.PositiveIntegerField(default=0)
    # No index of its own: ``postal_ship_merchant`` (merchant, -created_at, -id) leads
    # with it and serves every look-up by merchant.
    merchant = models.ForeignKey(
        "postal.Merchant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
        db_index=False,
    )
    client_order_code = models.CharField(max_length=50, blank=True, default="")
    dossier_reference = models.CharField(max_length=40, blank=True, default="")
    service = models.CharField(max_length=12, choices=Service.choices)
    status = models.CharField(max_length=24, choices=Status.choices, default=Status.PRE_TRANSIT)

    sender_name = models.CharField(max_length=150)
    sender_phone = models.CharField(max_length=16)
    sender_line = models.CharField(max_length=200)
    sender_ward_code = models.CharField(max_length=5)
    sender_province_code = models.CharField(max_length=2)

    recipient_name = models.CharField(max_length=150)
    recipient_phone = models.CharField(max_length=16)
    recipient_line = models.CharField(max_length=200)
    recipient_ward_code = models.CharField(max_length=5)
    recipient_ward_name = models.CharField(max_length=120)
    recipient_province_code = models.CharField(max_length=2)
    recipient_province_name = models.CharField(max_length=100)
    recipient_postal_code = models.CharField(max_length=5)
    recipient_digital_code = models.CharField(max_length=24, blank=True, default="")

    weight_g = models.PositiveIntegerField()
    length_cm = models.PositiveSmallIntegerField()
    width_cm = models.PositiveSmallIntegerField()
    height_cm = models.PositiveSmallIntegerField()
    declared_value = models.BigIntegerField(default=0)
    insured = models.BooleanField(default=False)
    note = models.CharField(max_length=300, blank=True, default="")

    fee_shipping = models.BigIntegerField()
    fee_insurance = models.BigIntegerField(default=0)
    fee_cod = models.BigIntegerField(default=0)
    fee_total = models.BigIntegerField()
    zone = models.CharField(max_length=20)

    cod_amount = models.BigIntegerField(default=0)
    cod_status = models.CharField(max_length=10, choices=CodStatus.choices, default=CodStatus.NONE)
    cod_collected_at = models.DateTimeField(null=True, blank=True)
    cod_remittance = models.ForeignKey(
        "postal.CodRemittance",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="shipments",
    )

    created_at = models.DateTimeField()
    created_by = models.CharField(max_length=120, help_text="Actor that created it.")
    promised_by = models.DateField(help_text="Delivery date promised by the service.")
    picked_up_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    returned_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_event_at = models.DateTimeField(null=True, blank=True)
    flagged_events = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["s10", "s10_cycle"], name="postal_shipment_s10"),
            models.UniqueConstraint(
                fields=["merchant", "client_order_code"],
                condition=~Q(client_order_code=""),
                name="postal_shipment_client_order",
            ),
        ]
        # By S10 alone: the unique (s10, s10_cycle) index serves it.
        indexes = [
            # A merchant's list, newest first (keyset order: created_at, id).
            models.Index(fields=["merchant", "-created_at", "-id"], name="postal_ship_merchant"),
            models.Index(fields=["dossier_reference"], name="postal_ship_dossier"),
            models.Index(fields=["cod_status", "merchant"], name="postal_ship_cod"),
        ]

    def __str__(self) -> str:
        return self.s10
