"""Input and output schemas of the opendata JSON API (one per operation)."""

from __future__ import annotations

import datetime
from typing import Any

from ninja import Field, Schema

from nentang.opendata.models import (
    Dataset,
    Group,
    HarvestRun,
    HarvestSource,
    IngestJob,
    Licence,
    Organisation,
    Resource,
)


class ResourceIn(Schema):
    name: str = Field("", max_length=300)
    url: str = Field("", max_length=1000)
    format: str = Field("", max_length=20)
    description: str = Field("", max_length=20_000)


class DatasetIn(Schema):
    """CKAN's ``package_create`` fields, typed."""

    name: str = Field(..., max_length=100, description="URL name: a-z, 0-9, - and _.")
    title: str = Field("", max_length=300)
    notes: str = Field("", max_length=100_000)
    owner_org: str = Field(..., max_length=100, description="Organisation name or id.")
    license_id: str = Field("cc-by-4.0", max_length=60)
    tags: list[str] = Field(default_factory=list, max_length=50)
    groups: list[str] = Field(default_factory=list, max_length=50)
    private: bool = False
    state: str = Field("active", pattern="^(active|draft)$")
    frequency: str = Field("irregular", max_length=12)
    spatial: list[str] = Field(default_factory=list, max_length=200)
    temporal_start: str | None = Field(None, max_length=10)
    temporal_end: str | None = Field(None, max_length=10)
    version: str = Field("", max_length=40)
    maintainer: str = Field("", max_length=150)
    maintainer_email: str = Field("", max_length=254)
    resources: list[ResourceIn] = Field(default_factory=list, max_length=100)


class DatasetPatch(Schema):
    """Only the fields sent change."""

    title: str | None = Field(None, max_length=300)
    notes: str | None = Field(None, max_length=100_000)
    license_id: str | None = Field(None, max_length=60)
    tags: list[str] | None = Field(None, max_length=50)
    groups: list[str] | None = Field(None, max_length=50)
    private: bool | None = None
    frequency: str | None = Field(None, max_length=12)
    spatial: list[str] | None = Field(None, max_length=200)
    version: str | None = Field(None, max_length=40)
    maintainer: str | None = Field(None, max_length=150)
    maintainer_email: str | None = Field(None, max_length=254)


class StateIn(Schema):
    state: str = Field(..., pattern="^(published|deprecated|deleted)$")


class FieldOut(Schema):
    id: str
    type: str
    label: str = ""
    notes: str = ""


class ResourceOut(Schema):
    id: str
    dataset: str
    name: str
    description: str
    url: str
    format: str
    size: int | None
    sha256: str
    encoding: str
    datastore_active: bool
    fields: list[FieldOut]
    modified_at: datetime.datetime

    @classmethod
    def build(cls, resource: Resource, *, base: str) -> ResourceOut:
        store = getattr(resource, "datastore", None)
        url = resource.url
        if resource.stored_path:
            url = f"{base}/dataset/{resource.dataset.name}/resource/{resource.public_id}/download"
        fields = [
            FieldOut(
                id=f["id"],
                type=f["type"],
                label=(f.get("info") or {}).get("label", ""),
                notes=(f.get("info") or {}).get("notes", ""),
            )
            for f in (store.fields if store is not None else [])
        ]
        return cls(
            id=str(resource.public_id), dataset=resource.dataset.name, name=resource.name,
            description=resource.description, url=url, format=resource.format,
            size=resource.size, sha256=resource.sha256, encoding=resource.encoding,
            datastore_active=store is not None, fields=fields, modified_at=resource.modified_at,
        )  # fmt: skip


class ProvenanceOut(Schema):
    source: str
    remote_id: str
    remote_url: str
    harvested_at: datetime.datetime


class DatasetOut(Schema):
    id: str
    name: str
    title: str
    notes: str
    state: str
    private: bool
    organisation: str
    licence: str
    tags: list[str]
    groups: list[str]
    frequency: str
    stale: bool
    spatial: list[str]
    temporal_start: datetime.date | None
    temporal_end: datetime.date | None
    version: str
    created_at: datetime.datetime
    modified_at: datetime.datetime
    resources: list[ResourceOut]
    harvested_from: ProvenanceOut | None = None

    @classmethod
    def build(cls, dataset: Dataset, *, base: str) -> DatasetOut:
        record = getattr(dataset, "harvest", None) if hasattr(dataset, "harvest") else None
        provenance = None
        if record is not None:
            provenance = ProvenanceOut(
                source=record.source.name, remote_id=record.remote_id,
                remote_url=record.remote_url, harvested_at=record.harvested_at,
            )  # fmt: skip
        return cls(
            id=str(dataset.public_id), name=dataset.name, title=dataset.title,
            notes=dataset.notes, state=dataset.state, private=dataset.private,
            organisation=dataset.organisation.name, licence=dataset.licence_id,
            tags=sorted(t.name for t in dataset.tags.all()),
            groups=sorted(g.name for g in dataset.groups.all()),
            frequency=dataset.frequency, stale=dataset.is_stale(),
            spatial=list(dataset.spatial_codes or []), temporal_start=dataset.temporal_start,
            temporal_end=dataset.temporal_end, version=dataset.version,
            created_at=dataset.created_at, modified_at=dataset.modified_at,
            resources=[ResourceOut.build(r, base=base) for r in dataset.resources.all()],
            harvested_from=provenance,
        )  # fmt: skip


class DatasetSummaryOut(Schema):
    id: str
    name: str
    title: str
    organisation: str
    state: str
    modified_at: datetime.datetime

    @classmethod
    def build(cls, dataset: Dataset) -> DatasetSummaryOut:
        return cls(
            id=str(dataset.public_id), name=dataset.name, title=dataset.title,
            organisation=dataset.organisation.name, state=dataset.state,
            modified_at=dataset.modified_at,
        )  # fmt: skip


class DatasetListOut(Schema):
    items: list[DatasetSummaryOut]
    next_cursor: str | None = None


class SearchOut(Schema):
    count: int
    results: list[DatasetSummaryOut]
    facets: dict[str, dict[str, int]]


class OrganisationOut(Schema):
    id: str
    name: str
    title: str
    description: str
    province_code: str

    @classmethod
    def build(cls, organisation: Organisation) -> OrganisationOut:
        return cls(
            id=str(organisation.public_id), name=organisation.name, title=organisation.title,
            description=organisation.description, province_code=organisation.province_code,
        )  # fmt: skip


class OrganisationListOut(Schema):
    items: list[OrganisationOut]
    next_cursor: str | None = None


class RecordsOut(Schema):
    resource_id: str
    fields: list[dict[str, Any]]
    records: list[dict[str, Any]]
    total: int | None
    limit: int
    offset: int


class FieldDescriptionIn(Schema):
    label: str = Field("", max_length=200)
    notes: str = Field("", max_length=2000)


class HarvestSourceIn(Schema):
    name: str = Field(..., max_length=100)
    title: str = Field(..., max_length=200)
    url: str = Field(..., max_length=1000)
    kind: str = Field(..., description="`ckan` (an Action API) or `dcat` (a DCAT file).")
    organisation: str = Field(..., max_length=100, description="Our organisation's name.")
    frequency: str = Field("daily", description="manual, daily, weekly or monthly.")


class HarvestSourceOut(Schema):
    id: str
    name: str
    title: str
    url: str
    kind: str
    organisation: str
    frequency: str
    is_active: bool
    next_run_at: datetime.datetime | None
    datasets: int

    @classmethod
    def build(cls, source: HarvestSource) -> HarvestSourceOut:
        return cls(
            id=str(source.public_id), name=source.name, title=source.title, url=source.url,
            kind=source.kind, organisation=source.organisation.name,
            frequency=source.frequency, is_active=source.is_active,
            next_run_at=source.next_run_at,
            datasets=getattr(source, "dataset_count", None) or source.records.count(),
        )  # fmt: skip


class HarvestSourceListOut(Schema):
    items: list[HarvestSourceOut]
    next_cursor: str | None = None


class IngestJobOut(Schema):
    """A load of a file into a resource's table; ``rows_done`` and ``bytes_done`` move
    while it runs (``rows_total`` is known once the file has been checked)."""

    id: str
    resource_id: str
    status: str
    mode: str
    bytes_total: int
    bytes_done: int
    rows_total: int
    rows_done: int
    error: dict[str, Any]
    created_at: datetime.datetime
    finished_at: datetime.datetime | None

    @classmethod
    def build(cls, job: IngestJob) -> IngestJobOut:
        return cls(
            id=str(job.public_id), resource_id=str(job.resource.public_id), status=job.status,
            mode=job.mode, bytes_total=job.bytes_total, bytes_done=job.bytes_done,
            rows_total=job.rows_total, rows_done=job.rows_done, error=dict(job.error),
            created_at=job.created_at, finished_at=job.finished_at,
        )  # fmt: skip


class HarvestRunOut(Schema):
    id: str
    status: str
    started_at: datetime.datetime
    finished_at: datetime.datetime | None
    created: int
    updated: int
    unchanged: int
    withdrawn: int
    failed: int
    errors: list[dict[str, Any]] = Field(
        description="remote_id, code, error (Vietnamese) and, when our validation refused "
        "the dataset, fields: [{field, label, message}]"
    )

    @classmethod
    def build(cls, run: HarvestRun) -> HarvestRunOut:
        return cls(
            id=str(run.public_id), status=run.status, started_at=run.started_at,
            finished_at=run.finished_at, created=run.created, updated=run.updated,
            unchanged=run.unchanged, withdrawn=run.withdrawn, failed=run.failed,
            errors=list(run.errors),
        )  # fmt: skip


class HarvestRunListOut(Schema):
    items: list[HarvestRunOut]
    next_cursor: str | None = None


class HarvestQueuedOut(Schema):
    source: str
    queued: bool


class GroupOut(Schema):
    id: str
    name: str
    title: str
    description: str
    datasets: int = Field(..., description="Datasets of the theme that you may read.")

    @classmethod
    def build(cls, group: Group, *, datasets: int) -> GroupOut:
        return cls(
            id=str(group.public_id), name=group.name, title=group.title,
            description=group.description, datasets=datasets,
        )  # fmt: skip


class GroupListOut(Schema):
    items: list[GroupOut]
    next_cursor: str | None = None


class LicenceOut(Schema):
    id: str
    title: str
    url: str
    is_open: bool
    note: str

    @classmethod
    def build(cls, licence: Licence) -> LicenceOut:
        return cls(
            id=licence.id, title=licence.title, url=licence.url, is_open=licence.is_open,
            note=licence.note,
        )  # fmt: skip


class LicenceListOut(Schema):
    items: list[LicenceOut]


class TagListOut(Schema):
    items: list[str]


class RecordsIn(Schema):
    """Rows appended to the resource's table (CKAN's ``datastore_upsert``, ``insert``):
    objects keyed by the table's columns; the first load of a resource makes the table."""

    records: list[dict[str, Any]] = Field(..., min_length=1, max_length=10_000)


class RecordsAppendedOut(Schema):
    resource_id: str
    appended: int
    total: int


class SqlOut(Schema):
    fields: list[dict[str, Any]]
    records: list[dict[str, Any]]
