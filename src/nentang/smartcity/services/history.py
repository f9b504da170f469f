"""Writing the history (``Observation``) without model instances: each attribute instance
becomes a plain tuple and a batch goes to the database as multi-row ``INSERT … ON
CONFLICT DO NOTHING`` statements (a re-sent observation — same tenant, entity,
attribute, datasetId and time — is kept once: idempotent).

Why not ``bulk_create``: on PostgreSQL Django 5.2 sends it as ``UNNEST`` of one array per
column, and psycopg quotes every JSON document into a text array with regular
expressions; with the model instances (and a UUIDv7 per row) that was half of a batch
upsert's time. A multi-row ``VALUES`` list fared little better: psycopg splits a
16,000-placeholder query with a regular expression, uncached (profiles in
docs/performance.md).
"""

from __future__ import annotations

import json
import math
import os
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from django.db import connection

from nentang.smartcity.models import Observation, Tenant
from nentang.smartcity.ngsild.entities import now_text, parse_time


class HistoryRow(NamedTuple):
    tenant_id: int
    entity_id: str
    attr: str
    dataset_id: str
    observed_at: datetime
    value: Mapping[str, Any]
    number: float | None


def _number(value: Any) -> float | None:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = float(value)
        return number if math.isfinite(number) else None
    return None


def observations(
    tenant: Tenant, entity_id: str, attrs: Mapping[str, Sequence[Mapping[str, Any]]]
) -> list[HistoryRow]:
    """The history rows of the attribute instances ``attrs`` (IRI → instances)."""
    tenant_id = tenant.pk
    rows = []
    for iri, instances in attrs.items():
        for instance in instances:
            moment = instance.get("observedAt") or instance.get("modifiedAt") or now_text()
            rows.append(
                HistoryRow(
                    tenant_id,
                    entity_id,
                    iri,
                    instance.get("datasetId", ""),
                    parse_time(moment, "time"),
                    instance,
                    _number(instance.get("value")),
                )
            )
    return rows


def _instance_ids(count: int) -> list[uuid.UUID]:
    # Random (version 4) ids from one read of the system's random source; the instance
    # id names an observation, it need not sort.
    raw = os.urandom(16 * count)
    return [uuid.UUID(bytes=raw[i : i + 16], version=4) for i in range(0, 16 * count, 16)]


_POSTGRES_INSERT = (
    "INSERT INTO {table} (tenant_id, entity_id, attr, dataset_id, observed_at, value, number, "
    "instance_id) SELECT r.tenant_id, r.entity_id, r.attr, r.dataset_id, r.observed_at, "
    "r.value, r.number, r.instance_id FROM jsonb_to_recordset(%s::jsonb) AS r(tenant_id "
    "bigint, entity_id text, attr text, dataset_id text, observed_at timestamptz, value "
    "jsonb, number double precision, instance_id uuid) ON CONFLICT DO NOTHING"
)


def history_write(rows: Sequence[HistoryRow]) -> None:
    """Store ``rows`` in the history; rows already there are left as they are.

    On PostgreSQL the whole batch is one statement with one parameter, a JSON array the
    server turns into rows (``jsonb_to_recordset``): no per-row parameters to adapt or
    quote. On SQLite (in process) a plain ``executemany``."""
    if not rows:
        return
    ops = connection.ops
    table = ops.quote_name(Observation._meta.db_table)
    ids = _instance_ids(len(rows))
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            document = [
                {
                    "tenant_id": row.tenant_id,
                    "entity_id": row.entity_id,
                    "attr": row.attr,
                    "dataset_id": row.dataset_id,
                    "observed_at": row.observed_at.isoformat(),
                    "value": row.value,
                    "number": row.number,
                    "instance_id": str(instance_id),
                }
                for row, instance_id in zip(rows, ids, strict=True)
            ]
            text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
            cursor.execute(_POSTGRES_INSERT.format(table=table), [text])
            return
        cursor.executemany(
            f"INSERT INTO {table} (tenant_id, entity_id, attr, dataset_id, observed_at, "  # noqa: S608 - names only
            "value, number, instance_id) VALUES (%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT DO NOTHING",
            [
                (
                    row.tenant_id,
                    row.entity_id,
                    row.attr,
                    row.dataset_id,
                    ops.adapt_datetimefield_value(row.observed_at),
                    json.dumps(row.value, ensure_ascii=False, separators=(",", ":")),
                    row.number,
                    instance_id.hex,
                )
                for row, instance_id in zip(rows, ids, strict=True)
            ],
        )
