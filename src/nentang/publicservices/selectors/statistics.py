"""Service-quality statistics (Decision 766/QĐ-TTg measures): per agency and procedure,
dossiers received, finished early / on time / late, the shares submitted online, paid
online and with electronic results, and the average processing time. One grouped query;
the programme dashboard and open data read the same rows."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from nentang.publicservices.models import Dossier


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

    @property
    def on_time_share(self) -> float | None:
        return (self.early + self.on_time) / self.finished if self.finished else None


def service_statistics(
    *,
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    agency: str = "",
    province: str = "",
) -> list[Row]:
    """Rows per (agency, procedure) for dossiers received in [since, until)."""
    queryset = Dossier.objects.filter(received_at__isnull=False)
    if since is not None:
        queryset = queryset.filter(received_at__gte=since)
    if until is not None:
        queryset = queryset.filter(received_at__lt=until)
    if agency:
        queryset = queryset.filter(agency_id=agency)
    if province:
        queryset = queryset.filter(agency__province_code=province)
    duration = ExpressionWrapper(F("completed_at") - F("received_at"), output_field=DurationField())
    rows = (
        queryset.values("agency_id", "procedure_slug")
        .annotate(
            received=Count("id"),
            finished=Count("id", filter=~Q(sla_outcome="")),
            early=Count("id", filter=Q(sla_outcome="early")),
            on_time=Count("id", filter=Q(sla_outcome="on_time")),
            late=Count("id", filter=Q(sla_outcome="late")),
            online=Count("id", filter=Q(channel="online")),
            paid_online=Count("id", filter=~Q(payment_reference="")),
            electronic_result=Count("id", filter=Q(result_delivery="online")),
            average=Avg(duration, filter=Q(state="completed")),
        )
        .order_by("agency_id", "procedure_slug")
    )
    return [
        Row(
            agency=row["agency_id"],
            procedure=row["procedure_slug"],
            received=row["received"],
            finished=row["finished"],
            early=row["early"],
            on_time=row["on_time"],
            late=row["late"],
            online=row["online"],
            paid_online=row["paid_online"],
            electronic_result=row["electronic_result"],
            average_days=row["average"].total_seconds() / 86400 if row["average"] else None,
        )
        for row in rows
    ]


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
            )
        )
    return sorted(measures, key=lambda m: (-m.received, m.key))
