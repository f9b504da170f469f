"""The datastore: one SQL table per resource, created by ingestion."""

from __future__ import annotations

from django.db import models

from nentang.kernel.ids import new_id


class DatastoreTable(models.Model):
    """The queryable table of a resource: its SQL name and its fields (CKAN's
    ``fields``: ``[{"id": "tinh", "type": "text", "info": {"label": …}}]``)."""

    resource = models.OneToOneField(
        "opendata.Resource", on_delete=models.CASCADE, related_name="datastore"
    )
    table_name = models.CharField(max_length=63, unique=True)
    fields = models.JSONField(default=list)
    row_count = models.BigIntegerField(default=0)
    ids_dense = models.BooleanField(
        default=True,
        db_default=True,
        help_text="_id runs 1..row_count without gaps, so row n of the table in _id order "
        "is the row whose _id is n (datastore_search turns an offset into an index seek). "
        "Every load keeps it; anything that deletes rows must clear it.",
    )
    encoding = models.CharField(max_length=30, blank=True, default="")
    created_at = models.DateTimeField()
    modified_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.table_name


class IngestJob(models.Model):
    """One ingestion of a file into a resource's table, with visible progress."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    public_id = models.UUIDField(default=new_id, unique=True, editable=False)
    resource = models.ForeignKey(
        "opendata.Resource", on_delete=models.CASCADE, related_name="ingest_jobs"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    mode = models.CharField(max_length=10, default="replace")
    encoding = models.CharField(max_length=30, blank=True, default="")
    bytes_total = models.BigIntegerField(default=0)
    bytes_done = models.BigIntegerField(default=0)
    rows_done = models.BigIntegerField(default=0)
    rows_total = models.BigIntegerField(
        default=0, help_text="Rows of the file, known once its first pass has checked it."
    )
    error = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.status}"
