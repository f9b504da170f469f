"""Tables of the smartcity context. Only this context's services write them; other
contexts read them through ``selectors`` and change them through ``services``.

NGSI-LD storage: ``Entity`` holds the current state of each entity (its stored form, see
``ngsild.entities``) with its type and bounding box in indexed columns; ``Observation``
is the history the temporal API reads: one row per attribute instance and observation
time, numbers also in a float column for aggregation. Tenants (``NGSILD-Tenant``) are
rows of ``Tenant``; a machine client reaches a tenant only through a ``TenantGrant``.
"""

from __future__ import annotations

import uuid

from django.db import models

from nentang.kernel.ids import new_id


class Tenant(models.Model):
    """An NGSI-LD tenant: one city (``hue``, ``danang``, ``hcm``) or the default ("")."""

    name = models.CharField(max_length=64, unique=True, blank=True)
    title = models.CharField(max_length=200)
    retention_days = models.PositiveIntegerField(default=0)  # 0: keep the history
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.name or "(default)"


class TenantGrant(models.Model):
    """A machine client's right to read (and maybe write) one tenant's entities."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="grants")
    client_id = models.CharField(max_length=100)
    can_write = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "client_id"], name="sc_grant_unique")
        ]

    def __str__(self) -> str:
        return f"{self.client_id} → {self.tenant_id}"


class Entity(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="+")
    entity_id = models.CharField(max_length=256)
    type = models.CharField(max_length=512)  # the first type IRI
    data = models.JSONField()  # the stored form (ngsild.entities)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    min_lon = models.FloatField(null=True)
    min_lat = models.FloatField(null=True)
    max_lon = models.FloatField(null=True)
    max_lat = models.FloatField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "entity_id"], name="sc_entity_unique")
        ]
        indexes = [
            models.Index(fields=["tenant", "type", "entity_id"], name="sc_entity_type"),
            models.Index(fields=["tenant", "min_lon", "max_lon"], name="sc_entity_lon"),
        ]

    def __str__(self) -> str:
        return self.entity_id


class Observation(models.Model):
    """One attribute instance at one time: the history of the temporal API. On
    PostgreSQL the table is partitioned by month of ``observed_at`` (migration 0008,
    ``services.partitions``), its primary key ``(id, observed_at)``."""

    id = models.BigAutoField(primary_key=True)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    entity_id = models.CharField(max_length=256)
    attr = models.CharField(max_length=512)
    dataset_id = models.CharField(max_length=256, blank=True, default="")
    observed_at = models.DateTimeField()
    value = models.JSONField()  # the instance as stored (without sub-attribute history)
    number = models.FloatField(null=True)
    instance_id = models.UUIDField(default=new_id, editable=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                # Time before dataset id: the index also serves one attribute's series
                # over a time range (the temporal API, the hourly feed).
                fields=["tenant", "entity_id", "attr", "observed_at", "dataset_id"],
                name="sc_observation_once",
            )
        ]
        indexes = [models.Index(fields=["observed_at"], name="sc_observation_time")]

    def __str__(self) -> str:
        return f"{self.entity_id} {self.attr} @ {self.observed_at}"


class Subscription(models.Model):
    """An NGSI-LD subscription; its notifications leave through a kernel webhook."""

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    subscription_id = models.CharField(max_length=256)
    client_id = models.CharField(max_length=100)
    data = models.JSONField()  # the subscription as given, terms expanded where needed
    context = models.JSONField(default=list)  # the @context to render notifications in
    entity_types = models.JSONField(default=list)  # type IRIs ([] = any)
    watched = models.JSONField(default=list)  # attribute IRIs ([] = any)
    q = models.TextField(blank=True, default="")
    endpoint = models.URLField(max_length=500)
    webhook_id = models.UUIDField(default=uuid.uuid4)
    is_active = models.BooleanField(default=True)
    expires_at = models.DateTimeField(null=True)
    times_sent = models.PositiveIntegerField(default=0)
    last_notification = models.DateTimeField(null=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "subscription_id"], name="sc_subscription_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "is_active"], name="sc_subscription_live")]

    def __str__(self) -> str:
        return self.subscription_id


class Device(models.Model):
    """A sensor or actuator that publishes over MQTT (the device registry of a tenant):
    which entity it feeds, how its payload keys map to attributes, and the key that
    signs its messages (HMAC-SHA256; kept to verify, never shown after registration)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="devices")
    device_id = models.CharField(max_length=100)
    kind = models.CharField(max_length=20)  # air, traffic, weather, flood, streetlight, parking
    entity_id = models.CharField(max_length=256)
    entity_type = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict)  # payload key → [attribute name, unitCode]
    key = models.CharField(max_length=100)
    longitude = models.FloatField()
    latitude = models.FloatField()
    name = models.CharField(max_length=200, blank=True, default="")
    ward_code = models.CharField(max_length=10, blank=True, default="")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "device_id"], name="sc_device_unique")
        ]

    def __str__(self) -> str:
        return self.device_id


class ReportCategory(models.Model):
    """A kind of problem citizens report (data, seeded by a migration): potholes,
    flooding, a street light out … with the hours the city answers in (its SLA)."""

    code = models.SlugField(max_length=40, primary_key=True)
    title = models.CharField(max_length=120)  # Vietnamese
    title_en = models.CharField(max_length=120)
    sla_hours = models.PositiveIntegerField(default=72)
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.code


class CityDesk(models.Model):
    """The agency whose officers answer a city's citizen reports."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="desk")
    agency = models.ForeignKey("identity.Agency", on_delete=models.PROTECT, related_name="+")
    province_code = models.CharField(max_length=2)

    def __str__(self) -> str:
        return f"{self.tenant_id} → {self.agency_id}"


class Report(models.Model):
    """A citizen's report of a problem in a city ("phản ánh hiện trường")."""

    class State(models.TextChoices):
        RECEIVED = "received", "Received"
        TRIAGED = "triaged", "Triaged"
        ASSIGNED = "assigned", "Assigned"
        IN_PROGRESS = "in_progress", "In progress"
        RESOLVED = "resolved", "Resolved"
        REJECTED = "rejected", "Rejected"

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    tenant = models.ForeignKey(Tenant, on_delete=models.PROTECT, related_name="reports")
    reporter = models.ForeignKey("identity.Person", on_delete=models.PROTECT, related_name="+")
    category = models.ForeignKey(ReportCategory, on_delete=models.PROTECT, related_name="+")
    description = models.TextField()
    ward_code = models.CharField(max_length=5, blank=True, default="")
    ward_name = models.CharField(max_length=120, blank=True, default="")
    latitude = models.FloatField(null=True)
    longitude = models.FloatField(null=True)
    photo = models.CharField(max_length=200, blank=True, default="")  # private storage name
    state = models.CharField(max_length=20, choices=State.choices, default=State.RECEIVED)
    assignee = models.ForeignKey(
        "identity.Officer", on_delete=models.PROTECT, null=True, related_name="+"
    )
    # The agency responsible for the report, chosen when it is made (ward and category:
    # see services.reports.route_for); null only for reports made before routing.
    agency = models.ForeignKey(
        "identity.Agency", on_delete=models.PROTECT, null=True, related_name="+"
    )
    routed_by = models.CharField(max_length=20, blank=True, default="")  # route, ward, city
    answer = models.TextField(blank=True, default="")
    answer_photo = models.CharField(max_length=200, blank=True, default="")  # with the answer
    idempotency_key = models.CharField(max_length=100)
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField()
    due_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True)
    # The reporter's rating of the answer (1–5), once the report is closed.
    rating = models.PositiveSmallIntegerField(null=True)
    rating_comment = models.TextField(blank=True, default="")
    rated_at = models.DateTimeField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["reporter", "idempotency_key"], name="sc_report_idempotent"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "state", "due_at"], name="sc_report_queue"),
            models.Index(fields=["reporter", "-created_at"], name="sc_report_reporter"),
        ]

    def __str__(self) -> str:
        return str(self.public_id)


class ReportStep(models.Model):
    """One step of a report's life: who (an officer, or the reporter), what, when."""

    report = models.ForeignKey(Report, on_delete=models.CASCADE, related_name="steps")
    action = models.CharField(max_length=20)
    state = models.CharField(max_length=20)
    officer = models.ForeignKey(
        "identity.Officer", on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.TextField(blank=True, default="")
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} {self.action}"


class ThresholdRule(models.Model):
    """A city's alert threshold for one attribute of one Smart Data Models entity type:
    it overrides the default of ``data/thresholds.json`` for the same pair, adds a rule,
    or (``is_active`` off) switches the default off in that city."""

    class Direction(models.TextChoices):
        ABOVE = "above", "Above"
        BELOW = "below", "Below"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="thresholds")
    entity_type = models.CharField(max_length=100)
    attribute = models.CharField(max_length=100)
    direction = models.CharField(max_length=5, choices=Direction.choices)
    warning = models.FloatField()
    alarm = models.FloatField()
    hold_minutes = models.PositiveIntegerField(default=0)
    unit_code = models.CharField(max_length=10, blank=True, default="")
    label = models.CharField(max_length=200)  # Vietnamese
    label_en = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "entity_type", "attribute"], name="sc_threshold_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.entity_type}.{self.attribute}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from nentang.smartcity.thresholds import FIELDS, rule_problems

        problems = rule_problems({name: getattr(self, name) for name in FIELDS})
        if problems:
            raise ValidationError(dict(problems))


class WardRoute(models.Model):
    """Who answers a city's reports from one ward: for one category, or for every
    category (``category`` empty). Without a route, the ward's own agency (an agency
    registered on that commune) answers, else the city's desk."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="ward_routes")
    ward_code = models.CharField(max_length=5)
    category = models.CharField(max_length=40, blank=True, default="")  # "" = any
    agency = models.ForeignKey("identity.Agency", on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "ward_code", "category"], name="sc_ward_route_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id} {self.ward_code} {self.category or '*'} → {self.agency_id}"
