"""Service-quality statistics (Decision 766/QĐ-TTg measures): per agency and procedure,
dossiers received, finished early / on time / late, the shares submitted online, paid
online and with electronic results, and the average processing time. Read from the
daily roll-up (``DailyStatistics``, a few rows per agency, procedure and day, kept exact
in each action's transaction); ``statistics_recount`` counts the same from the dossiers
themselves. The programme dashboard and open data read the same rows."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncDate, TruncMonth
from django.utils import timezone

from nentang.publicservices.models import ROLLUP_COUNTERS, DailyStatistics, Dossier

_DAY_MICROSECONDS = 86_400_000_000
_MICROSECOND = datetime.timedelta(microseconds=1)


@dataclass(frozen=True)
class Row:
    agency: str
    procedure: str
    received: int
    finished: int
    early: int
    on_time: int
    late: int
    online: int
    paid_online: int
    electronic_result: int
    average_days: float | None
    # Parts refused by partner agencies (interconnected groups): a per-part measure; the
    # dossier itself is classified by its own outcome (completed and on time, say).
    parts_refused: int = 0

    @property
    def in_progress(self) -> int:
        """Received and not yet finished (completed, refused or withdrawn)."""
        return self.received - self.finished

    @property
    def on_time_share(self) -> float | None:
        return (self.early + self.on_time) / self.finished if self.finished else None


def _row(agency: str, procedure: str, values: Mapping[str, Any]) -> Row:
    completed = values["completed"] or 0
    return Row(
        agency=agency,
        procedure=procedure,
        received=values["received"],
        finished=values["finished"],
        early=values["early"],
        on_time=values["on_time"],
        late=values["late"],
        online=values["online"],
        paid_online=values["paid_online"],
        electronic_result=values["electronic_result"],
        average_days=(
            int(values["completed_microseconds"] or 0) / completed / _DAY_MICROSECONDS
            if completed
            else None
        ),
        parts_refused=int(values.get("parts_refused") or 0),
    )


def service_statistics(
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    agency: str = "",
    province: str = "",
) -> list[Row]:
    """Rows per (agency, procedure) for dossiers received on the days [since, until)
    (local dates), summed from the daily roll-up."""
    queryset = DailyStatistics.objects.all()
    if since is not None:
        queryset = queryset.filter(day__gte=since)
    if until is not None:
        queryset = queryset.filter(day__lt=until)
    if agency:
        queryset = queryset.filter(agency_id=agency)
    if province:
        queryset = queryset.filter(agency__province_code=province)
    rows = (
        queryset.values("agency_id", "procedure_slug")
        .annotate(**{name: Sum(name) for name in ROLLUP_COUNTERS})
        .filter(received__gt=0)
        .order_by("agency_id", "procedure_slug")
    )
    return [_row(row["agency_id"], row["procedure_slug"], row) for row in rows]


@dataclass(frozen=True)
class Month:
    month: datetime.date  # its first day
    received: int
    early: int
    on_time: int
    late: int


def statistics_by_month(*, since: datetime.date, agency: str) -> list[Month]:
    """An agency's dossiers received per month since ``since`` (the roll-up's rows
    summed by month), oldest first: received, finished early / on time / late."""
    rows = (
        DailyStatistics.objects.filter(day__gte=since, agency_id=agency)
        .annotate(month=TruncMonth("day"))
        .values("month")
        .annotate(
            received_sum=Sum("received"),
            early_sum=Sum("early"),
            on_time_sum=Sum("on_time"),
            late_sum=Sum("late"),
        )
        .order_by("month")
    )
    return [
        Month(
            month=row["month"],
            received=row["received_sum"] or 0,
            early=row["early_sum"] or 0,
            on_time=row["on_time_sum"] or 0,
            late=row["late_sum"] or 0,
        )
        for row in rows
    ]


def _counts(queryset: QuerySet[Dossier, Any]) -> QuerySet[Dossier, dict[str, Any]]:
    """The roll-up's counters, counted from the dossiers of ``queryset``'s groups."""
    duration = ExpressionWrapper(F("completed_at") - F("received_at"), output_field=DurationField())
    completed = Q(state="completed", completed_at__isnull=False)
    # A migration before 0007 recounts with historical models that lack the field.
    refused = (
        {"parts_refused": Coalesce(Sum("parts_refused"), 0)}
        if any(field.name == "parts_refused" for field in queryset.model._meta.concrete_fields)
        else {}
    )
    return queryset.annotate(
        received=Count("id"),
        finished=Count("id", filter=~Q(sla_outcome="")),
        early=Count("id", filter=Q(sla_outcome="early")),
        on_time=Count("id", filter=Q(sla_outcome="on_time")),
        late=Count("id", filter=Q(sla_outcome="late")),
        online=Count("id", filter=Q(channel="online")),
        paid_online=Count("id", filter=~Q(payment_reference="")),
        electronic_result=Count("id", filter=Q(result_delivery="online")),
        completed=Count("id", filter=completed),
        duration=Sum(duration, filter=completed),
        **refused,
    )


def _microseconds(values: dict[str, Any]) -> dict[str, Any]:
    duration = values.pop("duration")
    values["completed_microseconds"] = duration // _MICROSECOND if duration else 0
    return values


def _received(queryset: QuerySet[Any]) -> QuerySet[Any]:
    return queryset.filter(received_at__isnull=False, agency__isnull=False)


def _midnight(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def statistics_recount(
    *,
    since: datetime.date | None = None,
    until: datetime.date | None = None,
    agency: str = "",
    province: str = "",
) -> list[Row]:
    """``service_statistics`` counted from the dossiers themselves (one grouped query
    over every dossier of the period): what the roll-up must always equal."""
    queryset = _received(Dossier.objects.all())
    if since is not None:
        queryset = queryset.filter(received_at__gte=_midnight(since))
    if until is not None:
        queryset = queryset.filter(received_at__lt=_midnight(until))
    if agency:
        queryset = queryset.filter(agency_id=agency)
    if province:
        queryset = queryset.filter(agency__province_code=province)
    rows = _counts(queryset.values("agency_id", "procedure_slug")).order_by(
        "agency_id", "procedure_slug"
    )
    return [_row(row["agency_id"], row["procedure_slug"], _microseconds(dict(row))) for row in rows]


def daily_recount(
    dossiers: QuerySet[Any] | None = None,
) -> Iterator[tuple[tuple[datetime.date, str, str], dict[str, Any]]]:
    """Every roll-up row, counted from the dossiers: ((day, agency, procedure), counters).
    ``dossiers``: another manager's rows (a migration's historical model)."""
    day = TruncDate("received_at", tzinfo=timezone.get_current_timezone())
    everything = Dossier.objects.all() if dossiers is None else dossiers
    rows = _counts(_received(everything).values("agency_id", "procedure_slug", day=day)).order_by()
    for row in rows.iterator(chunk_size=2000):
        values = _microseconds(dict(row))
        key = (values.pop("day"), values.pop("agency_id"), values.pop("procedure_slug"))
        yield key, values


@dataclass(frozen=True)
class Measure:
    """The Decision 766 measures of a group of rows (a procedure, an agency, all):
    counts, and shares in whole percent (None when there is nothing to divide)."""

    key: str
    received: int
    finished: int
    on_time_percent: int | None
    late: int
    online_percent: int | None
    paid_online_percent: int | None
    electronic_percent: int | None
    average_days: float | None
    parts_refused: int = 0


def _percent(part: int, whole: int) -> int | None:
    return round(100 * part / whole) if whole else None


def statistics_measures(rows: list[Row], *, by: str) -> list[Measure]:
    """``rows`` summed per ``by`` ("procedure", "agency" or "all"), most received
    first; the average processing time is weighted by the finished dossiers."""
    groups: dict[str, list[Row]] = {}
    for row in rows:
        key = "all" if by == "all" else getattr(row, by)
        groups.setdefault(key, []).append(row)
    measures = []
    for key, group in groups.items():
        received = sum(r.received for r in group)
        finished = sum(r.finished for r in group)
        timed = [(r.average_days, r.finished) for r in group if r.average_days is not None]
        weight = sum(w for _days, w in timed)
        measures.append(
            Measure(
                key=key,
                received=received,
                finished=finished,
                on_time_percent=_percent(sum(r.early + r.on_time for r in group), finished),
                late=sum(r.late for r in group),
                online_percent=_percent(sum(r.online for r in group), received),
                paid_online_percent=_percent(sum(r.paid_online for r in group), received),
                electronic_percent=_percent(sum(r.electronic_result for r in group), received),
                average_days=round(sum(d * w for d, w in timed) / weight, 1) if weight else None,
                parts_refused=sum(r.parts_refused for r in group),
            )
        )
    return sorted(measures, key=lambda m: (-m.received, m.key))
