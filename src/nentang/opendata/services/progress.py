"""The progress of a datastore load, visible to others while the load runs.

A load replaces its table inside one transaction (nothing half-loaded), so what that
transaction writes — the job's ``rows_done`` included — is invisible until it commits.
Progress therefore travels outside it:

* on **PostgreSQL**, through a second connection of its own, in autocommit: each batch
  updates the job's row and commits at once (the load's transaction never touches that
  row until its end, so the two never wait for each other);
* on **SQLite**, which has one writer at a time (the load holds it), through a small
  file beside the uploaded files, ``progress/<job id>``, that readers overlay on the
  job's row while it runs (:func:`overlay`); outside a transaction the row itself is
  updated, as on PostgreSQL.

When the load is itself called inside a transaction (an upload loaded inline within a
request's transaction, or a test), the job row is not committed either: progress is
then written in that transaction, as before. Progress is best effort: a failure to
write it is logged and never fails the load.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections

from nentang.opendata.models import IngestJob
from nentang.opendata.services.files import storage_root

logger = logging.getLogger("nentang.opendata.progress")
FIELDS = ("bytes_done", "rows_done", "rows_total")


def _path(job: IngestJob) -> Path:
    return storage_root() / "progress" / str(job.public_id)


class LoadProgress:
    """Writes a job's progress where others can read it while the load runs."""

    def __init__(self, job: IngestJob | None) -> None:
        self.job = job
        # Visible only when the job row itself is committed (no transaction around us).
        self.outside = job is not None and not connection.in_atomic_block
        self._side: Any = None
        self.values: dict[str, int] = {}

    def write(self, **values: int) -> None:
        if self.job is None:
            return
        self.values.update(values)
        for name, value in values.items():
            setattr(self.job, name, value)
        try:
            if not self.outside or not connection.in_atomic_block:
                IngestJob.objects.filter(pk=self.job.pk).update(**values)
            elif connection.vendor == "postgresql":
                self._write_side(values)
            else:
                self._write_file()
        except (DatabaseError, OSError):  # progress never fails a load
            logger.warning("progress of job %s not written", self.job.public_id, exc_info=True)

    def _write_side(self, values: dict[str, int]) -> None:
        assert self.job is not None
        if self._side is None:
            side = connections.create_connection(DEFAULT_DB_ALIAS)
            side.ensure_connection()
            with side.cursor() as cursor:  # never wait behind a lock for a progress figure
                cursor.execute("SET lock_timeout = '2s'")
            self._side = side
        assignments = ", ".join(f"{self._side.ops.quote_name(n)} = %s" for n in values)
        table = self._side.ops.quote_name(IngestJob._meta.db_table)
        with self._side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 - model names
                [*values.values(), self.job.pk],
            )

    def _write_file(self) -> None:
        assert self.job is not None
        path = _path(self.job)
        path.parent.mkdir(parents=True, exist_ok=True)
        text = " ".join(f"{n}={v}" for n, v in self.values.items())
        partial = path.with_suffix(".part")
        partial.write_text(text, encoding="ascii")
        os.replace(partial, path)  # readers see the old figures or the new, never half

    def close(self) -> None:
        if self._side is not None:
            with contextlib.suppress(DatabaseError):
                with self._side.cursor() as cursor:  # the connection may go back to a pool
                    cursor.execute("RESET lock_timeout")
                self._side.close()
            self._side = None
        if self.job is not None:
            with contextlib.suppress(OSError):
                _path(self.job).unlink(missing_ok=True)


def overlay(jobs: Iterable[IngestJob]) -> None:
    """Give running jobs the progress their load wrote outside its transaction (only
    SQLite keeps any outside the job's row)."""
    for job in jobs:
        if job.status != IngestJob.Status.RUNNING:
            continue
        try:
            text = _path(job).read_text(encoding="ascii")
        except OSError:
            continue
        for pair in text.split():
            name, _sep, value = pair.partition("=")
            if name in FIELDS and value.isdigit():
                setattr(job, name, max(int(value), getattr(job, name)))
