"""The statistics' daily roll-up (``DailyStatistics``), kept exact in the transaction of
every dossier action.

Why in the same transaction and not a table a task refreshes: the page must equal a
recount of the dossiers at any moment, and a periodic refresh is stale between runs
(or would have to add a recount of "since the last refresh" to every page). The cost is
one upsert in the actions that change a counted field (reception, fee paid,
completion, a changed delivery after supplementation) — never in a submission, which
is not counted until it is received — and a row lock per (day, agency, procedure)
that receptions of the same agency already queue on (the receipt counter, per unit and
day). ``statistics_rebuild`` recounts the table from the dossiers: for rows loaded
with SQL (the benchmark, a restore) and as a check.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from nentang.publicservices.models import ROLLUP_COUNTERS, DailyStatistics, Dossier

COUNTERS = ROLLUP_COUNTERS
Key = tuple[datetime.date, str, str]
Counted = tuple[Key, tuple[int, ...]]
_MICROSECOND = datetime.timedelta(microseconds=1)


def counted(dossier: Dossier) -> Counted | None:
    """What the dossier adds to the roll-up, and where: nothing until it is received."""
    if dossier.received_at is None or dossier.agency_id is None:
        return None
    outcome = dossier.sla_outcome
    completed = dossier.state == "completed" and dossier.completed_at is not None
    duration = (dossier.completed_at - dossier.received_at) // _MICROSECOND if completed else 0  # type: ignore[operator]
    values = (
        1,
        int(outcome != ""),
        int(outcome == "early"),
        int(outcome == "on_time"),
        int(outcome == "late"),
        int(dossier.channel == "online"),
        int(dossier.payment_reference != ""),
        int(dossier.result_delivery == "online"),
        int(completed),
        duration,
        dossier.parts_refused,
    )
    key = (timezone.localdate(dossier.received_at), str(dossier.agency_id), dossier.procedure_slug)
    return key, values


def _upsert_sql() -> str:
    table = DailyStatistics._meta.db_table
    columns = ", ".join(COUNTERS)
    updates = ", ".join(f"{name} = {table}.{name} + excluded.{name}" for name in COUNTERS)
    placeholders = ", ".join(["%s"] * (3 + len(COUNTERS)))
    return (
        f"INSERT INTO {table} (day, agency_id, procedure_slug, {columns}) "  # noqa: S608 - our own names
        f"VALUES ({placeholders}) "
        f"ON CONFLICT (day, agency_id, procedure_slug) DO UPDATE SET {updates}"
    )


def rollup_apply(before: Counted | None, after: Counted | None) -> None:
    """Move the dossier's contribution from ``before`` to ``after`` (call in the
    action's transaction, after the dossier's row is written)."""
    if before == after:
        return
    deltas: dict[Key, list[int]] = {}
    for sign, side in ((-1, before), (1, after)):
        if side is not None:
            key, values = side
            total = deltas.setdefault(key, [0] * len(COUNTERS))
            for index, value in enumerate(values):
                total[index] += sign * value
    rows: list[tuple[Any, ...]] = [(*key, *values) for key, values in deltas.items() if any(values)]
    if rows:
        with connection.cursor() as cursor:
            cursor.executemany(_upsert_sql(), rows)


def statistics_rebuild(*, dossier_model: Any = Dossier, rollup_model: Any = DailyStatistics) -> int:
    """Recount the whole roll-up from the dossiers (writers wait meanwhile on
    PostgreSQL; SQLite has one writer anyway). Returns the number of rows. The models
    are a migration's historical ones when it calls this."""
    from nentang.publicservices.selectors.statistics import daily_recount

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {dossier_model._meta.db_table} IN SHARE MODE")
        rollup_model.objects.all().delete()
        rows: Iterable[Any] = (
            rollup_model(day=day, agency_id=agency, procedure_slug=procedure, **values)
            for (day, agency, procedure), values in daily_recount(dossier_model.objects.all())
        )
        created = rollup_model.objects.bulk_create(rows, batch_size=2000)
    return len(created)
