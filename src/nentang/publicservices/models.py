"""Tables of the publicservices context: receiving units and their daily receipt
counters, dossiers (the cached state of their action log) and the log itself."""

from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class ReceivingUnit(models.Model):
    """An agency's one-stop-shop unit and its identifier in receipt codes
    (Circular 01/2018/TT-VPCP, Art. 19: ``V1V2V3.Z1Z2.Y1Y2.MX1X2``, QCVN 102:2016)."""

    agency = models.OneToOneField(
        "identity.Agency", primary_key=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_code = models.CharField(max_length=13, unique=True)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.unit_code} ({self.agency_id})"


class ReceiptCounter(models.Model):
    """The last sequence number a unit gave on a day. Incremented under a row lock in
    the receiving transaction, so a rolled-back reception leaves no gap."""

    unit = models.ForeignKey(ReceivingUnit, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["unit", "day"], name="publicservices_counter_unit_day")
        ]

    def __str__(self) -> str:
        return f"{self.unit_id} {self.day}: {self.last}"


class Dossier(models.Model):
    """A dossier (hồ sơ): the cached state of its append-only action log."""

    class Delivery(models.TextChoices):
        ONLINE = "online", "Online"
        POST = "post", "By post"
        COUNTER = "counter", "At the counter"

    class Sla(models.TextChoices):
        NONE = "", "Open"
        EARLY = "early", "Early"
        ON_TIME = "on_time", "On time"
        LATE = "late", "Late"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    procedure_slug = models.CharField(max_length=60)
    procedure_version = models.PositiveSmallIntegerField()
    applicant = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    # The receiving agency (one-stop shop): its receipt code, its statistics, its result.
    agency = models.ForeignKey(
        "identity.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The agency working on the dossier now: the receiving one, or the one it was handed
    # off to (liên thông). Its officers' queue; the one whose officers may act.
    handler = models.ForeignKey(
        "identity.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    state = models.CharField(max_length=30)
    step_role = models.CharField(max_length=20, blank=True, default="")
    receipt_code = models.CharField(max_length=30, unique=True, null=True, blank=True)
    data = models.JSONField(default=dict)
    channel = models.CharField(max_length=10, default="online")
    result_delivery = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.ONLINE
    )
    fee_amount = models.PositiveIntegerField(default=0)
    fee_paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=64, blank=True, default="")
    supplement_count = models.PositiveSmallIntegerField(default=0)
    # Parts refused by partner agencies of an interconnected group (``refuse_part``): the
    # dossier goes on and may complete; the statistics count the refused parts apart.
    parts_refused = models.PositiveSmallIntegerField(default=0)
    assignee = models.ForeignKey(
        "identity.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    log_length = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(null=True, blank=True)
    due_date = models.DateField(null=True, blank=True)
    step_due_date = models.DateField(null=True, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    sla_outcome = models.CharField(max_length=8, choices=Sla.choices, blank=True, default="")
    # The written apology was made: the deadline was missed, whatever the new date.
    apologised_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            # The officer queue: an agency's dossiers waiting for a role, oldest due first.
            models.Index(
                fields=["handler", "step_role", "step_due_date", "id"], name="ps_dossier_queue"
            ),
            models.Index(fields=["applicant", "-created_at"], name="ps_dossier_applicant"),
            models.Index(fields=["agency", "received_at"], name="ps_dossier_agency_received"),
        ]

    def __str__(self) -> str:
        return self.receipt_code or str(self.id)


class DossierAction(models.Model):
    """One entry of a dossier's log: who did what, when, with what and why. Never
    updated or deleted; the dossier's state is the fold of these rows."""

    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="actions")
    seq = models.PositiveIntegerField()
    action = models.CharField(max_length=30)
    actor_type = models.CharField(max_length=10)
    actor_ref = models.CharField(max_length=64)
    officer = models.ForeignKey(
        "identity.Officer", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField()
    from_state = models.CharField(max_length=30)
    to_state = models.CharField(max_length=30)
    payload = models.JSONField(default=dict)
    reason = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["dossier", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["dossier", "seq"], name="publicservices_action_seq")
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id}#{self.seq} {self.action}"


class DossierFile(models.Model):
    """A file of a dossier, kept through Django's storage API under ``NENTANG_HOME``
    (never under the web root): a document the applicant uploaded, or the signed
    result. Its SHA-256 is recorded when it is stored."""

    class Kind(models.TextChoices):
        DOCUMENT = "document", "Uploaded document"
        RESULT = "result", "Signed result"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    dossier = models.ForeignKey(Dossier, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    # Which of the procedure's documents (its position in the catalogue file).
    document = models.PositiveSmallIntegerField(null=True, blank=True)
    name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=40)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    storage_name = models.CharField(max_length=255)
    # A paper reused from another of the applicant's dossiers: the same stored file.
    reused_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # A partner agency's own result (liên thông: the residence confirmation, the BHYT
    # card); empty for the receiving agency's result and for uploaded documents.
    issuer = models.ForeignKey(
        "identity.Agency", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["dossier", "kind"], name="ps_file_dossier_kind"),
            models.Index(fields=["sha256"], name="ps_file_sha256"),
        ]

    def __str__(self) -> str:
        return f"{self.dossier_id} {self.kind} {self.name}"


# The counters of a roll-up row, in the order ``services.statistics.counted`` gives them.
ROLLUP_COUNTERS = (
    "received",
    "finished",
    "early",
    "on_time",
    "late",
    "online",
    "paid_online",
    "electronic_result",
    "completed",
    "completed_microseconds",
    "parts_refused",
)


class DailyStatistics(models.Model):
    """The statistics' roll-up: per day of receipt (local date), agency and procedure,
    what ``selectors.service_statistics`` would count over those dossiers. Kept exact by
    ``services.statistics.rollup_apply`` in the transaction of every dossier action
    (the one place a dossier's row changes); ``statistics_rebuild`` recounts it."""

    day = models.DateField()
    agency = models.ForeignKey("identity.Agency", on_delete=models.PROTECT, related_name="+")
    procedure_slug = models.CharField(max_length=60)
    received = models.IntegerField(default=0)
    finished = models.IntegerField(default=0)
    early = models.IntegerField(default=0)
    on_time = models.IntegerField(default=0)
    late = models.IntegerField(default=0)
    online = models.IntegerField(default=0)
    paid_online = models.IntegerField(default=0)
    electronic_result = models.IntegerField(default=0)
    completed = models.IntegerField(default=0)
    # Microseconds from receipt to completion summed over the completed dossiers (exact).
    completed_microseconds = models.BigIntegerField(default=0)
    # Parts of interconnected dossiers refused by a partner agency (a per-part measure:
    # such a dossier still counts as received, and as completed when it completes).
    parts_refused = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "agency", "procedure_slug"], name="publicservices_daily_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.agency_id} {self.procedure_slug}: {self.received}"
