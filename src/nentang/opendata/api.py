"""JSON API of the opendata context at ``/api/v1/opendata/`` (mounted by config/urls.py):
the same catalogue and datastore as CKAN's Action API, in nentang's own shape.

Each operation parses, authorises, calls one service or selector and serialises, with
its own input and output schemas; errors are problem+json (``kernel.errors``); unsafe
creates honour ``Idempotency-Key`` (``kernel.idempotency``); lists use cursor
pagination (``kernel.pagination``), search and datastore records offset paging (they
are ranked or sorted by the caller). Reads are public (a publisher's token also shows
its organisations' drafts and private datasets); writes take a publisher's API token
(``Authorization: Bearer ntod_…``, the token CKAN clients use).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db.models import Count
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.decorators import decorate_view

from nentang.kernel.api import Problem
from nentang.kernel.errors import Unauthorized
from nentang.kernel.idempotency import IDEMPOTENCY_OPENAPI, OncePerRequestBearer, idempotent
from nentang.kernel.pagination import CursorQuery, LimitQuery, paginate
from nentang.opendata import selectors, services
from nentang.opendata.api_schemas import (
    DatasetIn,
    DatasetListOut,
    DatasetOut,
    DatasetPatch,
    DatasetSummaryOut,
    FieldDescriptionIn,
    GroupListOut,
    GroupOut,
    HarvestQueuedOut,
    HarvestRunListOut,
    HarvestRunOut,
    HarvestSourceIn,
    HarvestSourceListOut,
    HarvestSourceOut,
    IngestJobOut,
    LicenceListOut,
    LicenceOut,
    OrganisationListOut,
    OrganisationOut,
    RecordsAppendedOut,
    RecordsIn,
    RecordsOut,
    ResourceIn,
    ResourceOut,
    SearchOut,
    SqlOut,
    StateIn,
    TagListOut,
)
from nentang.opendata.problems import INVALID_API_TOKEN

router = Router(tags=["opendata"])
DATASET_ORDER = ("name", "id")
ORGANISATION_ORDER = ("name", "id")
GROUP_ORDER = ("name", "id")


@dataclass(frozen=True)
class Publisher:
    account: Any

    @property
    def idempotency_scope(self) -> str:
        return f"opendata.account:{self.account.pk}"


def _challenge() -> dict[str, str]:
    return {"WWW-Authenticate": 'Bearer realm="nentang", error="invalid_token"'}


class PublisherToken(OncePerRequestBearer):
    """A publisher's API token (created at /opendata/tokens)."""

    def authenticate(self, request: HttpRequest, token: str) -> Publisher | None:
        account = selectors.account_for_token(token=token)
        if account is None:
            raise Unauthorized(
                _("The API token is unknown or revoked."), code=INVALID_API_TOKEN,
                headers=_challenge(),
            )  # fmt: skip
        return Publisher(account)


PUBLISHER = [PublisherToken()]


def _publisher(request: HttpRequest) -> Any:
    return cast(Publisher, cast(Any, request).auth).account


def _reader(request: HttpRequest) -> Any:
    """Who reads: a bearer token's publisher, the signed-in user, or anonymous."""
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        account = selectors.account_for_token(token=header[7:].strip())
        if account is None:
            raise Unauthorized(
                _("The API token is unknown or revoked."), code=INVALID_API_TOKEN,
                headers=_challenge(),
            )  # fmt: skip
        return account
    user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


def _base() -> str:
    return str(settings.BASE_URL)


def _dataset_out(account: Any, ref: str) -> DatasetOut:
    return DatasetOut.build(selectors.dataset_get(account=account, ref=ref), base=_base())


READ_ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 404: Problem, 422: Problem}
WRITE_ERRORS: dict[int, Any] = dict.fromkeys((400, 401, 403, 404, 409, 422), Problem)


# --- catalogue reads --------------------------------------------------------------


@router.get(
    "/datasets", response={200: DatasetListOut, **READ_ERRORS},
    summary="Datasets you may read, by name (cursor pagination)",
)  # fmt: skip
def dataset_list(
    request: HttpRequest, organisation: str | None = None, cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> DatasetListOut:  # fmt: skip
    queryset = selectors.visible_datasets(_reader(request)).select_related("organisation")
    if organisation:
        queryset = queryset.filter(organisation__name=organisation)
    page = paginate(queryset, order=DATASET_ORDER, cursor=cursor, limit=limit)
    return DatasetListOut(
        items=[DatasetSummaryOut.build(d) for d in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/search", response={200: SearchOut, **READ_ERRORS},
    summary="Full-text search (folded Vietnamese), with facets; offset paging by rank",
)  # fmt: skip
def dataset_search(
    request: HttpRequest, q: str = "", fq: str = "", sort: str = "", rows: int = 10,
    start: int = 0, facets: str = "",
) -> SearchOut:  # fmt: skip
    result = selectors.dataset_search(
        account=_reader(request), q=q[:500], filters=selectors.parse_fq(fq[:2000]),
        sort=sort[:100], rows=max(0, min(rows, 1000)), start=max(0, start),
        facet_fields=tuple(f for f in facets.split(",") if f in selectors.FACETS),
    )  # fmt: skip
    return SearchOut(
        count=result.count, results=[DatasetSummaryOut.build(d) for d in result.datasets],
        facets=result.facets,
    )  # fmt: skip


@router.get(
    "/datasets/{ref}", response={200: DatasetOut, **READ_ERRORS},
    summary="A dataset by name or id, with its resources and provenance",
)  # fmt: skip
def dataset_get(request: HttpRequest, ref: str) -> DatasetOut:
    return _dataset_out(_reader(request), ref)


@router.get(
    "/organisations", response={200: OrganisationListOut, **READ_ERRORS},
    summary="Publishing organisations (cursor pagination)",
)  # fmt: skip
def organisation_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = None
) -> OrganisationListOut:
    page = paginate(
        selectors.organisation_list(), order=ORGANISATION_ORDER, cursor=cursor, limit=limit
    )
    return OrganisationListOut(
        items=[OrganisationOut.build(o) for o in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/organisations/{ref}", response={200: OrganisationOut, **READ_ERRORS},
    summary="An organisation by name or id",
)  # fmt: skip
def organisation_get(request: HttpRequest, ref: str) -> OrganisationOut:
    return OrganisationOut.build(selectors.organisation_get(ref=ref))


@router.get(
    "/groups", response={200: GroupListOut, **READ_ERRORS},
    summary="Themes (CKAN groups), with the number of their datasets you may read",
)  # fmt: skip
def group_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = None
) -> GroupListOut:
    page = paginate(selectors.group_list(), order=GROUP_ORDER, cursor=cursor, limit=limit)
    counts = dict(
        selectors.visible_datasets(_reader(request))
        .filter(groups__in=[g.pk for g in page.items])
        .values_list("groups")
        .annotate(n=Count("pk"))
    )
    return GroupListOut(
        items=[GroupOut.build(g, datasets=counts.get(g.pk, 0)) for g in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/groups/{ref}", response={200: GroupOut, **READ_ERRORS},
    summary="A theme by name or id",
)  # fmt: skip
def group_get(request: HttpRequest, ref: str) -> GroupOut:
    group = selectors.group_get(ref=ref)
    count = selectors.visible_datasets(_reader(request)).filter(groups=group).count()
    return GroupOut.build(group, datasets=count)


@router.get(
    "/licences", response={200: LicenceListOut, **READ_ERRORS},
    summary="The licences a dataset may carry (licences as data)",
)  # fmt: skip
def licence_list(request: HttpRequest) -> LicenceListOut:
    return LicenceListOut(items=[LicenceOut.build(li) for li in selectors.licence_list()])


@router.get(
    "/tags", response={200: TagListOut, **READ_ERRORS},
    summary="Tags of public datasets (q: folded words the tag contains)",
)  # fmt: skip
def tag_list(request: HttpRequest, q: str = "") -> TagListOut:
    return TagListOut(items=[t.name for t in selectors.tag_list(query=q[:100])[:1000]])


@router.get(
    "/resources/{resource_id}", response={200: ResourceOut, **READ_ERRORS},
    summary="A resource, with its datastore columns and their descriptions",
)  # fmt: skip
def resource_get(request: HttpRequest, resource_id: str) -> ResourceOut:
    resource = selectors.resource_get(account=_reader(request), ref=resource_id)
    return ResourceOut.build(resource, base=_base())


@router.get(
    "/resources/{resource_id}/records", response={200: RecordsOut, **READ_ERRORS},
    summary="Rows of a resource's datastore table (filters as field=value, q, sort)",
)  # fmt: skip
def records(
    request: HttpRequest, resource_id: str, q: str = "", sort: str = "", limit: int = 100,
    offset: int = 0,
) -> RecordsOut:  # fmt: skip
    reserved = {"q", "sort", "limit", "offset"}
    filters = {k: v for k, v in request.GET.items() if k not in reserved}
    size = max(1, min(limit, 32_000))
    page = selectors.datastore_search(
        account=_reader(request), resource_id=resource_id, filters=filters, q=q[:500],
        fields=None, sort=sort[:200], limit=size, offset=max(0, offset),
    )  # fmt: skip
    return RecordsOut(
        resource_id=resource_id, fields=page.fields, records=page.records, total=page.total,
        limit=size, offset=max(0, offset),
    )  # fmt: skip


@router.get(
    "/sql", response={200: SqlOut, **READ_ERRORS},
    summary="One read-only SELECT over datastore tables you may read (10,000 rows at most)",
)  # fmt: skip
def sql(request: HttpRequest, sql: str) -> SqlOut:
    page = selectors.datastore_search_sql(account=_reader(request), sql=sql[:20_000])
    return SqlOut(fields=page.fields, records=page.records)


# --- publishers' writes -----------------------------------------------------------


@router.post(
    "/datasets", auth=PUBLISHER, response={201: DatasetOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENCY_OPENAPI, summary="Create (and publish unless draft) a dataset",
)  # fmt: skip
@decorate_view(idempotent)
def dataset_create(request: HttpRequest, payload: DatasetIn) -> Status[DatasetOut]:
    account = _publisher(request)
    dataset = services.dataset_create(account=account, data=payload.model_dump())
    return Status(201, _dataset_out(account, str(dataset.public_id)))


@router.patch(
    "/datasets/{ref}", auth=PUBLISHER, response={200: DatasetOut, **WRITE_ERRORS},
    summary="Change the fields sent",
)  # fmt: skip
def dataset_patch(request: HttpRequest, ref: str, payload: DatasetPatch) -> DatasetOut:
    account = _publisher(request)
    dataset = selectors.dataset_get(account=account, ref=ref)
    services.dataset_update(
        account=account, dataset=dataset, data=payload.model_dump(exclude_unset=True),
        partial=True,
    )  # fmt: skip
    return _dataset_out(account, str(dataset.public_id))


@router.post(
    "/datasets/{ref}/state", auth=PUBLISHER, response={200: DatasetOut, **WRITE_ERRORS},
    summary="Publish, deprecate or delete (publisher admins)",
)  # fmt: skip
def dataset_state(request: HttpRequest, ref: str, payload: StateIn) -> DatasetOut:
    account = _publisher(request)
    dataset = selectors.dataset_get(account=account, ref=ref)
    changed = services.dataset_transition(account=account, dataset=dataset, to=payload.state)
    return DatasetOut.build(changed, base=_base())


@router.post(
    "/datasets/{ref}/resources", auth=PUBLISHER, response={201: ResourceOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENCY_OPENAPI, summary="Add a link resource to a dataset",
)  # fmt: skip
@decorate_view(idempotent)
def resource_create(request: HttpRequest, ref: str, payload: ResourceIn) -> Status[ResourceOut]:
    account = _publisher(request)
    dataset = selectors.dataset_get(account=account, ref=ref)
    resource = services.resource_create(account=account, dataset=dataset, data=payload.dict())
    return Status(201, ResourceOut.build(resource, base=_base()))


@router.put(
    "/resources/{resource_id}/fields/{field}", auth=PUBLISHER,
    response={200: ResourceOut, **WRITE_ERRORS},
    summary="Describe a datastore column (the data dictionary: label and notes)",
)  # fmt: skip
def field_describe(
    request: HttpRequest, resource_id: str, field: str, payload: FieldDescriptionIn
) -> ResourceOut:
    account = _publisher(request)
    resource = selectors.resource_get(account=account, ref=resource_id)
    services.datastore_field_describe(
        account=account, resource=resource, field=field, label=payload.label,
        notes=payload.notes,
    )  # fmt: skip
    return ResourceOut.build(selectors.resource_get(account=account, ref=resource_id), base=_base())


@router.post(
    "/resources/{resource_id}/records", auth=PUBLISHER,
    response={201: RecordsAppendedOut, **WRITE_ERRORS}, openapi_extra=IDEMPOTENCY_OPENAPI,
    summary="Append rows to a resource's datastore table (CKAN's datastore_upsert, insert)",
)  # fmt: skip
@decorate_view(idempotent)
def records_append(
    request: HttpRequest, resource_id: str, payload: RecordsIn
) -> Status[RecordsAppendedOut]:
    account = _publisher(request)
    resource = selectors.resource_get(account=account, ref=resource_id)
    store = services.datastore_create(
        account=account, resource=resource, fields=None, records=payload.records
    )
    return Status(
        201,
        RecordsAppendedOut(
            resource_id=resource_id, appended=len(payload.records), total=store.row_count
        ),
    )


# --- harvesting -------------------------------------------------------------------


@router.get(
    "/harvest-sources", auth=PUBLISHER, response={200: HarvestSourceListOut, **READ_ERRORS},
    summary="Harvest sources of your organisations (cursor pagination)",
)  # fmt: skip
def harvest_source_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = None
) -> HarvestSourceListOut:
    page = paginate(
        selectors.harvest_sources(account=_publisher(request)),
        order=selectors.SOURCE_ORDER, cursor=cursor, limit=limit,
    )  # fmt: skip
    return HarvestSourceListOut(
        items=[HarvestSourceOut.build(s) for s in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/harvest-sources", auth=PUBLISHER, response={201: HarvestSourceOut, **WRITE_ERRORS},
    openapi_extra=IDEMPOTENCY_OPENAPI,
    summary="Harvest another CKAN site or a DCAT file into one of your organisations",
)  # fmt: skip
@decorate_view(idempotent)
def harvest_source_create(
    request: HttpRequest, payload: HarvestSourceIn
) -> Status[HarvestSourceOut]:
    account = _publisher(request)
    source = services.harvest_source_create(
        account=account, name=payload.name, title=payload.title, url=payload.url,
        kind=payload.kind, organisation_name=payload.organisation, frequency=payload.frequency,
    )  # fmt: skip
    return Status(201, HarvestSourceOut.build(source))


@router.get(
    "/ingest-jobs/{job_id}", auth=PUBLISHER, response={200: IngestJobOut, **READ_ERRORS},
    summary="A load of a file into the datastore, with its progress while it runs",
)  # fmt: skip
def ingest_job_get(request: HttpRequest, job_id: str) -> IngestJobOut:
    return IngestJobOut.build(selectors.ingest_job_get(account=_publisher(request), job_id=job_id))


@router.get(
    "/harvest-sources/{ref}", auth=PUBLISHER, response={200: HarvestSourceOut, **READ_ERRORS},
    summary="A harvest source",
)  # fmt: skip
def harvest_source_get(request: HttpRequest, ref: str) -> HarvestSourceOut:
    return HarvestSourceOut.build(
        selectors.harvest_source_get(account=_publisher(request), ref=ref)
    )


@router.get(
    "/harvest-sources/{ref}/runs", auth=PUBLISHER,
    response={200: HarvestRunListOut, **READ_ERRORS},
    summary="The runs of a harvest source, newest first",
)  # fmt: skip
def harvest_run_list(
    request: HttpRequest, ref: str, cursor: CursorQuery = None, limit: LimitQuery = None
) -> HarvestRunListOut:
    source = selectors.harvest_source_get(account=_publisher(request), ref=ref)
    page = paginate(
        selectors.harvest_runs(source=source), order=selectors.RUN_ORDER, cursor=cursor,
        limit=limit,
    )  # fmt: skip
    return HarvestRunListOut(
        items=[HarvestRunOut.build(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.post(
    "/harvest-sources/{ref}/runs", auth=PUBLISHER,
    response={202: HarvestQueuedOut, **WRITE_ERRORS},
    summary="Queue a harvest of the source now (the worker runs it)",
)  # fmt: skip
def harvest_run_queue(request: HttpRequest, ref: str) -> Status[HarvestQueuedOut]:
    account = _publisher(request)
    source = selectors.harvest_source_get(account=account, ref=ref)
    services.harvest_queue(account=account, source=source)
    return Status(202, HarvestQueuedOut(source=source.name, queued=True))
