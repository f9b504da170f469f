"""Reads of the catalogue with their permission checks: everyone sees published
public datasets; drafts, private and deleted datasets only their publishers."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db import connection
from django.db.models import CharField, Count, Prefetch, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel.errors import BadRequest, NotFound
from nentang.opendata import catalogue_search
from nentang.opendata.models import (
    ApiToken,
    Dataset,
    Group,
    IngestJob,
    Licence,
    Organisation,
    Publisher,
    Resource,
    Tag,
)
from nentang.opendata.problems import (
    DATASET_NOT_FOUND,
    GROUP_NOT_FOUND,
    INGEST_JOB_NOT_FOUND,
    ORGANISATION_NOT_FOUND,
    RESOURCE_NOT_FOUND,
)
from nentang.opendata.services import progress
from nentang.opendata.services.organisations import token_digest
from nentang.opendata.services.search_index import words

PUBLIC_STATES = (Dataset.State.PUBLISHED, Dataset.State.DEPRECATED)
MAX_ROWS = 1000
INLINE_IDS = 3000
# Facet fields (CKAN's names) → how to count them.
FACETS = ("organization", "groups", "tags", "res_format", "license_id", "province")


def organisations_of(account: Any) -> list[int]:
    if account is None or not getattr(account, "is_authenticated", False):
        return []
    return list(
        Publisher.objects.filter(account=account, is_active=True).values_list(
            "organisation_id", flat=True
        )
    )


def visible_datasets(
    account: Any, *, include_private: bool = True, include_drafts: bool = True
) -> QuerySet[Dataset]:
    """What ``account`` may read (anonymous: published public datasets)."""
    public = Q(state__in=PUBLIC_STATES, private=False)
    if account is not None and getattr(account, "is_superuser", False):
        own = ~Q(state=Dataset.State.DELETED)
    else:
        own = Q(organisation_id__in=organisations_of(account)) & ~Q(state=Dataset.State.DELETED)
    if not include_drafts:
        own &= Q(state__in=PUBLIC_STATES)
    if not include_private:
        own &= Q(private=False)
    return Dataset.objects.filter(public | own)


def _by_ref(queryset: QuerySet[Any], ref: str, name_field: str = "name") -> Any:
    if not str(ref).isprintable():  # a NUL is a 500 on PostgreSQL; no name has one
        return None
    try:
        return queryset.filter(public_id=uuid.UUID(str(ref))).first()
    except ValueError:
        return queryset.filter(**{name_field: str(ref)}).first()


def dataset_get(*, account: Any, ref: str) -> Dataset:
    """A dataset by id or name that ``account`` may see, or 404 (the same for one that
    exists but is hidden: no probing)."""
    queryset = visible_datasets(account).select_related("organisation", "licence")
    dataset = _by_ref(queryset, ref)
    if dataset is None:
        raise NotFound(_("Not found"), code=DATASET_NOT_FOUND)
    return dataset  # type: ignore[no-any-return]


def resource_get(*, account: Any, ref: str) -> Resource:
    try:
        key = uuid.UUID(str(ref))
    except ValueError:
        raise NotFound(_("Not found"), code=RESOURCE_NOT_FOUND) from None
    resource = (
        Resource.objects.select_related("dataset", "dataset__organisation", "datastore")
        .filter(public_id=key, dataset__in=visible_datasets(account))
        .first()
    )
    if resource is None:
        raise NotFound(_("Not found"), code=RESOURCE_NOT_FOUND)
    return resource


def organisation_list() -> QuerySet[Organisation]:
    return Organisation.objects.all()


def organisation_get(*, ref: str) -> Organisation:
    organisation = _by_ref(Organisation.objects.all(), ref)
    if organisation is None:
        raise NotFound(_("Not found"), code=ORGANISATION_NOT_FOUND)
    return organisation  # type: ignore[no-any-return]


def group_list() -> QuerySet[Group]:
    return Group.objects.all()


def group_get(*, ref: str) -> Group:
    group = _by_ref(Group.objects.all(), ref)
    if group is None:
        raise NotFound(_("Not found"), code=GROUP_NOT_FOUND)
    return group  # type: ignore[no-any-return]


def tag_list(*, query: str = "") -> QuerySet[Tag]:
    tags = Tag.objects.filter(datasets__state__in=PUBLIC_STATES, datasets__private=False)
    if query:
        tags = tags.filter(folded__contains=" ".join(words(query)))
    return tags.distinct()


def licence_list() -> QuerySet[Licence]:
    return Licence.objects.all()


def publisher_organisations(*, account: Any) -> QuerySet[Organisation]:
    if account is not None and getattr(account, "is_superuser", False):
        return Organisation.objects.all()
    return Organisation.objects.filter(pk__in=organisations_of(account))


def account_for_token(*, token: str) -> Any:
    """The account of a live API token, or None."""
    if not token or len(token) > 200:
        return None
    found = (
        ApiToken.objects.select_related("account")
        .filter(digest=token_digest(token), revoked_at=None)
        .first()
    )
    if found is None or not found.account.is_active:
        return None
    if found.last_used_at is None or (timezone.now() - found.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=found.pk).update(last_used_at=timezone.now())
    return found.account


def api_tokens(*, account: Any) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(account=account, revoked_at=None).order_by("-created_at")


# --- search -----------------------------------------------------------------------


@dataclass
class SearchResult:
    count: int
    datasets: list[Dataset]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


FILTERS = {
    "organization": "organisation__name",
    "owner_org": "organisation__public_id",
    "groups": "groups__name",
    "tags": "tags__name",
    "res_format": "resources__format",
    "license_id": "licence_id",
    "name": "name",
    "frequency": "frequency",
    "state": "state",
}
SORTS = {
    "metadata_modified": "modified_at",
    "metadata_created": "created_at",
    "name": "name",
    "title_string": "title",
    "title": "title",
}


def parse_fq(fq: str) -> dict[str, list[str]]:
    """CKAN/Solr ``fq``: ``field:value`` or ``field:"quoted value"`` terms, space- or
    ``AND``-separated (+ prefixes ignored)."""
    filters: dict[str, list[str]] = {}
    text = (fq or "").strip()
    i = 0
    while i < len(text):
        while i < len(text) and text[i] in " +\t":
            i += 1
        if text[i : i + 4] == "AND ":
            i += 4
            continue
        colon = text.find(":", i)
        if colon < 0:
            raise BadRequest(_("Filter terms are field:value."), code="invalid_fq")
        key = text[i:colon].strip().lstrip("+")
        j = colon + 1
        if j < len(text) and text[j] == '"':
            end = text.find('"', j + 1)
            if end < 0:
                raise BadRequest(_("An opening quote is never closed."), code="invalid_fq")
            value, i = text[j + 1 : end], end + 1
        else:
            end = text.find(" ", j)
            end = len(text) if end < 0 else end
            value, i = text[j:end], end
        if key not in FILTERS and key != "province":
            raise BadRequest(_("Unknown filter field: %(f)s.") % {"f": key}, code="invalid_fq")
        filters.setdefault(key, []).append(value)
    return filters


def _split_q(q: str) -> tuple[str, dict[str, list[str]]]:
    """Free text, and any ``field:value`` terms inside ``q`` (CKAN accepts both)."""
    text_parts, fielded = [], []
    for part in (q or "").split():
        head = part.split(":", 1)[0]
        if ":" in part and (head in FILTERS or head == "province"):
            fielded.append(part)
        elif part not in ("*:*", "AND"):
            text_parts.append(part)
    return " ".join(text_parts), parse_fq(" ".join(fielded)) if fielded else {}


def dataset_search(
    *, account: Any, q: str = "", filters: dict[str, list[str]] | None = None,
    sort: str = "", rows: int = 10, start: int = 0, facet_fields: tuple[str, ...] = (),
    facet_limit: int = 50, include_private: bool = False, include_drafts: bool = False,
) -> SearchResult:  # fmt: skip
    """Folded full-text search on the database's own engine (``catalogue_search``) with
    filters, sort, paging and facets."""
    if not 0 <= rows <= MAX_ROWS or start < 0:
        raise BadRequest(_("rows is 0 to 1000 and start is 0 or more."), code="invalid_paging")
    text, fielded = _split_q(q)
    all_filters = {**(filters or {})}
    for key, values in fielded.items():
        all_filters.setdefault(key, []).extend(values)
    queryset = visible_datasets(
        account, include_private=include_private, include_drafts=include_drafts
    )
    for key, values in all_filters.items():
        for value in values:
            if key == "province":
                queryset = queryset.filter(_in_province(value))
            else:
                queryset = queryset.filter(
                    pk__in=Dataset.objects.filter(**{FILTERS[key]: value}).values("pk")
                )
    terms = catalogue_search.query_words(text)
    ordering = _ordering(sort, bool(terms))
    wanted = tuple(name for name in facet_fields if name in FACETS)
    if not terms:
        count = queryset.count()
        datasets = list(_with_relations(queryset.order_by(*(ordering or [])))[start : start + rows])
        facets = {name: _facet(queryset, name, facet_limit) for name in wanted}
        return SearchResult(count=count, datasets=datasets, facets=facets)
    vendor = connection.vendor
    matches = _matches(queryset, vendor, terms)
    matches_query = _matched(vendor, terms, matches)
    count = len(matches)
    if ordering is None:
        # Relevance: the engine's field-weighted rank, then the most recently modified.
        ranked = sorted(matches.values(), key=lambda m: (m.score, m.modified, -m.pk), reverse=True)
        page_ids = [m.pk for m in ranked[start : start + rows]]
        found = {d.pk: d for d in _with_relations(Dataset.objects.filter(pk__in=page_ids))}
        datasets = [found[pk] for pk in page_ids]
    else:
        datasets = list(
            _with_relations(queryset.filter(pk__in=matches_query).order_by(*ordering))[
                start : start + rows
            ]
        )
    facets = _match_facets(matches, queryset.filter(pk__in=matches_query), wanted, facet_limit)
    return SearchResult(count=count, datasets=datasets, facets=facets)


class _Match(NamedTuple):
    pk: int
    score: float
    modified: str
    organisation: str
    licence: str
    formats: str
    provinces: str


def _in_province(code: str) -> Q:
    """Datasets whose spatial coverage lies in a province (``province_codes`` holds the
    two-digit codes separated by spaces)."""
    return (
        Q(province_codes=code)
        | Q(province_codes__startswith=f"{code} ")
        | Q(province_codes__endswith=f" {code}")
        | Q(province_codes__contains=f" {code} ")
    )


def _matched(vendor: str, terms: list[str], ids: Iterable[int]) -> Any:
    """The matched ids for ``pk__in``: a few thousand as values (cheaper than asking the
    index again), more as the index's own query (a subquery)."""
    ids = list(ids)
    if len(ids) <= INLINE_IDS:
        return ids
    return RawSQL(*catalogue_search.ids_sql(vendor, terms))  # noqa: S611 - constant SQL, bound words


def _matches(queryset: QuerySet[Dataset], vendor: str, terms: list[str]) -> dict[int, _Match]:
    """Datasets having every word, with their rank, from the database's full-text index;
    then what the caller may see of them, with the values the facets count."""
    sql, params = catalogue_search.matches_sql(vendor, terms)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        scores = dict(cursor.fetchall())
    if not scores:
        return {}
    visible = queryset.filter(pk__in=_matched(vendor, terms, scores))
    # modified_at as text: the same order, without 25,000 datetime conversions.
    rows = visible.annotate(stamp=Cast("modified_at", CharField())).values_list(
        "pk", "stamp", "organisation__name", "licence_id", "formats", "province_codes"
    )
    return {
        pk: _Match(pk, scores[pk], stamp, organisation, licence, formats, provinces)
        for pk, stamp, organisation, licence, formats, provinces in rows
        if pk in scores
    }


MATCH_VALUES = {"organization": "organisation", "license_id": "licence", "res_format": "formats",
                "province": "provinces"}  # fmt: skip


def _top(counter: Counter[str], limit: int) -> dict[str, int]:
    return dict(sorted(counter.items(), key=lambda item: (-item[1], item[0]))[:limit])


def _match_facets(
    matches: dict[int, _Match], matched: QuerySet[Dataset], names: tuple[str, ...], limit: int
) -> dict[str, dict[str, int]]:
    """Facet counts of the matches, counted from the values read with them (a query's
    matches are read once, not once per facet)."""
    facets: dict[str, dict[str, int]] = {}
    for name in names:
        counter: Counter[str] = Counter()
        if name in ("groups", "tags"):  # many per dataset: one GROUP BY of the links
            links = Dataset.groups.through if name == "groups" else Dataset.tags.through
            label = "group__name" if name == "groups" else "tag__name"
            counter.update(
                dict(
                    links.objects.filter(dataset_id__in=matched.values("pk"))
                    .values_list(label)
                    .annotate(n=Count("dataset_id"))
                )
            )
        elif name in ("organization", "license_id"):
            single = MATCH_VALUES[name]
            counter = Counter(getattr(match, single) for match in matches.values())
        else:
            multiple = MATCH_VALUES[name]
            counter = Counter(
                v for match in matches.values() for v in set(getattr(match, multiple).split())
            )
        facets[name] = _top(counter, limit)
    return facets


def _with_relations(queryset: QuerySet[Dataset]) -> QuerySet[Dataset]:
    return queryset.select_related("organisation", "licence").prefetch_related(
        "tags", "groups", Prefetch("resources", Resource.objects.select_related("datastore"))
    )


def _ordering(sort: str, has_terms: bool) -> list[str] | None:
    if not sort:
        return None if has_terms else ["-modified_at", "pk"]
    ordering: list[str] = []
    for part in sort.split(","):
        bits = part.split()
        if not bits:
            continue
        key, direction = bits[0], (bits[1].lower() if len(bits) > 1 else "asc")
        if key == "score":
            if not ordering:
                return None if has_terms else ["-modified_at", "pk"]
            continue
        if key not in SORTS or direction not in ("asc", "desc"):
            raise BadRequest(_("Unknown sort: %(s)s.") % {"s": part.strip()}, code="invalid_sort")
        ordering.append(("-" if direction == "desc" else "") + SORTS[key])
    return [*ordering, "pk"]


def _facet(queryset: QuerySet[Dataset], name: str, limit: int) -> dict[str, int]:
    ids = queryset.values("pk")
    if name == "province":
        counter = Counter(
            code
            for codes in queryset.exclude(province_codes="").values_list(
                "province_codes", flat=True
            )
            for code in set(codes.split())
        )
        return _top(counter, limit)
    if name == "res_format":
        formats = (
            Resource.objects.filter(dataset_id__in=ids)
            .exclude(format="")
            .values_list("format")
            .annotate(n=Count("dataset_id", distinct=True))
            .order_by("-n", "format")[:limit]
        )
        return dict(formats)
    column = {
        "organization": "organisation__name",
        "groups": "groups__name",
        "tags": "tags__name",
        "license_id": "licence_id",
    }[name]
    rows = (
        Dataset.objects.filter(pk__in=ids)
        .exclude(**{f"{column}__isnull": True})
        .values_list(column)
        .annotate(n=Count("pk", distinct=True))
        .order_by("-n", column)[:limit]
    )
    return dict(rows)


def ingest_jobs(*, dataset: Dataset, limit: int = 5) -> list[IngestJob]:
    """The latest loads of a dataset's files (for its publishers' page), with the
    progress of those still running (``services.progress``)."""
    jobs = list(
        IngestJob.objects.filter(resource__dataset=dataset).select_related("resource")[:limit]
    )
    progress.overlay(jobs)
    return jobs


def ingest_job_get(*, account: Any, job_id: str) -> IngestJob:
    """One load, with its progress while it runs, for the publishers of the dataset's
    organisation (and superusers); to anyone else it does not exist."""
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        job_uuid = None
    queryset = IngestJob.objects.select_related("resource", "resource__dataset")
    if not getattr(account, "is_superuser", False):
        queryset = queryset.filter(resource__dataset__organisation_id__in=organisations_of(account))
    job = queryset.filter(public_id=job_uuid).first() if job_uuid else None
    if job is None:
        raise NotFound(_("No load of your organisations has this id."), code=INGEST_JOB_NOT_FOUND)
    progress.overlay([job])
    return job
