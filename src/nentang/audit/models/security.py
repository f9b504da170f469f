from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from nentang.kernel.ids import new_id


class System(models.Model):
    """An information system hosted here, with its security level (Decree 85/2016/NĐ-CP)."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    security_level = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    approval_reference = models.CharField(
        max_length=200, blank=True, default="", help_text="Number of the approval decision."
    )
    approved_on = models.DateField(null=True, blank=True)
    approving_authority = models.CharField(max_length=200, blank=True, default="")
    owner = models.CharField(max_length=200, blank=True, default="")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name} (level {self.security_level})"


class RetentionPolicy(models.Model):
    """How long raw security events of systems of a level are kept (configurable data)."""

    security_level = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(1), MaxValueValidator(5)]
    )
    raw_event_days = models.PositiveIntegerField()
    source = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["security_level"]

    def __str__(self) -> str:
        return f"level {self.security_level}: {self.raw_event_days} days"


class SecurityEvent(models.Model):
    """A security-relevant happening (login failure, permission denial, export …).

    Raw events are pruned after their system's retention; alerts keep a snapshot of
    their evidence, and audit entries are never pruned.
    """

    id = models.BigAutoField(primary_key=True)
    occurred_at = models.DateTimeField(db_index=True)
    kind = models.CharField(max_length=60)
    outcome = models.CharField(max_length=20, blank=True, default="")
    severity = models.CharField(max_length=10, default="info")
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    actor_type = models.CharField(max_length=16, blank=True, default="")
    actor = models.CharField(max_length=128, blank=True, default="")
    subject = models.CharField(max_length=128, blank=True, default="")
    detail = models.JSONField(default=dict)
    request_id = models.CharField(max_length=128, blank=True, default="")
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="events")

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["kind", "source_ip", "occurred_at"], name="secevt_kind_ip_idx"),
            models.Index(fields=["kind", "actor", "occurred_at"], name="secevt_kind_actor_idx"),
            # Pruning deletes per system, oldest first.
            models.Index(fields=["system", "occurred_at"], name="secevt_system_time_idx"),
        ]
        permissions = [("export_securityevent", "Can export security events and alerts")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.kind}"


class DetectionRule(models.Model):
    """A detection as data: a threshold in a window, a sequence, or a schedule rule."""

    class Kind(models.TextChoices):
        THRESHOLD = "threshold", "N events of a kind per key within a window"
        SEQUENCE = "sequence", "N events then a follow-up event per key within a window"
        OFF_HOURS = "off_hours", "An event outside working hours"

    class GroupBy(models.TextChoices):
        SOURCE_IP = "source_ip", "Source address"
        ACTOR = "actor", "Actor"

    code = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    event_kinds = models.JSONField(default=list, help_text="Kinds counted (or watched).")
    then_kind = models.CharField(
        max_length=60, blank=True, default="", help_text="Sequence rules: the follow-up."
    )
    group_by = models.CharField(max_length=16, choices=GroupBy.choices, default="source_ip")
    threshold = models.PositiveIntegerField(default=1)
    window_seconds = models.PositiveIntegerField(default=60)
    severity = models.CharField(max_length=10, default="medium")
    # Off-hours rules: the working hours on working days of the calendar
    # (kernel.workdays); outside them, or on a day off, a watched event fires.
    office_start = models.TimeField(null=True, blank=True)
    office_end = models.TimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, default="Asia/Ho_Chi_Minh")
    modelled_on = models.CharField(max_length=200, blank=True, default="")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Alert(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    rule = models.ForeignKey(DetectionRule, on_delete=models.PROTECT, related_name="alerts")
    severity = models.CharField(max_length=10)
    key = models.CharField(max_length=128, help_text="The source address or actor grouped on.")
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(db_index=True)
    first_event_at = models.DateTimeField()
    last_event_at = models.DateTimeField()
    event_count = models.PositiveIntegerField(default=0)
    system = models.ForeignKey(System, on_delete=models.PROTECT, related_name="alerts")
    assigned_to = models.CharField(
        max_length=150, blank=True, default="", help_text="Login of the operator handling it."
    )

    ACTIVE_STATES = (State.OPEN, State.ACKNOWLEDGED)

    class Meta:
        ordering = ["-opened_at"]
        indexes = [models.Index(fields=["rule", "key", "state"], name="alert_rule_key_idx")]
        constraints = [
            # One alert in work per rule and key: further events become its evidence.
            models.UniqueConstraint(
                fields=["rule", "key"],
                condition=Q(state__in=["open", "acknowledged"]),
                name="alert_one_active_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} {self.key} ({self.state})"


class AlertEvidence(models.Model):
    """A snapshot of one event behind an alert: survives the pruning of raw events."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="evidence")
    event_id = models.BigIntegerField()
    occurred_at = models.DateTimeField()
    snapshot = models.JSONField()

    class Meta:
        ordering = ["occurred_at", "event_id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "event_id"], name="alert_evidence_uniq")
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} ← event {self.event_id}"


class AlertTransition(models.Model):
    """Who moved an alert to which state, when, and why."""

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=16)
    to_state = models.CharField(max_length=16)
    assigned_to = models.CharField(
        max_length=150, blank=True, default="", help_text="Set when the step is an assignment."
    )
    by = models.CharField(max_length=128)
    reason = models.TextField()
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.alert_id}: {self.from_state} → {self.to_state}"
