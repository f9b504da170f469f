"""Model instances inserted by fixed statements, for the few writes made on every request
of a hot endpoint (the OpenID provider's tokens and data-usage entries).

Django's ``Model.save`` compiles its ``INSERT`` anew on every call and makes one round
trip per row. Here the statement's text is built once per model and database vendor
from the model's metadata; each call only prepares the values, exactly as the ORM does
(``Field.pre_save`` — ``auto_now``, defaults already set, computed columns — then
``Field.get_db_prep_save``). Rows that refer to each other go in one statement on
PostgreSQL (a data-modifying ``WITH``: a row takes an earlier row's new id); elsewhere
each row is saved in turn by the ORM. No model signals are sent (callers use models
without receivers).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, cast

from django.db import connection, models
from django.db.models.fields import AutoFieldMixin

from nentang.kernel.boundsql import bound_cursor

_Layout = tuple[str, str, tuple[models.Field[Any, Any], ...]]
_TEXTS: dict[tuple[str, type[models.Model]], _Layout] = {}


def _layout(model: type[models.Model]) -> _Layout:
    """(quoted table, quoted pk column, the fields that take a value) of ``model``."""
    key = (connection.vendor, model)
    found = _TEXTS.get(key)
    if found is None:
        quote = connection.ops.quote_name
        pk = model._meta.pk
        assert pk is not None
        fields = tuple(
            field
            for field in model._meta.concrete_fields
            if not (field.primary_key and isinstance(field, cast(Any, AutoFieldMixin)))
        )
        found = (quote(model._meta.db_table), quote(pk.column), fields)
        _TEXTS[key] = found
    return found


# Fields whose ``pre_save`` reads the attribute and whose ``get_db_prep_save`` returns a
# value of this exact type (or None) unchanged, on every database: those values skip the
# two calls (most of a token row's preparation). Exact classes only: a subclass may
# convert. A foreign key counts when its target is an integer auto primary key.
_PLAIN: dict[type[models.Field[Any, Any]], type] = {
    models.CharField: str,
    models.TextField: str,
    models.IntegerField: int,
    models.BigIntegerField: int,
    models.SmallIntegerField: int,
    models.PositiveIntegerField: int,
    models.PositiveBigIntegerField: int,
    models.PositiveSmallIntegerField: int,
    models.BooleanField: bool,
}
_INTEGER_KEYS = (models.AutoField, models.BigAutoField, models.SmallAutoField)
_PLAIN_OF: dict[models.Field[Any, Any], type | None] = {}


def _plain(field: models.Field[Any, Any]) -> type | None:
    """The type whose values ``field`` stores as they are, or None."""
    if field in _PLAIN_OF:
        return _PLAIN_OF[field]
    kind = type(field)
    found = _PLAIN.get(kind)
    if kind is models.ForeignKey:
        target = cast(Any, field).target_field
        found = int if type(target) in _INTEGER_KEYS else None
    _PLAIN_OF[field] = found
    return found


def _values(
    instance: models.Model, fields: Sequence[models.Field[Any, Any]], linked: Mapping[str, str]
) -> tuple[list[str], list[Any]]:
    placeholders: list[str] = []
    params: list[Any] = []
    values = instance.__dict__
    for field in fields:
        attname = field.attname
        if attname in linked:
            placeholders.append(linked[attname])
            continue
        placeholders.append("%s")
        plain = _plain(field)
        if plain is not None and attname in values:
            value = values[attname]
            if value is None or type(value) is plain:
                params.append(value)
                continue
        value = field.pre_save(instance, True)
        params.append(field.get_db_prep_save(value, connection))
    return placeholders, params


def insert_statement(instance: models.Model) -> tuple[str, list[Any]]:
    """``INSERT … RETURNING`` the pk of ``instance``: SQL with ``%s`` parameters, and the
    parameters. The instance's fields are prepared as ``save`` would (``auto_now``)."""
    table, pk, fields = _layout(type(instance))
    placeholders, params = _values(instance, fields, {})
    key = (connection.vendor, type(instance))
    sql = _INSERTS.get(key)
    if sql is None:  # no links: every placeholder is %s, the text is the model's alone
        columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(placeholders)}) RETURNING {pk}"  # noqa: S608
        _INSERTS[key] = sql
    return sql, params


_INSERTS: dict[tuple[str, type[models.Model]], str] = {}


def mark_saved(instance: models.Model, pk: Any) -> None:
    """Set the new ``pk`` and the state ``save`` leaves on an inserted instance."""
    if pk is not None:
        instance.pk = pk
    instance._state.adding = False
    instance._state.db = connection.alias


def insert_linked(rows: Sequence[tuple[models.Model, Mapping[str, int]]]) -> None:
    """Insert ``rows`` in order: each is an unsaved instance and its links, a foreign
    key's attname → the position of an earlier row whose new pk it takes. One statement
    on PostgreSQL; the ORM's ``save`` row by row elsewhere. Sets every pk and link."""
    if connection.vendor != "postgresql":
        for instance, links in rows:
            for attname, position in links.items():
                setattr(instance, attname, rows[position][0].pk)
            instance.save(force_insert=True)
        return
    quote = connection.ops.quote_name
    parts: list[str] = []
    params: list[Any] = []
    for index, (instance, links) in enumerate(rows):
        table, pk, fields = _layout(type(instance))
        linked = {
            attname: f"(SELECT {_layout(type(rows[position][0]))[1]} FROM r{position})"  # noqa: S608
            for attname, position in links.items()
        }
        placeholders, values = _values(instance, fields, linked)
        columns = ", ".join(quote(field.column) for field in fields)
        parts.append(
            f"r{index} AS (INSERT INTO {table} ({columns}) "  # noqa: S608
            f"VALUES ({', '.join(placeholders)}) RETURNING {pk})"
        )
        params.extend(values)
    returned = ", ".join(
        f"(SELECT {_layout(type(instance))[1]} FROM r{index})"  # noqa: S608 - metadata only
        for index, (instance, _links) in enumerate(rows)
    )
    with bound_cursor() as cursor:  # dozens of values: bound by the server, not quoted here
        cursor.execute(f"WITH {', '.join(parts)} SELECT {returned}", params)
        ids = cursor.fetchone()
    for (instance, links), pk in zip(rows, ids, strict=True):
        mark_saved(instance, pk)
        for attname, position in links.items():
            setattr(instance, attname, rows[position][0].pk)
