"""Reading the datastore: ``datastore_search`` (filters, q, fields, sort, paging,
distinct, totals, facets) and ``datastore_search_sql`` (one read-only SELECT over
datastore tables the caller may read, parsed and rewritten with sqlglot, a statement
timeout and a row cap). Values are always bound as parameters; identifiers come from
the table's own field list, never from the request."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils.translation import gettext as _

from nentang.kernel.errors import BadRequest, FieldError, NotFound, ValidationFailed
from nentang.opendata import full_text
from nentang.opendata.models import Dataset, DatastoreTable, Resource
from nentang.opendata.problems import DATASTORE_NOT_FOUND, SQL_REFUSED
from nentang.opendata.selectors.catalogue import PUBLIC_STATES, resource_get, visible_datasets
from nentang.opendata.services import parsing
from nentang.opendata.services.datastore import q as quote
from nentang.opendata.services.datastore import to_python

MAX_LIMIT = 32_000
SQL_ROW_CAP = 10_000
SQL_TIMEOUT_MS = 5_000
FACET_CACHE_SECONDS = 3600


@dataclass
class Page:
    fields: list[dict[str, Any]]
    records: list[dict[str, Any]]
    total: int | None
    facets: dict[str, dict[str, int]] = field(default_factory=dict)


def datastore_get(*, account: Any, resource_id: str) -> tuple[Resource, DatastoreTable]:
    resource = resource_get(account=account, ref=resource_id)
    # Read with the resource (one query): None when it has no table.
    store: DatastoreTable | None = getattr(resource, "datastore", None)
    if store is None:
        raise NotFound(_("This resource has no datastore table."), code=DATASTORE_NOT_FOUND)
    return resource, store


def _public_store(resource_id: str) -> DatastoreTable | None:
    """The table of a resource of a published public dataset, in one small query with
    no model of the resource or dataset built: the path of anonymous reads (most of
    them), where building the ORM's join and subquery cost more than the page itself.
    None for anything else (then :func:`datastore_get` decides: 404, or no table)."""
    try:
        key = uuid.UUID(str(resource_id))
    except ValueError:
        return None
    meta = {m: m._meta for m in (DatastoreTable, Resource, Dataset)}
    table, resource, dataset = (quote(m.db_table) for m in meta.values())
    public_id = Resource._meta.get_field("public_id").get_db_prep_value(key, connection)
    private = Dataset._meta.get_field("private").get_db_prep_value(False, connection)
    with connection.cursor() as cursor:
        sql = (
            "SELECT t.id, t.table_name, t.fields, t.row_count, t.ids_dense, t.modified_at "  # noqa: S608 - model tables
            f"FROM {table} t JOIN {resource} r ON r.id = t.resource_id "
            f"JOIN {dataset} d ON d.id = r.dataset_id "
            "WHERE r.public_id = %s AND d.state IN (%s, %s) AND d.private = %s"
        )
        cursor.execute(sql, [public_id, *PUBLIC_STATES, private])
        row = cursor.fetchone()
    if row is None:
        return None
    # A plain read and an unsaved model: the ORM's RawQuerySet cost more than the page.
    pk, name, fields, row_count, ids_dense, modified_at = row
    return DatastoreTable(
        id=pk, table_name=name, fields=json.loads(fields) if isinstance(fields, str) else fields,
        row_count=row_count, ids_dense=bool(ids_dense), modified_at=modified_at,
    )  # fmt: skip


def _public_fields(store: DatastoreTable) -> list[dict[str, Any]]:
    return [{"id": "_id", "type": "int"}] + [
        {"id": f["id"], "type": f["type"], **({"info": f["info"]} if f.get("info") else {})}
        for f in store.fields
    ]


def _invalid(name: str, message: str) -> ValidationFailed:
    return ValidationFailed(message, errors=[FieldError(name, message, "invalid")])


def datastore_search(
    *, account: Any, resource_id: str, filters: dict[str, Any] | None = None, q: str = "",
    fields: list[str] | None = None, sort: str = "", limit: int = 100, offset: int = 0,
    include_total: bool = True, distinct: bool = False, facets: list[str] | None = None,
    facet_limit: int = 50,
) -> Page:  # fmt: skip
    found = _public_store(resource_id) if account is None else None
    store = found or datastore_get(account=account, resource_id=resource_id)[1]
    types = {f["id"]: f for f in store.fields}
    types["_id"] = {"id": "_id", "type": "int", "kind": "int"}
    if not 0 <= limit <= MAX_LIMIT:
        raise _invalid("limit", _("limit is 0 to 32000."))
    if offset < 0:
        raise _invalid("offset", _("offset is 0 or more."))
    chosen = fields or ["_id", *[f["id"] for f in store.fields]]
    unknown = [name for name in chosen if name not in types]
    if unknown:
        raise _invalid("fields", _("Unknown field: %(f)s.") % {"f": ", ".join(unknown)})
    where, params = [], []
    for name, value in (filters or {}).items():
        if name not in types:
            raise _invalid("filters", _("Unknown field: %(f)s.") % {"f": name})
        values = value if isinstance(value, list) else [value]
        try:
            converted = [parsing.convert(v, types[name].get("kind", "text")) for v in values]
        except (ValueError, TypeError):
            raise _invalid("filters", _("A filter value does not fit its column.")) from None
        if not converted:
            continue
        where.append(f"{quote(name)} IN ({', '.join(['%s'] * len(converted))})")
        params.extend(converted)
    words = full_text.query_words(q)
    if words:
        condition, match = full_text.match_clause(connection.vendor, store.table_name, words, quote)
        where.append(condition)
        params.append(match)
    clause = f" WHERE {' AND '.join(where)}" if where else ""
    # Deep pages of the whole table in _id order: when _id runs 1..row_count without
    # gaps (ids_dense: every load keeps it, a delete would clear it), the row at offset
    # n is the one after _id n, so OFFSET n (a walk over n rows) becomes _id > n (an
    # index seek) with the same rows. Anything else — filters, q, a sort, distinct, a
    # table with gaps — pages with OFFSET.
    keyset = store.ids_dense and not where and not sort and not distinct and offset > 0
    order = []
    for part in (sort or "").split(","):
        name, direction = part.strip(), "asc"
        if not name:
            continue
        head, _space, tail = name.rpartition(" ")
        if head and tail.lower() in ("asc", "desc"):
            name, direction = head.strip(), tail.lower()
        name = name.strip('"')
        if name not in types:
            raise _invalid("sort", _("Unknown sort: %(s)s.") % {"s": part.strip()})
        order.append(f"{quote(name)} {direction.upper()}")
    if not distinct:
        order.append(f"{quote('_id')} ASC")
    table = quote(store.table_name)
    select = ", ".join(quote(n) for n in chosen)
    sql = f"SELECT {'DISTINCT ' if distinct else ''}{select} FROM {table}{clause}"  # noqa: S608 - quoted identifiers, bound values
    if order:
        sql += f" ORDER BY {', '.join(order)}"
    if keyset:
        sql = sql.replace(f" FROM {table}", f" FROM {table} WHERE {quote('_id')} > %s", 1)
        sql += " LIMIT %s"
        arguments = [offset, limit]
    else:
        sql += " LIMIT %s OFFSET %s"
        arguments = [*params, limit, offset]
    with connection.cursor() as cursor:
        cursor.execute(sql, arguments)
        rows = cursor.fetchall()
        total = None
        if include_total and not where and not distinct:
            # The whole table: every load keeps its row count (a table changes only by
            # loading), so a page costs no COUNT(*) over a million rows.
            total = store.row_count
        elif include_total:
            if distinct:
                cursor.execute(
                    f"SELECT COUNT(*) FROM (SELECT DISTINCT {select} FROM {table}{clause}) AS d",  # noqa: S608
                    params,
                )
            else:
                cursor.execute(f"SELECT COUNT(*) FROM {table}{clause}", params)  # noqa: S608
            total = int(cursor.fetchone()[0])
        facet_counts = {}
        for name in facets or []:
            if name not in types:
                raise _invalid("facets", _("Unknown field: %(f)s.") % {"f": name})
            # A table changes only by loading (which moves modified_at): its facet counts
            # are kept per version, so a facet over a million rows is counted once.
            key = (
                "od:facet:"
                + hashlib.sha256(
                    repr(
                        (
                            store.table_name,
                            str(store.modified_at),
                            name,
                            clause,
                            params,
                            facet_limit,
                        )
                    ).encode()
                ).hexdigest()
            )
            cached = cache.get(key)
            if cached is not None:
                facet_counts[name] = cached
                continue
            cursor.execute(
                f"SELECT {quote(name)}, COUNT(*) AS n FROM {table}{clause} GROUP BY {quote(name)} "  # noqa: S608
                "ORDER BY n DESC, 1 LIMIT %s",
                [*params, facet_limit],
            )
            facet_counts[name] = {
                str(to_python(v, types[name]["type"])): int(n) for v, n in cursor.fetchall()
            }
            cache.set(key, facet_counts[name], FACET_CACHE_SECONDS)
    # Only booleans and dates change on the way out (to_python); the other columns are
    # taken as the database gives them.
    converted = [
        (i, types[n]["type"]) for i, n in enumerate(chosen) if types[n]["type"] in ("bool", "date")
    ]
    if converted:
        changed = []
        for row in rows:
            values = list(row)
            for i, ckan_type in converted:
                values[i] = to_python(values[i], ckan_type)
            changed.append(values)
        rows = changed
    records = [dict(zip(chosen, row, strict=True)) for row in rows]
    selected = [f for f in _public_fields(store) if f["id"] in chosen]
    return Page(fields=selected, records=records, total=total, facets=facet_counts)


# --- SQL ----------------------------------------------------------------------------

ALLOWED_FUNCTIONS = {
    "Count", "Sum", "Avg", "Min", "Max", "Lower", "Upper", "Coalesce", "Abs", "Round",
    "Length", "Substring", "Cast", "TryCast", "Trim", "Concat", "DPipe", "If", "Case",
    "Nullif", "Floor", "Ceil", "Extract", "StrPosition", "Greatest", "Least", "Distinct",
    "Star", "Stddev", "Variance", "Median",
}  # fmt: skip
FORBIDDEN = (
    "Insert",
    "Update",
    "Delete",
    "Drop",
    "Create",
    "Alter",
    "Command",
    "Pragma",
    "Set",
    "Into",
    "Merge",
    "Lock",
    "Copy",
)  # fmt: skip (sqlglot's expression classes, looked up when a statement is checked)


def _refuse(message: str, reason: str = "refused") -> BadRequest:
    return BadRequest(message, code=SQL_REFUSED, extra={"reason": reason})


def sql_check(sql: str, *, account: Any) -> tuple[str, list[str]]:
    """Parse ``sql``; refuse anything but one SELECT over readable datastore tables with
    allowed functions; return the statement regenerated for our database."""
    if not sql or len(sql) > 20_000:
        raise _refuse(_("Give one SELECT statement (at most 20,000 characters)."))
    # sqlglot is imported inside: it costs every `nentang` process start-up otherwise.
    try:
        return _sql_check(sql, account=account)
    except RecursionError:
        raise _refuse(_("The SQL is nested too deeply.")) from None


# A cast calls the target type's input function: only plain data types.
CAST_TYPES = {
    "BIGINT", "BOOLEAN", "CHAR", "DATE", "DECIMAL", "DOUBLE", "FLOAT", "INT", "NCHAR",
    "NUMERIC", "NVARCHAR", "REAL", "SMALLINT", "TEXT", "TIMESTAMP", "TIMESTAMPTZ",
    "TINYINT", "VARCHAR", "BIGDECIMAL", "UBIGINT", "UINT", "USMALLINT", "UTINYINT",
}  # fmt: skip


def _sql_check(sql: str, *, account: Any) -> tuple[str, list[str]]:
    import sqlglot
    from sqlglot import exp

    forbidden = tuple(getattr(exp, name) for name in FORBIDDEN)
    read = "postgres"
    try:
        statements = [s for s in sqlglot.parse(sql, read=read) if s is not None]
    except sqlglot.errors.SqlglotError:
        raise _refuse(_("The SQL could not be parsed.")) from None
    if len(statements) != 1:
        raise _refuse(_("Exactly one statement, please."))
    tree = statements[0]
    if not isinstance(tree, exp.Select | exp.Union | exp.Intersect | exp.Except):
        raise _refuse(_("Only SELECT statements are allowed."))
    for node in tree.walk():
        if isinstance(node, forbidden):
            raise _refuse(_("Only reading is allowed."))
        if isinstance(node, exp.Anonymous):
            raise _refuse(_("The function %(f)s is not allowed.") % {"f": node.name})
        if isinstance(node, exp.Func) and type(node).__name__ not in ALLOWED_FUNCTIONS:
            raise _refuse(_("The function %(f)s is not allowed.") % {"f": type(node).__name__})
        target = node.args["to"].this if isinstance(node, exp.Cast) else None
        if target is not None and str(getattr(target, "value", target)) not in CAST_TYPES:
            raise _refuse(_("Casting to %(t)s is not allowed.") % {"t": node.args["to"].sql()})
    # A CTE's name is not one scope-wide: outside its WITH (or inside its own
    # non-recursive body) the same name is a real table of the platform. Every CTE and
    # every reference to its name is renamed to a name no table has, so a reference
    # reads the CTE or nothing, never the table it shadowed.
    renamed = {
        cte.alias: f"nentang_cte_{n}" for n, cte in enumerate(tree.find_all(exp.CTE)) if cte.alias
    }
    for cte in tree.find_all(exp.CTE):
        cte.args["alias"].set("this", exp.to_identifier(renamed[cte.alias]))
    for column in tree.find_all(exp.Column):
        if column.table in renamed:
            column.set("table", exp.to_identifier(renamed[column.table]))
    tables = []
    for table in tree.find_all(exp.Table):
        if table.args.get("db") or table.args.get("catalog"):
            raise _refuse(_("Only datastore tables may be read."))
        if table.name in renamed:
            table.set("this", exp.to_identifier(renamed[table.name]))
            continue
        tables.append(table.name)
    if not tables:
        raise _refuse(_("Read from a datastore table."))
    allowed = set(
        DatastoreTable.objects.filter(
            table_name__in=tables, resource__dataset__in=visible_datasets(account)
        ).values_list("table_name", flat=True)
    )
    for name in tables:
        try:
            uuid.UUID(name)
        except ValueError:
            raise _refuse(_("Only datastore tables may be read: %(t)s.") % {"t": name}) from None
        if name not in allowed:
            raise NotFound(
                _("No datastore table you may read is called %(t)s.") % {"t": name},
                code=DATASTORE_NOT_FOUND,
            )
    dialect = "postgres" if connection.vendor == "postgresql" else "sqlite"
    return tree.sql(dialect=dialect), tables


@contextmanager
def _guarded(timeout_ms: int) -> Iterator[None]:
    """A read-only transaction with a time limit on either database."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION READ ONLY")
                cursor.execute(
                    "SELECT set_config('statement_timeout', %s, true)", [str(timeout_ms)]
                )
            yield
            return
        raw = connection.connection
        deadline = time.monotonic() + timeout_ms / 1000
        raw.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA query_only = ON")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA query_only = OFF")
            raw.set_progress_handler(None, 0)


def datastore_search_sql(*, account: Any, sql: str, timeout_ms: int = SQL_TIMEOUT_MS) -> Page:
    statement, _tables = sql_check(sql, account=account)
    wrapped = f"SELECT * FROM ({statement}) AS nentang_q LIMIT {SQL_ROW_CAP + 1}"  # noqa: S608 - regenerated by sqlglot from a checked tree
    try:
        with _guarded(timeout_ms), connection.cursor() as cursor:
            cursor.execute(wrapped)
            names = [c[0] for c in cursor.description]
            rows = cursor.fetchall()
    except Exception as error:
        text = str(error).lower()
        if "interrupt" in text or "timeout" in text or "cancel" in text:
            message = _("The query ran longer than %(ms)s ms and was stopped.") % {"ms": timeout_ms}
            raise _refuse(message, "timeout") from None
        raise _refuse(
            _("The database refused the query: %(e)s") % {"e": str(error).splitlines()[0][:200]}
        ) from None
    if len(rows) > SQL_ROW_CAP:
        raise _refuse(
            _("The query returns more than %(n)s rows; add a LIMIT.") % {"n": SQL_ROW_CAP}
        )
    records = [
        {
            n: (v.isoformat() if hasattr(v, "isoformat") else v)
            for n, v in zip(names, row, strict=True)
        }
        for row in rows
    ]
    return Page(
        fields=[{"id": n, "type": "text"} for n in names], records=records, total=len(records)
    )
