"""Fixed ``SELECT``s of several models joined, for the provider's per-request lookups.

Django's ORM compiles a ``select_related`` query anew on every call; for the lookups
behind every userinfo answer, API call and code exchange that compilation was a large
part of the request's CPU (docs/performance.md). A ``Joined`` statement is built once per
database vendor from the models' metadata (every concrete column, names quoted by the
backend), runs with parameters only, and turns its row back into model instances the way
the ORM does (``Model.from_db`` after the backend's and the fields' converters).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, models
from django.db.models import signals
from django.db.models.base import ModelState

from nentang.kernel.boundsql import bound_cursor

Column = Callable[[type[models.Model], str], str]


def _column(model: type[models.Model], name: str) -> str:
    field = model._meta.get_field(name)
    assert isinstance(field, models.Field)  # concrete fields only
    return str(connection.ops.quote_name(str(field.column)))


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # Per model: its concrete attnames, and (position, column, converters) of the columns
    # whose database values Django converts (dates on SQLite, JSON, UUIDs …).
    layout: tuple[tuple[type[models.Model], tuple[str, ...], list[tuple[int, Any, list[Any]]]], ...]


class Joined:
    """``SELECT`` every column of ``tables`` — (model, alias, join clause) with the first
    one the ``FROM`` table and an empty clause — ``WHERE where``. The clauses and
    ``where`` are templates: ``{table}`` is the model's quoted table name and the other
    placeholders come from ``names(column)``, where ``column(Model, "field")`` gives a
    quoted column name. Values go in as parameters (``%s``), in the order they appear."""

    def __init__(
        self,
        tables: Sequence[tuple[type[models.Model], str, str]],
        where: str,
        names: Callable[[Column], Mapping[str, str]],
    ) -> None:
        self.tables = tuple(tables)
        self.where = where
        self.names = names
        self._compiled: dict[str, _Compiled] = {}

    def _compile(self) -> _Compiled:
        found = self._compiled.get(connection.vendor)
        if found is not None:
            return found
        quote = connection.ops.quote_name
        names = dict(self.names(_column))
        selected: list[str] = []
        clauses: list[str] = []
        layout = []
        for model, alias, join in self.tables:
            fields = model._meta.concrete_fields
            converters = []
            for offset, field in enumerate(fields):
                col = field.get_col(alias)
                functions = [
                    *connection.ops.get_db_converters(col),
                    *field.get_db_converters(connection),  # type: ignore[attr-defined]
                ]
                if functions:
                    converters.append((len(selected) + offset, col, functions))
            selected.extend(f"{alias}.{quote(field.column)}" for field in fields)
            layout.append((model, tuple(field.attname for field in fields), converters))
            table = quote(model._meta.db_table)
            clauses.append(join.format(table=table, **names) if join else f"{table} {alias}")
        where = self.where.format(**names)
        # Names from the models' metadata, quoted; every value is a parameter.
        sql = f"SELECT {', '.join(selected)} FROM {' '.join(clauses)} WHERE {where}"  # noqa: S608
        compiled = _Compiled(sql=sql, layout=tuple(layout))
        self._compiled[connection.vendor] = compiled
        return compiled

    def fetch(self, params: Sequence[Any]) -> list[models.Model | None] | None:
        """The first row as one instance per table (None where a LEFT JOIN found no
        row), or None when no row matched."""
        compiled = self._compile()
        with bound_cursor() as cursor:  # the values bound by the server (kernel.boundsql)
            cursor.execute(compiled.sql, list(params))
            row = cursor.fetchone()
        if row is None:
            return None
        values = list(row)
        out: list[models.Model | None] = []
        start = 0
        for model, attnames, converters in compiled.layout:
            for position, col, functions in converters:
                value = values[position]
                for convert in functions:
                    value = convert(value, col, connection)
                values[position] = value
            part = values[start : start + len(attnames)]
            start += len(attnames)
            pk = part[attnames.index(model._meta.pk.attname)]
            out.append(None if pk is None else _instance(model, attnames, part))
        return out


def _instance(model: type[models.Model], attnames: tuple[str, ...], values: list[Any]) -> Any:
    """``model.from_db`` for a row of every concrete column, without ``Model.__init__``'s
    per-field ``setattr`` walk (a sixth of a userinfo answer's CPU for six models): the
    values go into the instance's ``__dict__``, where ``__init__`` puts them too, and
    the state is what ``from_db`` leaves. Models with init signals (image dimensions)
    take the ORM's path, as do models with their own ``__init__`` or ``from_db``."""
    if (
        signals.pre_init.has_listeners(model)
        or signals.post_init.has_listeners(model)
        or model.__init__ is not models.Model.__init__
        or model.from_db.__func__ is not models.Model.from_db.__func__  # type: ignore[attr-defined]
    ):
        return model.from_db(connection.alias, attnames, values)
    instance = model.__new__(model)
    instance.__dict__.update(zip(attnames, values, strict=True))
    state = ModelState()
    state.adding = False
    state.db = connection.alias
    instance._state = state
    return instance
