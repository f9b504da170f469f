"""The catalogue's full-text index, on the database's own engine (no Solr, no index of
ours to keep in step by hand):

* one row per dataset in ``opendata_datasetsearch`` (``DatasetSearch``): the folded
  words of its title, its keywords (URL name and tags), its context (themes and
  organisation) and its description — four fields, four weights;
* SQLite: an FTS5 table ``opendata_datasetsearch_fts`` with that table as its external
  content and triggers on insert, update and delete; ranked by ``bm25`` with the field
  weights 10, 6, 3, 1;
* PostgreSQL: a stored generated ``tsvector`` column ``document`` (``setweight`` A–D
  over ``to_tsvector('simple', …)``) with a GIN index; ranked by ``ts_rank`` with the
  weights 1.0, 0.6, 0.3, 0.1.

The Vietnamese fold (lower case, tones and vowel marks removed, đ → d — what
``unaccent`` does, and the same ``kernel.text.fold`` every other search of nentang uses)
is applied to the text before it is stored and to the query before it is matched, so
both engines see plain ``[a-z0-9]`` words: "Đà Nẵng", "da nang" and "ĐÀ NẴNG" are one
query, with no stemming and no stop words. A dataset matches when it has every word of
the query (``word*`` is a prefix), as CKAN's default ``q``.
"""

from __future__ import annotations

import re
from typing import Any

from nentang.kernel.text import fold

TABLE = "opendata_datasetsearch"
FTS = f"{TABLE}_fts"
FIELDS = ("title", "keywords", "context", "notes")
WORD = re.compile(r"[a-z0-9]+")
QUERY_WORD = re.compile(r"[a-z0-9]+\*?")
MAX_WORD = 60
MAX_NOTES = 20_000
MAX_QUERY_WORDS = 12
# Field weights, in FIELDS order: a word of the title counts more than one of the notes.
SQLITE_WEIGHTS = "10.0, 6.0, 3.0, 1.0"
POSTGRES_WEIGHTS = "{0.1, 0.3, 0.6, 1.0}"  # ts_rank's order: D, C, B, A


def words(text: str) -> list[str]:
    """Folded words: ``"Chất lượng KHÔNG KHÍ"`` → ``["chat", "luong", "khong", "khi"]``."""
    return [w[:MAX_WORD] for w in WORD.findall(fold(text))]


def document(
    *, title: str, name: str, tags: list[str], groups: list[str], organisation: str, notes: str
) -> dict[str, str]:
    """The four indexed fields of a dataset, each its folded words joined by spaces."""

    def joined(*texts: str) -> str:
        return " ".join(w for text in texts for w in words(text))

    return {
        "title": joined(title),
        "keywords": joined(name.replace("-", " "), *tags),
        "context": joined(*groups, organisation),
        "notes": joined(notes[:MAX_NOTES]),
    }


def query_words(q: str) -> list[str]:
    """The words of a query, folded, each once, at most 12 (``word*``: a prefix)."""
    found = [w[:MAX_WORD] for w in QUERY_WORD.findall(fold(q or ""))]
    return list(dict.fromkeys(found))[:MAX_QUERY_WORDS]


def create_statements(vendor: str) -> list[str]:
    """DDL of the index over ``opendata_datasetsearch`` (created by its migration)."""
    if vendor == "postgresql":
        vector = " || ".join(
            f"setweight(to_tsvector('simple'::regconfig, {field}), '{weight}')"
            for field, weight in zip(FIELDS, "ABCD", strict=True)
        )
        return [
            f"ALTER TABLE {TABLE} ADD COLUMN document tsvector "
            f"GENERATED ALWAYS AS ({vector}) STORED",
            f"CREATE INDEX od_dataset_search_gin ON {TABLE} USING gin (document)",
        ]
    columns = ", ".join(FIELDS)
    new = ", ".join(f"new.{f}" for f in FIELDS)
    old = ", ".join(f"old.{f}" for f in FIELDS)
    # Constants of this module only (no input reaches DDL).
    delete = f"INSERT INTO {FTS}({FTS}, rowid, {columns}) VALUES ('delete', old.dataset_id, {old});"  # noqa: S608
    insert = f"INSERT INTO {FTS}(rowid, {columns}) VALUES (new.dataset_id, {new});"  # noqa: S608
    return [
        f"CREATE VIRTUAL TABLE {FTS} USING fts5({columns}, content='{TABLE}', "
        "content_rowid='dataset_id', tokenize='unicode61 remove_diacritics 2')",
        f"CREATE TRIGGER {TABLE}_ai AFTER INSERT ON {TABLE} BEGIN {insert} END",
        f"CREATE TRIGGER {TABLE}_ad AFTER DELETE ON {TABLE} BEGIN {delete} END",
        f"CREATE TRIGGER {TABLE}_au AFTER UPDATE ON {TABLE} BEGIN {delete} {insert} END",
    ]


def drop_statements(vendor: str) -> list[str]:
    if vendor == "postgresql":
        return [f"ALTER TABLE {TABLE} DROP COLUMN IF EXISTS document"]
    return [
        *(f"DROP TRIGGER IF EXISTS {TABLE}_{t}" for t in ("ai", "ad", "au")),
        f"DROP TABLE IF EXISTS {FTS}",
    ]


def _match_text(vendor: str, terms: list[str]) -> str:
    if vendor == "postgresql":
        return " & ".join(w[:-1] + ":*" if w.endswith("*") else w for w in terms)
    return " ".join(f'"{w[:-1]}"*' if w.endswith("*") else f'"{w}"' for w in terms)


def matches_sql(vendor: str, terms: list[str]) -> tuple[str, list[Any]]:
    """``SELECT dataset_id, score`` of the datasets having every word (higher scores
    are better), answered from the index. ``terms`` come from :func:`query_words`."""
    text = _match_text(vendor, terms)
    if vendor == "postgresql":
        return (
            f"SELECT dataset_id, ts_rank('{POSTGRES_WEIGHTS}', document, query) "  # noqa: S608 - constants
            f"FROM {TABLE}, to_tsquery('simple', %s) query WHERE document @@ query",
            [text],
        )
    return (
        f"SELECT rowid, -bm25({FTS}, {SQLITE_WEIGHTS}) FROM {FTS} WHERE {FTS} MATCH %s",  # noqa: S608 - constants
        [text],
    )


def ids_sql(vendor: str, terms: list[str]) -> tuple[str, list[Any]]:
    """``SELECT dataset_id`` of the same matches, unranked (for ``pk IN (…)``)."""
    text = _match_text(vendor, terms)
    if vendor == "postgresql":
        return (
            f"SELECT dataset_id FROM {TABLE} WHERE document @@ to_tsquery('simple', %s)",  # noqa: S608 - constants
            [text],
        )
    return f"SELECT rowid FROM {FTS} WHERE {FTS} MATCH %s", [text]  # noqa: S608 - constants
