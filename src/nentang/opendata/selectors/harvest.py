"""Reads of harvest sources and their runs: a source is seen only by the publishers
of the organisation it harvests into (and superusers); to anyone else it does not
exist (the same 404 as an unknown id)."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext as _

from nentang.kernel.errors import NotFound
from nentang.opendata.models import HarvestRecord, HarvestRun, HarvestSource
from nentang.opendata.problems import HARVEST_SOURCE_NOT_FOUND
from nentang.opendata.selectors.catalogue import organisations_of

SOURCE_ORDER = ("name", "id")
RUN_ORDER = ("-started_at", "-id")


def harvest_sources(*, account: Any) -> QuerySet[HarvestSource]:
    queryset = HarvestSource.objects.select_related("organisation").annotate(
        dataset_count=Count("records")
    )
    if account is not None and getattr(account, "is_superuser", False):
        return queryset
    return queryset.filter(organisation_id__in=organisations_of(account))


def harvest_source_get(*, account: Any, ref: str) -> HarvestSource:
    try:
        match = Q(public_id=uuid.UUID(str(ref)))
    except ValueError:
        match = Q(name=str(ref))
    source = harvest_sources(account=account).filter(match).first()
    if source is None:
        raise NotFound(_("No harvest source has this id."), code=HARVEST_SOURCE_NOT_FOUND)
    return source


def harvest_runs(*, source: HarvestSource) -> QuerySet[HarvestRun]:
    return HarvestRun.objects.filter(source=source)


def harvest_last_runs(*, sources: list[HarvestSource]) -> dict[int, HarvestRun]:
    """The latest run of each source (one query for the page, not one per source)."""
    latest = HarvestRun.objects.filter(source=OuterRef("pk")).order_by(*RUN_ORDER).values("pk")[:1]
    ids = HarvestSource.objects.filter(pk__in=[s.pk for s in sources]).annotate(
        last=Subquery(latest)
    )
    runs = HarvestRun.objects.in_bulk([i for i in ids.values_list("last", flat=True) if i])
    return {run.source_id: run for run in runs.values()}


def dataset_provenance(*, dataset: Any) -> HarvestRecord | None:
    """Where a harvested dataset came from (None for our own)."""
    return HarvestRecord.objects.select_related("source").filter(dataset=dataset).first()
