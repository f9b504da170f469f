"""The full-text index of datastore tables (FTS5 on SQLite, a GIN tsvector index on
PostgreSQL): ``q`` is answered from the index, which follows every load — a
replacement, an append, a re-upload — inside the load's transaction; words are folded,
so accented and unaccented queries find the same rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from django.db import connection

from nentang.kernel.errors import ValidationFailed
from nentang.opendata import full_text, selectors, services
from nentang.opendata.models import Resource
from nentang.opendata.tests import support
from nentang.opendata.tests.support import Cast

pytestmark = pytest.mark.django_db

ROWS: list[Mapping[str, Any]] = [
    {"tram": "Quận 1 — Thống Nhất", "phuong": "Bến Nghé", "aqi": "87"},
    {"tram": "Thủ Đức — Linh Trung", "phuong": "Linh Trung", "aqi": "156"},
    {"tram": "Bình Chánh", "phuong": "Tân Kiên", "aqi": "45"},
    {"tram": "Cần Giờ", "phuong": "Cần Thạnh", "aqi": "31"},
]


@pytest.fixture
def cast() -> Cast:
    return support.cast()


def _resource(cast: Cast) -> Resource:
    return support.air_quality(cast).resources.get()


def _found(resource: Resource, q: str, **kwargs: Any) -> list[str]:
    page = selectors.datastore_search(
        account=None, resource_id=str(resource.public_id), q=q, **kwargs
    )
    return [r["tram"] for r in page.records]


def _index_rows(resource: Resource, word: str) -> int:
    """Rows the index itself holds for a word (not the table: the index)."""
    table = str(resource.public_id)
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT COUNT(*) FROM pg_indexes WHERE tablename = %s AND indexdef LIKE %s",
                [table, "%USING gin (to_tsvector('simple'%"],
            )
            assert cursor.fetchone()[0] == 1
            cursor.execute("SET LOCAL enable_seqscan = off")
        condition, match = full_text.match_clause(connection.vendor, table, [word], quote)
        sql = f"SELECT COUNT(*) FROM {quote(table)} WHERE {condition}"
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN " + sql, [match])
            plan = " ".join(r[0] for r in cursor.fetchall())
            assert "Bitmap Index Scan" in plan, plan
        else:
            fts = quote(full_text.fts_table(table))
            sql = f"SELECT COUNT(*) FROM {fts} WHERE {fts} MATCH %s"
        cursor.execute(sql, [match])
        return int(cursor.fetchone()[0])


def test_accented_and_folded_queries_find_the_same_rows(cast: Cast) -> None:
    resource = _resource(cast)
    services.datastore_create(account=cast.publisher, resource=resource, fields=None, records=ROWS)

    assert _found(resource, "linh trung") == ["Thủ Đức — Linh Trung"]
    assert _found(resource, "LINH TRUNG") == _found(resource, "Linh Trung")
    assert _found(resource, "thủ đức") == _found(resource, "thu duc") == ["Thủ Đức — Linh Trung"]
    # Every word must be there (AND), words are whole unless they end with *.
    assert _found(resource, "can gio") == ["Cần Giờ"]
    assert _found(resource, "can nghe") == []
    assert _found(resource, "ca") == []
    assert _found(resource, "ca*") == ["Cần Giờ"]
    assert _found(resource, "th*", sort="aqi desc") == [
        "Thủ Đức — Linh Trung", "Quận 1 — Thống Nhất", "Cần Giờ",
    ]  # fmt: skip
    page = selectors.datastore_search(
        account=None, resource_id=str(resource.public_id), q="trung", filters={"aqi": "156"}
    )
    assert page.total == 1
    # Punctuation and quotes are not query syntax: they never reach the index as such.
    assert _found(resource, '"bình" (chánh^') == ["Bình Chánh"]
    assert _index_rows(resource, "trung") == 1


def test_the_index_follows_appends_replacements_and_refused_loads(cast: Cast) -> None:
    resource = _resource(cast)
    services.datastore_create(account=cast.publisher, resource=resource, fields=None, records=ROWS)
    services.datastore_create(
        account=cast.publisher, resource=resource, fields=None,
        records=[{"tram": "Nhà Bè", "phuong": "Phú Xuân", "aqi": "60"}],
    )  # fmt: skip
    assert _found(resource, "nha be") == ["Nhà Bè"]
    assert _index_rows(resource, "be") == 1

    with pytest.raises(ValidationFailed):
        services.datastore_create(
            account=cast.publisher, resource=resource, fields=None,
            records=[{"tram": "Củ Chi", "phuong": "Tân An Hội", "aqi": "60"},
                     {"tram": "Hóc Môn", "aqi": "không phải số"}],
        )  # fmt: skip
    assert _found(resource, "cu chi") == []
    assert _index_rows(resource, "chi") == 0

    services.datastore_create(
        account=cast.publisher, resource=resource,
        fields=[{"id": "tram", "type": "text"}, {"id": "aqi", "type": "int"}],
        records=[{"tram": "Củ Chi", "aqi": "70"}],
    )  # fmt: skip
    assert _found(resource, "cu chi") == ["Củ Chi"]
    assert _found(resource, "linh trung") == []
    assert _index_rows(resource, "trung") == 0
    assert _index_rows(resource, "chi") == 1


def test_a_deleted_resource_leaves_no_table_or_index_behind(cast: Cast) -> None:
    resource = _resource(cast)
    services.datastore_create(account=cast.publisher, resource=resource, fields=None, records=ROWS)
    table = str(resource.public_id)
    ours = {table, full_text.fts_table(table)}
    assert table in connection.introspection.table_names()

    services.resource_delete(account=cast.publisher, resource=resource)

    assert ours & set(connection.introspection.table_names()) == set()
