"""The full-text index of a datastore table, over its folded ``_full_text`` column, kept
in step with every write by the database itself:

* SQLite: an FTS5 table ``"<table>_fts"`` with the table as its external content
  (``content="<table>"``, ``content_rowid="_id"``) and triggers on insert, update and
  delete — the layout Datasette's ``_search`` recognises too;
* PostgreSQL: a GIN index on ``to_tsvector('simple', "_full_text")`` (an expression
  index: the database keeps it current, inside the load's transaction).

``q`` is folded and split into words; a row matches when it has every word (a word
ending in ``*`` is a prefix), as CKAN's ``datastore_search`` with ``plain`` queries.
The text is already folded, so both use no stemming and no diacritics.
"""

from __future__ import annotations

import re
from typing import Any

from nentang.kernel.text import fold

WORD = re.compile(r"[^\W_]+\*?")
MAX_WORDS = 10


def fts_table(table: str) -> str:
    return f"{table}_fts"


def normalise(text: str) -> str:
    """The folded words of ``text``, separated by one space (what ``_full_text`` holds,
    so both databases' tokenisers see the same words)."""
    return " ".join(w.rstrip("*") for w in WORD.findall(fold(text)))


def index_statements(vendor: str, table: str, quote: Any) -> list[str]:
    """DDL that creates the index of a new (still empty or just filled) table; every
    identifier is quoted by the backend, ``table`` is a resource id (a UUID)."""
    if vendor == "postgresql":
        return [
            f"CREATE INDEX IF NOT EXISTS {quote(table[:50] + '_fts')} ON {quote(table)} "
            f"USING gin (to_tsvector('simple', {quote('_full_text')}))"
        ]
    fts, t = quote(fts_table(table)), quote(table)
    text = quote("_full_text")
    return [
        f"DROP TABLE IF EXISTS {fts}",
        f'CREATE VIRTUAL TABLE {fts} USING fts5({text}, content="{table}", '
        f"content_rowid=\"_id\", tokenize='unicode61 remove_diacritics 2')",
        f"INSERT INTO {fts}({fts}) VALUES ('rebuild')",  # noqa: S608 - quoted identifiers
        f"CREATE TRIGGER {quote(table + '_ai')} AFTER INSERT ON {t} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}(rowid, {text}) VALUES (new._id, new.{text}); END",
        f"CREATE TRIGGER {quote(table + '_ad')} AFTER DELETE ON {t} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {text}) VALUES ('delete', old._id, old.{text}); END",
        f"CREATE TRIGGER {quote(table + '_au')} AFTER UPDATE ON {t} BEGIN "  # noqa: S608
        f"INSERT INTO {fts}({fts}, rowid, {text}) VALUES ('delete', old._id, old.{text}); "
        f"INSERT INTO {fts}(rowid, {text}) VALUES (new._id, new.{text}); END",
    ]


def drop_statements(vendor: str, table: str, quote: Any) -> list[str]:
    """What goes with the table (PostgreSQL drops the index with it)."""
    return [] if vendor == "postgresql" else [f"DROP TABLE IF EXISTS {quote(fts_table(table))}"]


def query_words(q: str) -> list[str]:
    return [w for w in WORD.findall(fold(q or "")) if w.rstrip("*")][:MAX_WORDS]


def match_clause(vendor: str, table: str, words: list[str], quote: Any) -> tuple[str, str]:
    """A WHERE condition and its one parameter: rows having every word."""
    if vendor == "postgresql":
        terms = [f"'{w.rstrip('*')}'" + (":*" if w.endswith("*") else "") for w in words]
        return (
            f"to_tsvector('simple', {quote('_full_text')}) @@ to_tsquery('simple', %s)",
            " & ".join(terms),
        )
    fts = quote(fts_table(table))
    terms = [f'"{w.rstrip("*")}"' + ("*" if w.endswith("*") else "") for w in words]
    condition = f"{quote('_id')} IN (SELECT rowid FROM {fts} WHERE {fts} MATCH %s)"  # noqa: S608
    return condition, " ".join(terms)
