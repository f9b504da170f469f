"""Harvesting: catalogues of other portals (a CKAN Action API or a DCAT file) copied
into an organisation of ours on a schedule, with each copy's provenance."""

from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class HarvestSource(models.Model):
    """Another catalogue whose datasets an organisation of ours republishes."""

    class Kind(models.TextChoices):
        CKAN = "ckan", "CKAN Action API"
        DCAT = "dcat", "DCAT file (Turtle, JSON-LD, RDF/XML)"

    class Frequency(models.TextChoices):
        MANUAL = "manual", "Manual"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    name = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    url = models.URLField(max_length=1000)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    organisation = models.ForeignKey(
        "opendata.Organisation", on_delete=models.PROTECT, related_name="harvest_sources"
    )
    frequency = models.CharField(max_length=10, choices=Frequency.choices, default="daily")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()
    next_run_at = models.DateTimeField(null=True, blank=True)
    # The lease of the run in progress: one run per source at a time, on any database.
    running_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class HarvestRun(models.Model):
    """One harvest of a source, with what it did."""

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="runs")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]

    def __str__(self) -> str:
        return f"{self.source_id} {self.status}"


class HarvestRecord(models.Model):
    """Provenance of a harvested dataset: where it came from and what it was."""

    source = models.ForeignKey(HarvestSource, on_delete=models.CASCADE, related_name="records")
    remote_id = models.CharField(max_length=300)
    remote_url = models.URLField(max_length=1000, blank=True, default="")
    dataset = models.OneToOneField(
        "opendata.Dataset", on_delete=models.CASCADE, related_name="harvest"
    )
    content_hash = models.CharField(max_length=64)
    harvested_at = models.DateTimeField()
    run = models.ForeignKey(HarvestRun, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "remote_id"], name="od_harvest_once")
        ]

    def __str__(self) -> str:
        return self.remote_id
