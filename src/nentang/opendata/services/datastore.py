"""The datastore: one SQL table per resource, named by the resource id as in CKAN
(``SELECT * FROM "<resource id>"``), with CKAN's ``_id`` column and a hidden folded
``_full_text`` column for ``q``, with its full-text index (``opendata.full_text``).

Ingestion reads the file twice, streaming: the first pass checks every row (ragged
rows, cells that do not fit) and infers the types, the second replaces (or appends
to) the table in one transaction — so a bad file changes nothing. Values always travel
as query parameters; identifiers are quoted by the database backend.
"""

from __future__ import annotations

import datetime
import functools
import logging
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.copyrows import copy_rows
from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.kernel.text import clean
from nentang.opendata import full_text
from nentang.opendata.encodings import ENCODINGS
from nentang.opendata.models import Dataset, DatastoreTable, IngestJob, Resource
from nentang.opendata.problems import INGEST_FAILED
from nentang.opendata.services import parsing
from nentang.opendata.services.common import actor_of, has_nul, require_publisher
from nentang.opendata.services.files import stored_file
from nentang.opendata.services.progress import LoadProgress

logger = logging.getLogger("nentang.opendata.datastore")
BATCH = 2000
# Uploads larger than this are ingested by the worker (a background task).
INLINE_LIMIT = 2 * 1024 * 1024
# Rows of one loaded file: the first pass stops there, so a file that unzips or repeats
# into far more rows costs a bounded read (programs load more through datastore_upsert).
MAX_ROWS = 5_000_000

SQL_TYPES = {
    "postgresql": {"int": "bigint", "numeric": "double precision", "date": "date",
                   "bool": "boolean", "text": "text"},
    "sqlite": {"int": "INTEGER", "numeric": "REAL", "date": "TEXT", "bool": "INTEGER",
               "text": "TEXT"},
}  # fmt: skip


def q(name: str) -> str:
    """``name`` as an SQL identifier, any '"' in it doubled (Django's quote_name leaves an
    inner quote as it is: a column named by a publisher could close the identifier)."""
    return '"' + str(name).replace('"', '""') + '"'


def table_name(resource: Resource) -> str:
    return str(resource.public_id)


def _drop_table(name: str) -> None:
    with connection.cursor() as cursor:
        for statement in full_text.drop_statements(connection.vendor, name, q):
            cursor.execute(statement)
        cursor.execute(f"DROP TABLE IF EXISTS {q(name)}")


def table_drop(resource: Resource) -> None:
    """The resource's datastore table and its full-text index, dropped in the caller's
    transaction (a deleted resource leaves no table behind)."""
    _drop_table(table_name(resource))


def _create_table(name: str, fields: Sequence[Mapping[str, Any]], *, index: bool = True) -> None:
    """A new empty table (replacing the old); ``index=False`` leaves the full-text
    index to :func:`_index_table`, once the table is filled (one pass over the rows
    instead of an index update per row)."""
    types = SQL_TYPES[connection.vendor]
    columns = [f"{q('_id')} integer PRIMARY KEY", f"{q('_full_text')} text"]
    columns += [f"{q(f['id'])} {types[f['type']]}" for f in fields]
    _drop_table(name)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {q(name)} ({', '.join(columns)})")
    if index:
        _index_table(name)


def _index_table(name: str, columns: Sequence[str] = ()) -> None:
    """The full-text index of a table (built from its rows), and plain indexes on
    ``columns`` (for filters and facets)."""
    with connection.cursor() as cursor:
        for statement in full_text.index_statements(connection.vendor, name, q):
            cursor.execute(statement)
        for position, column in enumerate(columns):
            index = q(f"{name[:40]}_ix{position}")
            cursor.execute(f"CREATE INDEX {index} ON {q(name)} ({q(column)})")


def _full_text(values: Iterable[Any]) -> str:
    return _folded(" ".join(v for v in values if isinstance(v, str) and v))


@functools.lru_cache(maxsize=65536)
def _folded(text: str) -> str:
    """Folding is most of a row's cost; the text cells of a table repeat (provinces,
    stations, categories), so a row's words are often folded already."""
    return full_text.normalise(text)[:4000]


def _insert(
    name: str,
    fields: Sequence[Mapping[str, Any]],
    rows: Iterable[list[Any]],
    start: int,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    columns = ["_id", "_full_text", *[f["id"] for f in fields]]
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {q(name)} ({', '.join(q(c) for c in columns)}) VALUES ({placeholders})"  # noqa: S608 - quoted identifiers, bound values
    batch: list[list[Any]] = []
    count = 0

    def write(cursor: Any, batch: list[list[Any]]) -> None:
        if connection.vendor == "postgresql":  # COPY: the values as they are, no binding
            copy_rows(connection, name, columns, batch)
        else:
            cursor.executemany(sql, batch)

    with connection.cursor() as cursor:
        for row in rows:
            count += 1
            batch.append([start + count, _full_text(row), *row])
            if len(batch) >= BATCH:
                write(cursor, batch)
                batch = []
                if on_batch is not None:
                    on_batch(count)
        if batch:
            write(cursor, batch)
    if on_batch is not None:
        on_batch(count)
    return count


def _next_id(name: str) -> int:
    """The last ``_id`` of a table (0 when empty): appends continue after it, so a table
    whose ``_id`` runs 1..n without gaps (:attr:`DatastoreTable.ids_dense`) stays so, and
    one with gaps never reuses an ``_id``."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX({q('_id')}) FROM {q(name)}")  # noqa: S608 - quoted identifier
        return int(cursor.fetchone()[0] or 0)


def _refuse(message: str, *, row: int = 0, column: str = "") -> ValidationFailed:
    where = []
    if row:
        where.append(_("row %(row)s") % {"row": row})
    if column:
        where.append(_("column “%(column)s”") % {"column": column})
    detail = message if not where else f"{message} ({', '.join(where)})"
    return ValidationFailed(
        detail, code=INGEST_FAILED, errors=[FieldError(column or "upload", detail, INGEST_FAILED)],
        extra={"row": row, "column": column},
    )  # fmt: skip


def _check_field_names(names: list[str]) -> None:
    """Column names a client declares (``datastore_create``'s fields, or its records'
    keys): as CKAN, none starts with ``_`` (``_id`` and ``_full_text`` are ours), and
    each is 1 to 63 printable characters, once."""
    seen: set[str] = set()
    for name in names:
        printable = all(unicodedata.category(ch) != "Cc" for ch in name)
        if not name.strip() or len(name) > parsing.MAX_NAME or not printable:
            message = _("A column name is 1 to 63 printable characters.")
        elif name.startswith("_"):
            message = _("A column name must not start with an underscore.")
        elif name in seen:
            message = _("The column name %(name)s is given twice.") % {"name": name}
        else:
            seen.add(name)
            continue
        raise ValidationFailed(
            message, code=INGEST_FAILED, errors=[FieldError("fields", message, INGEST_FAILED)]
        )


def _typed_rows(table: parsing.Table, kinds: list[str]) -> Iterable[list[Any]]:
    for number, row in enumerate(table.rows, start=2):
        try:
            yield [parsing.convert(v, k) for v, k in zip(row, kinds, strict=True)]
        except ValueError as error:
            raise parsing.ParseError(
                _("A value does not fit its column: %(value)s.") % {"value": error}, row=number
            ) from None


def ingest_file(
    *, actor: Actor, resource: Resource, path: Path, fmt: str, encoding: str | None = None,
    mode: str = "replace", job: IngestJob | None = None,
) -> DatastoreTable:  # fmt: skip
    """Load a file into the resource's table (see the module docstring)."""
    total = path.stat().st_size
    progress = LoadProgress(job)

    def report(done: int) -> None:
        if job is not None and (done - job.bytes_done > 1 << 20 or done == total):
            progress.write(bytes_done=done)

    existing = DatastoreTable.objects.filter(resource=resource).first()
    try:
        first = parsing.read(path, fmt, encoding=encoding, progress=report)
        inference = parsing.Inference(len(first.headers))
        rows = 0
        for row in first.rows:
            inference.add(row)
            rows += 1
            if rows > MAX_ROWS:  # an XLSX of 10 MB can unzip to tens of millions of rows
                count = f"{MAX_ROWS:,}".replace(",", ".")
                message = _("More than %(n)s rows: split the file.") % {"n": count}
                raise parsing.ParseError(message, row=rows + 1)
        kinds = inference.types()
        progress.write(rows_total=rows)
        if mode == "append" and existing is not None:
            known = {f["id"]: f for f in existing.fields}
            if list(known) != first.headers:
                raise parsing.ParseError(_("The columns differ from the table's."), row=1)
            kinds = [f.get("kind", "text") for f in existing.fields]
        fields = [
            {"id": name, "type": parsing.CKAN_TYPES[kind], "kind": kind, "info": {}}
            for name, kind in zip(first.headers, kinds, strict=True)
        ]
        if existing is not None:  # keep the descriptions publishers wrote
            infos = {f["id"]: f.get("info", {}) for f in existing.fields}
            for f in fields:
                f["info"] = infos.get(f["id"], {})
        second = parsing.read(
            path, fmt, encoding=first.encoding if first.encoding != "xlsx" else None
        )
        name = table_name(resource)
        with transaction.atomic():
            _lock(resource)  # one writer per table; read what the last one left
            existing = DatastoreTable.objects.filter(resource=resource).first()
            start = 0
            fresh = not (mode == "append" and existing is not None)
            if fresh:
                _create_table(name, fields, index=False)
            else:
                assert existing is not None
                start = _next_id(name)

            def batch_done(count: int) -> None:  # visible outside this transaction
                progress.write(rows_done=count)

            loaded = _insert(name, fields, _typed_rows(second, kinds), start, batch_done)
            kept = 0 if fresh or not existing else existing.row_count
            if fresh:
                _index_table(name)
            now = timezone.now()
            store, _created = DatastoreTable.objects.update_or_create(
                resource=resource,
                defaults={"table_name": name, "fields": fields,
                          "row_count": kept + loaded,
                          "ids_dense": fresh or bool(existing and existing.ids_dense),
                          "encoding": first.encoding, "modified_at": now,
                          "created_at": existing.created_at if existing else now},
            )  # fmt: skip
            Resource.objects.filter(pk=resource.pk).update(encoding=first.encoding, modified_at=now)
            Dataset.objects.filter(pk=resource.dataset_id).update(
                data_updated_at=now, modified_at=now
            )
            auditing.record(
                actor=actor, action="opendata.datastore.load", subject_type="opendata.resource",
                subject=str(resource.public_id),
                summary={"rows": loaded, "mode": mode, "encoding": first.encoding},
            )  # fmt: skip
    except parsing.ParseError as error:
        raise _refuse(str(error), row=error.row, column=error.column) from None
    finally:
        progress.close()
    del rows
    return store


KINDS = {"int": "int", "numeric": "dec_en", "date": "date", "bool": "bool", "text": "text"}


def datastore_load_rows(
    *, actor: Actor, resource: Resource, fields: Sequence[Mapping[str, Any]],
    rows: Iterable[Sequence[Any]], indexed: Sequence[str] = (),
    on_batch: Callable[[int], None] | None = None,
) -> DatastoreTable:  # fmt: skip
    """The bulk path, for rows a program generates (the demo's million-row table):
    ``rows`` are Python values in the order of ``fields`` (CKAN types ``int``,
    ``numeric``, ``date``, ``bool``, ``text``), streamed — never all in memory — into
    a new table that replaces the resource's, in one transaction. The table is filled
    bare (PostgreSQL ``COPY``, SQLite ``executemany``) and indexed afterwards: the
    full-text index and plain indexes on the ``indexed`` columns. The caller checked
    the permission; files go through :func:`ingest_file`."""
    declared = [
        {"id": str(f["id"]), "type": str(f["type"]), "kind": KINDS[str(f["type"])],
         "info": dict(f.get("info") or {})}
        for f in fields
    ]  # fmt: skip
    names = [f["id"] for f in declared]
    if any(column not in names for column in indexed):
        raise ValueError("an indexed column is not one of the fields")
    name = table_name(resource)
    with transaction.atomic():
        _lock(resource)
        existing = DatastoreTable.objects.filter(resource=resource).first()
        _create_table(name, declared, index=False)
        loaded = _insert(name, declared, (list(row) for row in rows), 0, on_batch)
        _index_table(name, indexed)
        now = timezone.now()
        store, _created = DatastoreTable.objects.update_or_create(
            resource=resource,
            defaults={"table_name": name, "fields": declared, "row_count": loaded,
                      "ids_dense": True, "encoding": "utf-8", "modified_at": now,
                      "created_at": existing.created_at if existing else now},
        )  # fmt: skip
        Dataset.objects.filter(pk=resource.dataset_id).update(data_updated_at=now, modified_at=now)
        auditing.record(
            actor=actor, action="opendata.datastore.load", subject_type="opendata.resource",
            subject=str(resource.public_id), summary={"rows": loaded, "mode": "bulk"},
        )  # fmt: skip
    with connection.cursor() as cursor:  # fresh statistics for the planner
        cursor.execute(f"ANALYZE {q(name)}")
    return store


def datastore_upload(
    *, account: Any, resource: Resource, encoding: str | None = None, mode: str = "replace",
    background: bool | None = None,
) -> IngestJob:  # fmt: skip
    """Ingest the resource's uploaded file: inline when small, by the worker when large
    (``background``), with an :class:`IngestJob` to watch either way."""
    require_publisher(account, resource.dataset.organisation, what="opendata.datastore.load")
    errors = []
    if not resource.stored_path:
        errors.append(FieldError("upload", _("Upload a file to the resource first."), "required"))
    if encoding and encoding not in ENCODINGS:
        errors.append(FieldError("encoding", _("Unknown encoding."), "invalid_choice"))
    if mode not in ("replace", "append"):
        errors.append(FieldError("mode", _("Replace or append."), "invalid_choice"))
    if resource.format.upper() not in ("CSV", "XLSX", "JSON", "TSV", "TXT"):
        errors.append(
            FieldError(
                "format", _("Only CSV, XLSX and JSON files are loaded."), "unsupported_format"
            )
        )
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), errors=errors)
    path = stored_file(resource)
    size = path.stat().st_size
    with transaction.atomic():
        job = IngestJob.objects.create(
            resource=resource, mode=mode, encoding=encoding or "", bytes_total=size,
            created_at=timezone.now(),
        )  # fmt: skip
        auditing.record(
            actor=actor_of(account), action="opendata.datastore.queue",
            subject_type="opendata.resource", subject=str(resource.public_id),
            summary={"job": str(job.public_id), "bytes": size},
        )  # fmt: skip
    if background is None:
        background = size > INLINE_LIMIT
    if background:
        from nentang.opendata.tasks import ingest  # a task module: no UI import

        transaction.on_commit(lambda: ingest.enqueue(str(job.public_id)))
        return job
    ingest_job_run(job_id=str(job.public_id), actor=actor_of(account))
    job.refresh_from_db()
    if job.status == IngestJob.Status.FAILED:
        error = job.error
        raise _refuse(
            error.get("detail", ""), row=error.get("row", 0), column=error.get("column", "")
        )
    return job


def ingest_job_run(*, job_id: str, actor: Actor | None = None) -> IngestJob:
    """Run one queued ingestion (the worker's task, or inline); failures are kept on
    the job with their row and column."""
    job = IngestJob.objects.select_related("resource", "resource__dataset").get(public_id=job_id)
    if job.status not in (IngestJob.Status.QUEUED, IngestJob.Status.RUNNING):
        return job
    IngestJob.objects.filter(pk=job.pk).update(status=IngestJob.Status.RUNNING)
    resource = job.resource
    try:
        ingest_file(
            actor=actor or Actor.system("opendata-ingest"), resource=resource,
            path=stored_file(resource), fmt=resource.format, encoding=job.encoding or None,
            mode=job.mode, job=job,
        )  # fmt: skip
    except ValidationFailed as refused:
        IngestJob.objects.filter(pk=job.pk).update(
            status=IngestJob.Status.FAILED, finished_at=timezone.now(),
            error={"detail": refused.detail, **refused.extra},
        )  # fmt: skip
    else:
        IngestJob.objects.filter(pk=job.pk).update(
            status=IngestJob.Status.DONE,
            finished_at=timezone.now(),
            bytes_done=job.bytes_total,
            rows_done=job.rows_done,
        )
    job.refresh_from_db()
    return job


def datastore_create(
    *, account: Any, resource: Resource, fields: list[Mapping[str, Any]] | None,
    records: Sequence[Mapping[str, Any]], method: str = "insert",
) -> DatastoreTable:  # fmt: skip
    """CKAN's ``datastore_create`` / ``datastore_upsert`` (insert): records as dicts."""
    require_publisher(account, resource.dataset.organisation, what="opendata.datastore.create")
    return store_records(
        actor=actor_of(account), resource=resource, fields=fields, records=records, method=method
    )


def store_records(
    *, actor: Actor, resource: Resource, fields: Sequence[Mapping[str, Any]] | None,
    records: Sequence[Mapping[str, Any]], method: str = "insert",
) -> DatastoreTable:  # fmt: skip
    """Write records into the resource's table (the caller checked the permission):
    new ``fields`` replace the table, none append to it. Writers of one table take
    turns (a lock on the resource row), so appends never reuse an ``_id``."""
    with transaction.atomic():
        _lock(resource)
        return _store_records(
            actor=actor, resource=resource, fields=fields, records=records, method=method
        )


def _lock(resource: Resource) -> None:
    Resource.objects.select_for_update().filter(pk=resource.pk).values_list("pk").first()


def _store_records(
    *, actor: Actor, resource: Resource, fields: Sequence[Mapping[str, Any]] | None,
    records: Sequence[Mapping[str, Any]], method: str,
) -> DatastoreTable:  # fmt: skip
    existing = DatastoreTable.objects.filter(resource=resource).first()
    if fields:
        declared = []
        for item in fields:
            kind = {"int": "int", "integer": "int", "bigint": "int", "numeric": "dec_en",
                    "float": "dec_en", "date": "date", "timestamp": "date", "bool": "bool",
                    "boolean": "bool"}.get(str(item.get("type", "text")), "text")  # fmt: skip
            declared.append({"id": str(item.get("id", "")), "type": parsing.CKAN_TYPES[kind],
                             "kind": kind, "info": dict(item.get("info") or {})})  # fmt: skip
    elif existing is not None:
        declared = list(existing.fields)
    else:
        keys: dict[str, None] = {}
        for record in records[:1000]:
            keys.update(dict.fromkeys(str(k) for k in record))
        inference = parsing.Inference(len(keys))
        for record in records:
            inference.add([record.get(k, "") for k in keys])
        declared = [
            {"id": k, "type": parsing.CKAN_TYPES[t], "kind": t, "info": {}}
            for k, t in zip(keys, inference.types(), strict=True)
        ]
    names = [str(f["id"]) for f in declared]
    if fields or existing is None:
        _check_field_names(names)
    kinds = [str(f["kind"]) for f in declared]
    rows = []
    for number, record in enumerate(records, start=1):
        if not isinstance(record, Mapping):
            raise _refuse(_("A record is an object."), row=number)
        unknown = set(record) - set(names)
        if unknown:
            raise _refuse(_("Unknown field."), row=number, column=sorted(unknown)[0])
        for key, value in record.items():
            if has_nul(value):
                message = _("A value must not contain a NUL character.")
                raise _refuse(message, row=number, column=key)
        try:
            rows.append(
                [parsing.convert(record.get(n, ""), k) for n, k in zip(names, kinds, strict=True)]
            )
        except ValueError:
            raise _refuse(_("A value does not fit its column."), row=number) from None
    name = table_name(resource)
    with transaction.atomic():
        start = 0
        fresh = existing is None or bool(fields)
        if fresh:
            _create_table(name, declared)
        else:
            start = _next_id(name)
        loaded = _insert(name, declared, rows, start)
        now = timezone.now()
        store, _created = DatastoreTable.objects.update_or_create(
            resource=resource,
            defaults={"table_name": name, "fields": declared,
                      "row_count": (0 if fresh or not existing else existing.row_count) + loaded,
                      "ids_dense": fresh or bool(existing and existing.ids_dense),
                      "modified_at": now, "created_at": existing.created_at if existing else now},
        )  # fmt: skip
        auditing.record(
            actor=actor, action="opendata.datastore.create",
            subject_type="opendata.resource", subject=str(resource.public_id),
            summary={"rows": loaded, "method": method},
        )  # fmt: skip
    return store


def datastore_field_describe(
    *, account: Any, resource: Resource, field: str, label: str, notes: str
) -> None:
    """Edit a column's description (CKAN's ``info``: label and notes)."""
    datastore_fields_describe(
        account=account, resource=resource, descriptions={field: (label, notes)}
    )


def datastore_fields_describe(
    *, account: Any, resource: Resource, descriptions: Mapping[str, tuple[str, str]]
) -> None:
    """The data dictionary: labels and notes of several columns, in one transaction
    (every column named must exist; nothing changes otherwise)."""
    require_publisher(account, resource.dataset.organisation, what="opendata.datastore.describe")
    errors = []
    for field, (label, notes) in descriptions.items():
        if "\x00" in label or "\x00" in notes:
            errors.append(FieldError(field, _("Remove the NUL characters."), "invalid"))
        elif len(label) > 200:
            errors.append(FieldError(field, _("A label has at most 200 characters."), "too_long"))
        elif len(notes) > 2000:
            errors.append(FieldError(field, _("Notes have at most 2,000 characters."), "too_long"))
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), errors=errors)
    with transaction.atomic():
        store = DatastoreTable.objects.select_for_update().filter(resource=resource).first()
        if store is None:
            raise ValidationFailed(
                errors=[FieldError("resource", _("This resource has no table."), "no_datastore")]
            )
        fields = list(store.fields)
        known = {item["id"]: item for item in fields}
        unknown = [name for name in descriptions if name not in known]
        if unknown:
            raise ValidationFailed(
                errors=[FieldError("field", _("No such column."), "unknown") for _n in unknown]
            )
        for name, (label, notes) in descriptions.items():
            known[name]["info"] = {"label": clean(label), "notes": notes.strip()}
        store.fields = fields
        store.save(update_fields=["fields"])
        auditing.record(
            actor=actor_of(account), action="opendata.datastore.describe",
            subject_type="opendata.resource", subject=str(resource.public_id),
            summary={"fields": sorted(descriptions)},
        )  # fmt: skip


def to_python(value: Any, ckan_type: str) -> Any:
    """A value read back from the table, as JSON wants it."""
    if value is None:
        return None
    if ckan_type == "bool":
        return bool(value)
    if ckan_type == "date":
        return value.isoformat() if isinstance(value, datetime.date) else str(value)
    return value
