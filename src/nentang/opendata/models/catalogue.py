"""The catalogue: what is published, by whom, under which licence."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models

from nentang.kernel.ids import new_id

# How long after the last update a dataset of each frequency is still fresh (days). The
# check counts calendar days: an hourly dataset is flagged like a daily one (an update
# a day late), never at midnight for an update made late yesterday evening.
FREQUENCY_DAYS = {
    "hourly": 1,
    "daily": 1,
    "weekly": 7,
    "monthly": 31,
    "quarterly": 92,
    "semiannual": 183,
    "annual": 366,
}
# Grace before a missed update turns the freshness flag on (Decree 47/2020 practice:
# the catalogue is reviewed, a late dataset is flagged, not hidden).
FRESHNESS_GRACE = 0.25


class Licence(models.Model):
    """A licence as data: CKAN's ``license_list`` entries (id, title, url, …)."""

    id = models.SlugField(max_length=60, primary_key=True)
    title = models.CharField(max_length=200)
    url = models.URLField(blank=True, default="")
    is_open = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True, default="")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Organisation(models.Model):
    """A publishing organisation: one agency of the identity context (``agency_code``)."""

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    name = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    agency_code = models.CharField(max_length=60, unique=True)
    province_code = models.CharField(max_length=2, blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title


class Group(models.Model):
    """A theme (CKAN group): "Môi trường", "Giáo dục", "Tài chính" …"""

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    name = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.title


class Tag(models.Model):
    name = models.CharField(max_length=100, unique=True)
    folded = models.CharField(max_length=100, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Publisher(models.Model):
    """An e-ID staff account that may publish for an organisation."""

    class Role(models.TextChoices):
        EDITOR = "editor", "Editor (create, update, upload)"
        ADMIN = "admin", "Admin (also publish, deprecate, delete)"

    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opendata_publishers"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="publishers"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.ADMIN)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "organisation"], name="od_publisher_once")
        ]

    def __str__(self) -> str:
        return f"{self.account_id} @ {self.organisation_id}"


class ApiToken(models.Model):
    """A publisher's API token (CKAN clients send it in ``Authorization``). Only its
    SHA-256 is stored; the token is shown once."""

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    account = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="opendata_tokens"
    )
    name = models.CharField(max_length=100)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Dataset(models.Model):
    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        DEPRECATED = "deprecated", "Deprecated"
        DELETED = "deleted", "Deleted"

    class Frequency(models.TextChoices):
        HOURLY = "hourly", "Hourly"
        DAILY = "daily", "Daily"
        WEEKLY = "weekly", "Weekly"
        MONTHLY = "monthly", "Monthly"
        QUARTERLY = "quarterly", "Quarterly"
        SEMIANNUAL = "semiannual", "Every six months"
        ANNUAL = "annual", "Annual"
        IRREGULAR = "irregular", "Irregular"

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    name = models.SlugField(max_length=100, unique=True)
    title = models.CharField(max_length=300)
    notes = models.TextField(blank=True, default="")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="datasets"
    )
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="datasets")
    tags = models.ManyToManyField(Tag, blank=True, related_name="datasets")
    groups = models.ManyToManyField(Group, blank=True, related_name="datasets")
    contact_name = models.CharField(max_length=150, blank=True, default="")
    contact_email = models.EmailField(blank=True, default="")
    # Spatial coverage: codes of administrative units (provinces "79", communes "26740").
    spatial_codes = models.JSONField(default=list, blank=True)
    province_codes = models.CharField(max_length=200, blank=True, default="")
    temporal_start = models.DateField(null=True, blank=True)
    temporal_end = models.DateField(null=True, blank=True)
    frequency = models.CharField(
        max_length=12, choices=Frequency.choices, default=Frequency.IRREGULAR
    )
    version = models.CharField(max_length=40, blank=True, default="")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    private = models.BooleanField(default=False)
    extras = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()
    published_at = models.DateTimeField(null=True, blank=True)
    data_updated_at = models.DateTimeField(null=True, blank=True)
    review_date = models.DateField(null=True, blank=True)
    # Denormalised for search and facets (kept by the services).
    formats = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["state", "private", "modified_at"], name="od_ds_listing"),
            models.Index(fields=["organisation", "state"], name="od_ds_org_state"),
        ]

    def __str__(self) -> str:
        return self.name

    def is_stale(self, today: datetime.date | None = None) -> bool:
        """The freshness flag: the stated frequency was missed by more than the grace."""
        days = FREQUENCY_DAYS.get(self.frequency)
        if days is None or self.state != self.State.PUBLISHED:
            return False
        last = self.data_updated_at or self.published_at
        if last is None:
            return False
        today = today or datetime.date.today()
        allowed = datetime.timedelta(days=days * (1 + FRESHNESS_GRACE))
        return today - last.date() > allowed


class DatasetSearch(models.Model):
    """What the database's full-text engine indexes of a dataset (``opendata.
    catalogue_search``): the folded words of four fields. The index itself — an FTS5
    table on SQLite, a generated ``tsvector`` column with a GIN index on PostgreSQL —
    is made by the migration and kept in step by the database."""

    dataset = models.OneToOneField(
        Dataset, primary_key=True, on_delete=models.CASCADE, related_name="search_document"
    )
    title = models.TextField(default="")
    keywords = models.TextField(default="")
    context = models.TextField(default="")
    notes = models.TextField(default="")

    def __str__(self) -> str:
        return self.title


class Resource(models.Model):
    """A file or link of a dataset."""

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="resources")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True, default="")
    url = models.URLField(max_length=1000, blank=True, default="")
    format = models.CharField(max_length=20, blank=True, default="")
    mimetype = models.CharField(max_length=100, blank=True, default="")
    size = models.BigIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, default="")
    encoding = models.CharField(max_length=30, blank=True, default="")
    # An uploaded file kept under NENTANG_HOME (relative path), or "" for a link.
    stored_path = models.CharField(max_length=300, blank=True, default="")
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    class Meta:
        ordering = ["dataset_id", "position", "id"]

    def __str__(self) -> str:
        return self.name
