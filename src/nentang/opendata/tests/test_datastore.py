"""The datastore: files in every encoding loaded with Vietnamese types, bad files
refused with their row and column and nothing loaded, search, and the SQL guard."""

from __future__ import annotations

import codecs
import io
import json
import subprocess
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from nentang.kernel.errors import BadRequest, NotFound, ValidationFailed
from nentang.opendata import encodings, selectors, services
from nentang.opendata.models import IngestJob, Resource
from nentang.opendata.tests import support
from nentang.opendata.tests.support import Cast

pytestmark = pytest.mark.django_db

CSV = (
    "Trạm quan trắc;Ngày đo;AQI;PM2,5 (µg/m³);Vượt ngưỡng;Dân số phường\n"
    "Quận 1 — Thống Nhất;01/03/2025;87;31,5;không;1.234.567\n"
    "Thủ Đức — Linh Trung;02/03/2025;156;62,25;có;98.765\n"
    "Bình Chánh;03/03/2025;45;12,0;không;45\n"
)


def _resource(cast: Cast, content: bytes, *, name: str = "aqi.csv", fmt: str = "CSV") -> Resource:
    slug = name.replace(".", "-").replace("_", "-")
    dataset = support.air_quality(
        cast, name=f"du-lieu-{slug}-{Resource.objects.count()}", resources=[]
    )
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": name, "format": fmt}
    )
    return services.resource_upload(
        account=cast.publisher, resource=resource, upload=SimpleUploadedFile(name, content)
    )


def _load(cast: Cast, content: bytes, **kwargs: Any) -> Resource:
    resource = _resource(cast, content, **{k: v for k, v in kwargs.items() if k in ("name", "fmt")})
    services.datastore_upload(
        account=cast.publisher, resource=resource, encoding=kwargs.get("encoding"), background=False
    )
    return resource


def _cp1258(text: str) -> bytes:
    return subprocess.run(
        ["iconv", "-f", "UTF-8", "-t", "CP1258"],
        input=text.encode(),
        capture_output=True,
        check=True,
    ).stdout


@pytest.mark.parametrize(
    ("label", "encode"),
    [
        ("utf-8", lambda t: t.encode()),
        ("utf-8-sig", lambda t: codecs.BOM_UTF8 + t.encode()),
        ("utf-16", lambda t: t.encode("utf-16")),
        ("cp1258", _cp1258),
        (
            "tcvn3",
            lambda t: encodings.encode_tcvn3(
                t.replace("µ", "u").replace("³", "3").replace("—", "-")
            ),
        ),
        (
            "vni",
            lambda t: encodings.encode_vni(t.replace("µ", "u").replace("³", "3").replace("—", "-")),
        ),
    ],
)
def test_a_csv_in_any_encoding_is_loaded_with_vietnamese_types(
    cast: Cast, label: str, encode: Any
) -> None:
    resource = _load(cast, encode(CSV))
    page = selectors.datastore_search(
        account=None, resource_id=str(resource.public_id), sort="AQI desc"
    )
    types = {f["id"]: f["type"] for f in page.fields}
    assert types["Ngày đo"] == "date"
    assert types["AQI"] == "int"
    assert types["Vượt ngưỡng"] == "bool"
    assert types["Dân số phường"] == "int"
    assert next(f for f in types if f.startswith("PM2")) in types
    first = page.records[0]
    assert first["Trạm quan trắc"].startswith("Thủ Đức")
    assert first["Ngày đo"] == "2025-03-02"
    assert first["Vượt ngưỡng"] is True
    assert page.records[1]["Dân số phường"] == 1234567
    assert (
        next(r for r in page.records if r["AQI"] == 87)[
            next(f for f in types if f.startswith("PM2"))
        ]
        == 31.5
    )
    assert page.total == 3
    resource.refresh_from_db()
    assert resource.encoding == label


def test_a_ragged_row_is_reported_with_its_row_and_column_and_nothing_is_loaded(cast: Cast) -> None:
    resource = _load(cast, CSV.encode())
    bad = CSV + "Củ Chi;04/03/2025;60\n"
    services.resource_upload(
        account=cast.publisher,
        resource=resource,
        upload=SimpleUploadedFile("aqi.csv", bad.encode()),
    )
    with pytest.raises(ValidationFailed) as refused:
        services.datastore_upload(account=cast.publisher, resource=resource, background=False)
    assert refused.value.extra["row"] == 5
    assert refused.value.extra["column"] == "PM2,5 (µg/m³)"
    assert "5" in str(refused.value.detail)
    page = selectors.datastore_search(account=None, resource_id=str(resource.public_id))
    assert page.total == 3  # the earlier table is intact
    assert IngestJob.objects.filter(resource=resource, status="failed").exists()


def test_the_user_overrides_a_wrong_guess(cast: Cast) -> None:
    data = encodings.encode_vni("Tên,Tỉnh\nNguyễn Văn An,Hà Nội\n")
    resource = _load(cast, data, encoding="cp1258")
    wrong = selectors.datastore_search(account=None, resource_id=str(resource.public_id))
    assert (
        wrong.records[0]["Tỉnh" if "Tỉnh" in wrong.records[0] else list(wrong.records[0])[1]]
        != "Hà Nội"
    )
    services.datastore_upload(
        account=cast.publisher, resource=resource, encoding="vni", background=False
    )
    right = selectors.datastore_search(account=None, resource_id=str(resource.public_id))
    assert right.records[0]["Tỉnh"] == "Hà Nội"


def test_xlsx_and_json(cast: Cast) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Trường", "Số học sinh", "Ngày thành lập"])
    sheet.append(["THCS Lê Quý Đôn", 1250, "05/09/1990"])
    sheet.append(["THPT Nguyễn Thị Minh Khai", 2100, "15/08/1975"])
    buffer = io.BytesIO()
    book.save(buffer)
    xlsx = _load(cast, buffer.getvalue(), name="truong.xlsx", fmt="XLSX")
    page = selectors.datastore_search(account=None, resource_id=str(xlsx.public_id), q="nguyen thi")
    assert [r["Trường"] for r in page.records] == ["THPT Nguyễn Thị Minh Khai"]
    assert page.records[0]["Số học sinh"] == 2100
    services.dataset_transition(account=cast.publisher, dataset=xlsx.dataset, to="deleted")
    records = [{"tinh": "Đà Nẵng", "dan_so": "1.220.190"}, {"tinh": "Huế", "dan_so": "652.572"}]
    data = json.dumps(records, ensure_ascii=False).encode()
    js = _load(cast, data, name="dan-so.json", fmt="JSON")
    page = selectors.datastore_search(
        account=None, resource_id=str(js.public_id), filters={"tinh": "Đà Nẵng"}
    )
    assert page.records[0]["dan_so"] == 1220190


def test_search_filters_sort_distinct_and_facets(cast: Cast) -> None:
    resource = _load(cast, CSV.encode())
    rid = str(resource.public_id)
    page = selectors.datastore_search(
        account=None,
        resource_id=rid,
        filters={"Vượt ngưỡng": "không"},
        fields=["Trạm quan trắc"],
        sort="Trạm quan trắc asc",
    )
    assert [r["Trạm quan trắc"] for r in page.records] == ["Bình Chánh", "Quận 1 — Thống Nhất"]
    assert selectors.datastore_search(account=None, resource_id=rid, q="THU DUC").total == 1
    assert (
        selectors.datastore_search(
            account=None, resource_id=rid, fields=["Vượt ngưỡng"], distinct=True
        ).total
        == 2
    )
    facets = selectors.datastore_search(
        account=None, resource_id=rid, facets=["Vượt ngưỡng"], limit=0
    ).facets
    assert facets == {"Vượt ngưỡng": {"False": 2, "True": 1}}
    with pytest.raises(ValidationFailed):
        selectors.datastore_search(account=None, resource_id=rid, sort="AQI; DROP TABLE x")
    with pytest.raises(ValidationFailed):
        selectors.datastore_search(account=None, resource_id=rid, filters={"AQI": "nhiều"})


def test_private_tables_are_invisible(cast: Cast) -> None:
    resource = _load(cast, CSV.encode())
    services.dataset_update(
        account=cast.publisher, dataset=resource.dataset, data={"private": True}, partial=True
    )
    with pytest.raises(NotFound):
        selectors.datastore_search(account=None, resource_id=str(resource.public_id))
    with pytest.raises(NotFound):
        selectors.datastore_search_sql(
            account=cast.other_publisher, sql=f'SELECT * FROM "{resource.public_id}"'
        )
    assert (
        selectors.datastore_search(
            account=cast.publisher, resource_id=str(resource.public_id)
        ).total
        == 3
    )


def test_sql_reads_and_refuses_everything_else(cast: Cast) -> None:
    resource = _load(cast, CSV.encode())
    table = f'"{resource.public_id}"'
    page = selectors.datastore_search_sql(
        account=None,
        sql=f'SELECT "Vượt ngưỡng" AS v, COUNT(*) AS n, MAX("AQI") AS m FROM {table} '
        "GROUP BY 1 ORDER BY 1",
    )
    assert [(bool(r["v"]), r["n"], r["m"]) for r in page.records] == [
        (False, 2, 87),
        (True, 1, 156),
    ]
    refused = [
        f"DELETE FROM {table}",
        f"SELECT 1; DELETE FROM {table}",
        f'UPDATE {table} SET "AQI" = 0',
        f"DROP TABLE {table}",
        "SELECT * FROM sqlite_master",
        "SELECT * FROM pg_catalog.pg_tables",
        "SELECT * FROM opendata_dataset",
        "SELECT * FROM identity_account",
        f"SELECT pg_sleep(10) FROM {table}",
        f"SELECT load_extension('x') FROM {table}",
        f'INSERT INTO {table} ("AQI") VALUES (1)',
        "PRAGMA query_only = OFF",
        f'SELECT * FROM {table} WHERE "AQI" = (SELECT COUNT(*) FROM identity_account)',
        "SELECT",
    ]
    for sql in refused:
        with pytest.raises(BadRequest):
            selectors.datastore_search_sql(account=None, sql=sql)
    assert selectors.datastore_search(account=None, resource_id=str(resource.public_id)).total == 3


def test_a_runaway_query_is_stopped(cast: Cast) -> None:
    resource = _load(cast, CSV.encode())
    table = f'"{resource.public_id}"'
    joined = ", ".join(f"{table} t{n}" for n in range(20))  # 3^20 rows to count
    runaway = f"SELECT COUNT(*) AS n FROM {joined}"
    with pytest.raises(BadRequest) as refused:
        selectors.datastore_search_sql(account=None, sql=runaway, timeout_ms=300)
    assert refused.value.extra["reason"] == "timeout", connection.vendor


def test_paging_through_the_table_sees_every_row_once(cast: Cast) -> None:
    rows = "\n".join(f"Dòng {n};{n}" for n in range(1, 26))
    resource = _load(cast, f"Tên;Số\n{rows}\n".encode())
    rid = str(resource.public_id)
    seen = []
    for offset in range(0, 30, 10):
        page = selectors.datastore_search(account=None, resource_id=rid, offset=offset, limit=10)
        seen += [r["Số"] for r in page.records]
    assert seen == list(range(1, 26))
    filtered = selectors.datastore_search(
        account=None, resource_id=rid, q="dong 2*", offset=1, limit=3
    )
    assert [r["Số"] for r in filtered.records] == [20, 21, 22]  # words 2, 20… start with "2"


def test_a_deep_page_seeks_by_id_only_while_the_ids_have_no_gaps(cast: Cast) -> None:
    """Offset n in _id order becomes ``_id > n`` (an index seek) only while _id runs
    1..row_count; the pages are the ones OFFSET gives, with and without gaps."""
    from django.test.utils import CaptureQueriesContext

    from nentang.opendata.models import DatastoreTable

    rows = "\n".join(f"Dòng {n};{n}" for n in range(1, 26))
    resource = _load(cast, f"Tên;Số\n{rows}\n".encode())
    more = [{"Tên": f"Thêm {n}", "Số": n} for n in range(26, 31)]
    services.datastore_create(account=cast.publisher, resource=resource, fields=None, records=more)
    rid, table = str(resource.public_id), f'"{resource.public_id}"'
    store = DatastoreTable.objects.get(resource=resource)
    assert (store.row_count, store.ids_dense) == (30, True)

    def pages(seek: bool) -> list[tuple[list[int], int | None]]:
        got = []
        for offset, limit in ((1, 3), (10, 10), (24, 100), (29, 5), (30, 5), (40, 5)):
            with CaptureQueriesContext(connection) as queries:
                page = selectors.datastore_search(
                    account=None, resource_id=rid, offset=offset, limit=limit
                )
            read = next(q["sql"] for q in queries.captured_queries if table in q["sql"])
            assert (" OFFSET " not in read) is seek, read
            with connection.cursor() as cursor:  # the reference: OFFSET on the table
                cursor.execute(
                    f'SELECT "_id", "Số" FROM {table} ORDER BY "_id" LIMIT %s OFFSET %s',
                    [limit, offset],
                )
                expected = cursor.fetchall()
            assert [(r["_id"], r["Số"]) for r in page.records] == [tuple(r) for r in expected]
            got.append(([r["_id"] for r in page.records], page.total))
        return got

    assert pages(seek=True)[1] == (list(range(11, 21)), 30)
    # Rows deleted (as any delete must: the rows, the count, and the flag cleared).
    with connection.cursor() as cursor:
        cursor.execute(f'DELETE FROM {table} WHERE "_id" IN (3, 7, 8, 20)')
    DatastoreTable.objects.filter(pk=store.pk).update(row_count=26, ids_dense=False)
    gapped = pages(seek=False)
    assert gapped[1] == ([14, 15, 16, 17, 18, 19, 21, 22, 23, 24], 26)  # a seek: 11…20
    # An append continues after the last _id (none reused) and keeps the gaps known.
    services.datastore_create(
        account=cast.publisher, resource=resource, fields=None, records=[{"Tên": "Cuối", "Số": 31}]
    )
    store.refresh_from_db()
    assert (store.row_count, store.ids_dense) == (27, False)
    last = selectors.datastore_search(account=None, resource_id=rid, offset=26, limit=5)
    assert [r["_id"] for r in last.records] == [31]


def test_generated_rows_go_in_by_the_bulk_path_indexed_afterwards(cast: Cast) -> None:
    import datetime

    from nentang.kernel.auditing import Actor

    resource = support.air_quality(cast).resources.get()
    fields = [{"id": "tinh", "type": "text"}, {"id": "ngay", "type": "date"},
              {"id": "aqi", "type": "int"}, {"id": "pm25", "type": "numeric"}]  # fmt: skip
    provinces = ["Hà Nội", "Thành phố Hồ Chí Minh", "Đà Nẵng"]
    rows = (
        [provinces[n % 3], datetime.date(2025, 1, 1 + n % 28), 50 + n, n / 2] for n in range(5000)
    )
    store = services.datastore_load_rows(
        actor=Actor.system("tests"), resource=resource, fields=fields, rows=rows,
        indexed=["tinh"],
    )  # fmt: skip

    assert store.row_count == 5000
    rid = str(resource.public_id)
    found = selectors.datastore_search(account=None, resource_id=rid, q="da nang", limit=2)
    assert found.total == 1666
    assert [r["tinh"] for r in found.records] == ["Đà Nẵng", "Đà Nẵng"]
    last = selectors.datastore_search(account=None, resource_id=rid, offset=4999)
    assert last.records[0]["_id"] == 5000
    assert last.records[0]["ngay"] == "2025-01-16"
    assert last.records[0]["pm25"] == 2499.5


def test_a_cte_cannot_lend_its_name_to_a_table_outside_the_datastore(cast: Cast) -> None:
    """A CTE's name let a reference to a real table of the same name pass the check:
    outside the CTE's scope (or inside its own non-recursive body) the name is the
    platform's table, so identity_account's password hashes could be read."""
    resource = _load(cast, CSV.encode())
    table = f'"{resource.public_id}"'
    shadowing = [
        # the name is a CTE only inside the subquery: the outer reference is the real table
        f"SELECT a.password FROM identity_account a, {table} d, "
        "(WITH identity_account AS (SELECT 1 AS x) SELECT x FROM identity_account) s",
        # a non-recursive CTE's own body sees the real table
        "WITH identity_account AS (SELECT password FROM identity_account) "
        f"SELECT identity_account.password FROM identity_account, {table}",
    ]
    for sql in shadowing:
        with pytest.raises(BadRequest):
            selectors.datastore_search_sql(account=None, sql=sql)
    fine = selectors.datastore_search_sql(
        account=None,
        sql=f'WITH t AS (SELECT "AQI" AS aqi FROM {table}) SELECT t.aqi FROM t ORDER BY t.aqi',
    )
    assert [r["aqi"] for r in fine.records] == [45, 87, 156]


def test_a_column_name_with_a_double_quote_stays_a_name(cast: Cast) -> None:
    """Column names went into the SQL with Django's quote_name, which does not double
    an inner '"': a publisher's field id (datastore_create, or a file's header) closed
    the identifier and ran its own SQL in the table's DDL — on PostgreSQL a second
    statement, here an UPDATE making every account a superuser."""
    dataset = support.air_quality(cast, name="du-lieu-cot-ngoac-kep", resources=[])
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": "bang", "format": "CSV"}
    )
    evil = 'a" text); UPDATE identity_account SET is_superuser = true; --'
    accounts = type(cast.publisher).objects
    superusers = accounts.filter(is_superuser=True).count()
    services.datastore_create(
        account=cast.publisher,
        resource=resource,
        fields=[{"id": evil, "type": "text"}, {"id": 'b"c', "type": "int"}],
        records=[{evil: "một", 'b"c': 2}],
    )
    assert accounts.filter(is_superuser=True).count() == superusers
    page = selectors.datastore_search(
        account=None, resource_id=str(resource.public_id), filters={'b"c': 2}, sort=evil
    )
    assert page.records == [{"_id": 1, evil: "một", 'b"c': 2}]
