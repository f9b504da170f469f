"""Monthly partitions of the temporal history (``Observation``) on PostgreSQL.

On PostgreSQL ``smartcity_observation`` is a table partitioned by range of
``observed_at``: one partition per calendar month (UTC), ``smartcity_observation_pYYYYMM``,
and a default partition for stragglers (a reading from a month that has no partition
yet: a device's clock far off, or history loaded from long ago). Migration 0008 turns
the plain table into this (moving its rows), with a partition for every month its rows
fall in and for the current and next months. The daily task
``tasks.history_partitions_daily`` creates the partitions ``MONTHS_AHEAD`` months ahead;
a partition made for a month that already has rows in the default partition takes them
over (moved in the same transaction, then attached). Retention drops whole months that
every city holding rows in them lets go (``droppable_partitions``), the rest row by row.

The primary key is ``(id, observed_at)`` there (a partitioned table's unique keys
include the partition key); ids still come from one sequence. SQLite keeps a plain
table: every function here does nothing on it.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from datetime import UTC
from typing import Any

from django.db import connection, transaction

TABLE = "smartcity_observation"
DEFAULT = f"{TABLE}_default"
SEQUENCE = "sc_observation_id_seq"
MONTHS_AHEAD = 2
COLUMNS = "id, tenant_id, entity_id, attr, dataset_id, observed_at, value, number, instance_id"
NAME = re.compile(rf"^{TABLE}_p(\d{{4}})(\d{{2}})$")
_LOCK = 0x5C0B5E17  # advisory lock key of partition creation


def month_start(moment: datetime.datetime | datetime.date) -> datetime.datetime:
    if isinstance(moment, datetime.datetime):
        moment = moment.astimezone(UTC)
    return datetime.datetime(moment.year, moment.month, 1, tzinfo=UTC)


def next_month(start: datetime.datetime) -> datetime.datetime:
    return (start + datetime.timedelta(days=32)).replace(day=1)


def partition_name(start: datetime.datetime) -> str:
    return f"{TABLE}_p{start:%Y%m}"


def is_partitioned(conn: Any = None) -> bool:
    conn = conn or connection
    if conn.vendor != "postgresql":
        return False
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM pg_partitioned_table p JOIN pg_class c ON c.oid = p.partrelid "
            "WHERE c.relname = %s AND c.relnamespace = to_regnamespace(current_schema())",
            [TABLE],
        )
        return cursor.fetchone() is not None


def partitions(conn: Any = None) -> dict[str, datetime.datetime]:
    """The monthly partitions: name → first instant of the month (UTC)."""
    conn = conn or connection
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = %s "
            "AND p.relnamespace = to_regnamespace(current_schema())",
            [TABLE],
        )
        found = {}
        for (name,) in cursor.fetchall():
            match = NAME.match(name)
            if match:
                found[name] = datetime.datetime(int(match[1]), int(match[2]), 1, tzinfo=UTC)
        return found


def _create(cursor: Any, start: datetime.datetime) -> None:
    """A partition for the month from ``start``, taking over that month's rows from the
    default partition (a new partition cannot be added over rows the default holds)."""
    name, end = partition_name(start), next_month(start)
    # Writers of the default partition wait until the partition is attached: a row of
    # this month they committed after the move would make the ATTACH fail.
    cursor.execute(f'LOCK TABLE "{DEFAULT}" IN SHARE ROW EXCLUSIVE MODE')
    cursor.execute(
        f'CREATE TABLE "{name}" (LIKE "{TABLE}" INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
    )
    cursor.execute(
        f'WITH moved AS (DELETE FROM "{DEFAULT}" WHERE observed_at >= %s AND observed_at < %s '  # noqa: S608 - names only
        f'RETURNING *) INSERT INTO "{name}" SELECT * FROM moved',
        [start, end],
    )
    cursor.execute(
        f'ALTER TABLE "{TABLE}" ATTACH PARTITION "{name}" FOR VALUES FROM (%s) TO (%s)',
        [start, end],
    )


def ensure_partitions(months: Iterable[datetime.datetime], conn: Any = None) -> list[str]:
    """Create the missing partitions of ``months`` (first instants, UTC); their names.
    Two runs at once (two workers, the task and a migration) take turns on an advisory
    lock and look again under it: the second finds the partition made, not an error."""
    conn = conn or connection
    if not is_partitioned(conn):
        return []
    existing = partitions(conn)
    made = []
    for start in sorted(set(months)):
        name = partition_name(start)
        if name in existing:
            continue
        with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK])
            if name in partitions(conn):
                continue
            _create(cursor, start)
        made.append(name)
    return made


def history_partitions_ensure(
    *, now: datetime.datetime | None = None, ahead: int = MONTHS_AHEAD
) -> list[str]:
    """The partitions of the current month and ``ahead`` months after it."""
    from django.utils import timezone

    start = month_start(now or timezone.now())
    months = [start]
    for _ in range(ahead):
        months.append(next_month(months[-1]))
    return ensure_partitions(months)


def droppable_partitions(cutoffs: dict[int, datetime.datetime | None]) -> list[str]:
    """The monthly partitions whose rows every city lets go: a month ending at or before
    the cutoff of each tenant that has rows in it (``cutoffs``: tenant id → the oldest
    time it keeps, None to keep everything; a tenant not listed keeps everything)."""
    if not is_partitioned():
        return []
    found = []
    with connection.cursor() as cursor:
        for name, start in sorted(partitions().items(), key=lambda item: item[1]):
            end = next_month(start)
            keepers = [
                tenant for tenant, cutoff in cutoffs.items() if cutoff is None or end > cutoff
            ]
            others = list(cutoffs)
            cursor.execute(
                f'SELECT 1 FROM "{name}" WHERE tenant_id = ANY(%s::bigint[]) '  # noqa: S608 - names only
                "OR NOT (tenant_id = ANY(%s::bigint[])) LIMIT 1",
                [keepers, others],
            )
            if cursor.fetchone() is None:
                found.append(name)
    return found


def drop_partition(name: str) -> dict[int, int]:
    """Detach and drop a monthly partition; the rows it held per tenant id."""
    if not NAME.match(name):
        raise ValueError(name)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f'SELECT tenant_id, count(*) FROM "{name}" GROUP BY tenant_id')  # noqa: S608 - names only
        held = {int(tenant): int(count) for tenant, count in cursor.fetchall()}
        # Deferred foreign-key checks of rows written earlier in this transaction would
        # block the DROP ("pending trigger events"): run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f'ALTER TABLE "{TABLE}" DETACH PARTITION "{name}"')
        cursor.execute(f'DROP TABLE "{name}"')
    return held


def partition_history(schema_editor: Any, now: datetime.datetime | None = None) -> None:
    """Migration: the plain history table becomes a partitioned one, its rows moved into
    the partitions of their months (PostgreSQL; nothing on SQLite)."""
    conn = schema_editor.connection
    if conn.vendor != "postgresql" or is_partitioned(conn):
        return
    old = f"{TABLE}_unpartitioned"
    with conn.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{old}"')
        cursor.execute(f'ALTER TABLE "{old}" DROP CONSTRAINT sc_observation_once')
        cursor.execute("DROP INDEX sc_observation_time")
        cursor.execute(f'ALTER TABLE "{old}" RENAME CONSTRAINT "{TABLE}_pkey" TO "{old}_pkey"')
        cursor.execute(f'SELECT coalesce(max(id), 0) FROM "{old}"')  # noqa: S608 - names only
        top = cursor.fetchone()[0]
        cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {SEQUENCE}")
        if top:
            cursor.execute("SELECT setval(%s, %s)", [SEQUENCE, top])
        cursor.execute(
            f'CREATE TABLE "{TABLE}" ('
            f"id bigint NOT NULL DEFAULT nextval('{SEQUENCE}'), "
            "tenant_id bigint NOT NULL, entity_id varchar(256) NOT NULL, "
            "attr varchar(512) NOT NULL, dataset_id varchar(256) NOT NULL, "
            "observed_at timestamptz NOT NULL, value jsonb NOT NULL, number double precision, "
            "instance_id uuid NOT NULL, "
            f'CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (id, observed_at), '
            "CONSTRAINT sc_observation_once UNIQUE "
            "(tenant_id, entity_id, attr, observed_at, dataset_id), "
            "CONSTRAINT sc_observation_tenant_fk FOREIGN KEY (tenant_id) "
            "REFERENCES smartcity_tenant (id) DEFERRABLE INITIALLY DEFERRED"
            ") PARTITION BY RANGE (observed_at)"
        )
        cursor.execute(f'CREATE INDEX sc_observation_time ON "{TABLE}" (observed_at)')
        cursor.execute(f'ALTER SEQUENCE {SEQUENCE} OWNED BY "{TABLE}".id')
        cursor.execute(f'CREATE TABLE "{DEFAULT}" PARTITION OF "{TABLE}" DEFAULT')
        cursor.execute(
            f"SELECT DISTINCT date_trunc('month', observed_at AT TIME ZONE 'UTC') "  # noqa: S608 - names only
            f'FROM "{old}"'
        )
        months = {month_start(row[0].replace(tzinfo=UTC)) for row in cursor.fetchall()}
    start = month_start(now or datetime.datetime.now(UTC))
    months |= {start, next_month(start)}
    ensure_partitions(months, conn)
    with conn.cursor() as cursor:
        cursor.execute(
            f'INSERT INTO "{TABLE}" ({COLUMNS}) SELECT {COLUMNS} FROM "{old}"'  # noqa: S608 - names only
        )
        cursor.execute(f'DROP TABLE "{old}"')


def unpartition_history(schema_editor: Any) -> None:
    """Migration backwards: one plain table again (PostgreSQL; nothing on SQLite)."""
    conn = schema_editor.connection
    if conn.vendor != "postgresql" or not is_partitioned(conn):
        return
    old = f"{TABLE}_partitioned"
    with conn.cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{TABLE}" RENAME TO "{old}"')
        cursor.execute(f'ALTER TABLE "{old}" DROP CONSTRAINT sc_observation_once')
        cursor.execute(f'ALTER TABLE "{old}" DROP CONSTRAINT "{TABLE}_pkey"')
        cursor.execute("DROP INDEX sc_observation_time")
        cursor.execute(f'CREATE TABLE "{TABLE}" (LIKE "{old}" INCLUDING DEFAULTS)')
        cursor.execute(
            f'INSERT INTO "{TABLE}" ({COLUMNS}) SELECT {COLUMNS} FROM "{old}"'  # noqa: S608 - names only
        )
        cursor.execute(f'ALTER SEQUENCE {SEQUENCE} OWNED BY "{TABLE}".id')
        cursor.execute(f'DROP TABLE "{old}" CASCADE')
        cursor.execute(f'ALTER TABLE "{TABLE}" ADD CONSTRAINT "{TABLE}_pkey" PRIMARY KEY (id)')
        cursor.execute(
            f'ALTER TABLE "{TABLE}" ADD CONSTRAINT sc_observation_once UNIQUE '
            "(tenant_id, entity_id, attr, observed_at, dataset_id)"
        )
        cursor.execute(f'CREATE INDEX sc_observation_time ON "{TABLE}" (observed_at)')
        cursor.execute(
            f'ALTER TABLE "{TABLE}" ADD CONSTRAINT sc_observation_tenant_fk FOREIGN KEY '
            "(tenant_id) REFERENCES smartcity_tenant (id) DEFERRABLE INITIALLY DEFERRED"
        )


PARTITIONS_INTERVAL = datetime.timedelta(days=1)


def history_partitions_schedule(*, run_after: datetime.datetime | None = None) -> bool:
    """Queue the daily partition maintenance unless one is waiting; True when queued."""
    from nentang.kernel.scheduling import task_enqueue_unless_waiting
    from nentang.smartcity.tasks import history_partitions_daily

    return task_enqueue_unless_waiting(history_partitions_daily, run_after=run_after)
