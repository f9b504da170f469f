"""What a careless client or an attacker sends to the CKAN Action API, on both databases:
NUL characters (PostgreSQL cannot store one in text), bodies and SQL nested deeper than
a parser's recursion, casts to types whose input functions do more than convert, column
names that collide with ours. Each is refused with CKAN's error shapes, never a 500."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from nentang.opendata import services
from nentang.opendata.models import Dataset, DatastoreTable
from nentang.opendata.tests import support
from nentang.opendata.tests.support import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture
def table(cast: Cast) -> tuple[Dataset, str]:
    dataset = support.air_quality(cast, resources=[])
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": "Trạm", "format": "CSV"}
    )
    services.datastore_create(
        account=cast.publisher, resource=resource, fields=None,
        records=[{"tram": "Quận 1", "aqi": 52}],
    )  # fmt: skip
    return dataset, str(resource.public_id)


def call(action: str, token: str = "", **data: Any) -> Any:
    headers = {"Authorization": token} if token else {}
    client = Client(raise_request_exception=False)
    return client.post(
        f"/api/3/action/{action}", data=json.dumps(data), content_type="application/json",
        headers=headers,
    )  # fmt: skip


def test_nul_characters_are_refused_in_every_action(cast: Cast, table: tuple[Dataset, str]) -> None:
    dataset, rid = table
    refused = [
        call("package_create", cast.token, name="nul-1", owner_org="so-tnmt-hcm", title="a\x00b"),
        call("package_create", cast.token, name="nul-2", owner_org="so-tnmt-hcm",
             tags=[{"name": "a\x00"}]),
        call("package_patch", cast.token, id=str(dataset.public_id), notes="x\x00"),
        call("package_search", q="kh\x00ong"),
        call("package_search", fq="organization:a\x00"),
        call("datastore_search", resource_id=rid, filters={"tram": "a\x00"}),
        call("datastore_upsert", cast.token, resource_id=rid, method="insert",
             records=[{"tram": "x\x00y", "aqi": 2}]),
        call("datastore_create", cast.token,
             resource={"package_id": str(dataset.public_id), "name": "n"},
             fields=[{"id": "a\x00", "type": "text"}], records=[]),
    ]  # fmt: skip
    for response in refused:
        assert response.status_code == 409, response.content.decode()[:300]
        assert response.json()["error"]["__type"] == "Validation Error"
    assert not Dataset.objects.filter(name__startswith="nul-").exists()
    page = call("datastore_search", resource_id=rid).json()["result"]
    assert page["total"] == 1


def test_nul_characters_are_refused_by_the_services_too(
    cast: Cast, table: tuple[Dataset, str]
) -> None:
    """The JSON API and the pages go through the same services."""
    from nentang.kernel.errors import ValidationFailed

    dataset, _rid = table
    resource = dataset.resources.get()
    with pytest.raises(ValidationFailed):
        services.dataset_update(
            account=cast.publisher, dataset=dataset, data={"title": "a\x00"}, partial=True
        )
    with pytest.raises(ValidationFailed):
        services.resource_update(account=cast.publisher, resource=resource, data={"name": "\x00"})
    with pytest.raises(ValidationFailed) as refused:
        services.datastore_create(
            account=cast.publisher, resource=resource, fields=None,
            records=[{"tram": "ok", "aqi": 1}, {"tram": "x\x00", "aqi": 2}],
        )  # fmt: skip
    assert refused.value.extra == {"row": 2, "column": "tram"}
    assert DatastoreTable.objects.get(resource=resource).row_count == 1


def test_a_file_with_nul_bytes_is_reported_at_its_row_and_column(
    cast: Cast, table: tuple[Dataset, str]
) -> None:
    from nentang.kernel.errors import ValidationFailed

    dataset, _rid = table
    for content, where in (
        (b"ten,so\nabc,1\nab\x00c,2\n", {"row": 3, "column": "ten"}),
        (b'[{"ten": "a"}, {"ten": "b\\u0000"}]', {"row": 2, "column": "ten"}),
    ):
        kind = "JSON" if content.startswith(b"[") else "CSV"
        resource = services.resource_create(
            account=cast.publisher, dataset=dataset, data={"name": "Tệp", "format": kind}
        )
        name = f"tep.{kind.lower()}"
        services.resource_upload(
            account=cast.publisher, resource=resource, upload=SimpleUploadedFile(name, content)
        )
        with pytest.raises(ValidationFailed) as refused:
            services.datastore_upload(account=cast.publisher, resource=resource, background=False)
        assert refused.value.extra == where
        assert str(refused.value.detail).startswith("Một ô chứa ký tự NUL.")  # Vietnamese first
        assert not DatastoreTable.objects.filter(resource=resource).exists()
    # A NUL byte in the header is dropped from the column's name.
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": "Tệp", "format": "CSV"}
    )
    upload = SimpleUploadedFile("tep.csv", b"te\x00n,so\nabc,1\n")
    services.resource_upload(account=cast.publisher, resource=resource, upload=upload)
    services.datastore_upload(account=cast.publisher, resource=resource, background=False)
    store = DatastoreTable.objects.get(resource=resource)
    assert [f["id"] for f in store.fields] == ["ten", "so"]


def test_deep_nesting_is_refused_not_a_crash(cast: Cast, table: tuple[Dataset, str]) -> None:
    dataset, rid = table
    deep = '{"q": ' + "[" * 100_000 + "]" * 100_000 + "}"
    client = Client(raise_request_exception=False)
    body = client.post("/api/3/action/package_search", data=deep, content_type="application/json")
    assert body.status_code == 400
    assert body.json()["error"]["__type"] == "Bad Request"
    sql = "SELECT " + "(" * 3000 + "1" + ")" * 3000 + f' FROM "{rid}"'
    nested = call("datastore_search_sql", sql=sql)
    assert nested.status_code == 409
    assert nested.json()["error"]["info"]["code"] == "sql_refused"
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": "JSON", "format": "JSON"}
    )
    upload = SimpleUploadedFile("sau.json", b"[" * 100_000 + b"]" * 100_000)
    services.resource_upload(account=cast.publisher, resource=resource, upload=upload)
    from nentang.kernel.errors import ValidationFailed

    with pytest.raises(ValidationFailed):
        services.datastore_upload(account=cast.publisher, resource=resource, background=False)


def test_sql_casts_only_to_plain_data_types(table: tuple[Dataset, str]) -> None:
    _dataset, rid = table
    for target in ("regclass", "json", "xml", "regproc"):
        sql = f'SELECT CAST(tram AS {target}) FROM "{rid}"'
        refused = call("datastore_search_sql", sql=sql)
        assert refused.status_code == 409, (target, refused.content.decode()[:300])
        assert refused.json()["error"]["info"]["code"] == "sql_refused"
    sql = f'SELECT CAST(aqi AS text) AS a, CAST(aqi AS numeric(6, 1)) AS b FROM "{rid}"'
    assert call("datastore_search_sql", sql=sql).json()["result"]["records"][0]["a"] == "52"


@pytest.mark.parametrize(
    "fields",
    [
        [{"id": "_id", "type": "int"}],
        [{"id": "_full_text", "type": "text"}],
        [{"id": "a", "type": "text"}, {"id": "a", "type": "int"}],
        [{"id": "", "type": "text"}],
        [{"id": "x" * 64, "type": "text"}],
        [{"id": "dòng\nmới", "type": "text"}],
    ],
)
def test_datastore_create_refuses_column_names_that_collide_or_break(
    cast: Cast, table: tuple[Dataset, str], fields: list[dict[str, str]]
) -> None:
    dataset, _rid = table
    response = call(
        "datastore_create", cast.token,
        resource={"package_id": str(dataset.public_id), "name": "Bảng"}, fields=fields,
        records=[],
    )  # fmt: skip
    assert response.status_code == 409, response.content.decode()[:300]
    assert "fields" in response.json()["error"]
    assert dataset.resources.filter(name="Bảng", datastore__isnull=False).count() == 0
    keys = call(
        "datastore_create", cast.token,
        resource={"package_id": str(dataset.public_id), "name": "Bảng 2"},
        records=[{"_id": 5, "a": 1}],
    )  # fmt: skip
    assert keys.status_code == 409


def test_an_oversized_upload_is_refused_before_it_is_read(
    cast: Cast, table: tuple[Dataset, str], settings: Any
) -> None:
    dataset, _rid = table
    settings.NENTANG_MAX_BODY_BYTES = 64 * 1024
    client = Client(raise_request_exception=False)
    upload = SimpleUploadedFile("lon.csv", b"a,b\n" + b"1,2\n" * 40_000)  # 160 kB
    response = client.post(
        "/api/3/action/resource_create",
        data={"package_id": str(dataset.public_id), "name": "Tệp lớn", "upload": upload},
        headers={"Authorization": cast.token},
    )
    assert response.status_code == 413
    assert not dataset.resources.filter(name="Tệp lớn").exists()


def test_another_agency_cannot_write_by_naming_our_ids(
    cast: Cast, table: tuple[Dataset, str]
) -> None:
    """Every write action, by the Department of Education's token, on ids of the
    Department of Natural Resources and Environment's dataset and resource; and our own
    publisher cannot move a dataset to an organisation it does not publish for."""
    dataset, rid = table
    pid = str(dataset.public_id)
    other = cast.other_token
    attempts = [
        call("package_patch", other, id=pid, title="Bị sửa"),
        call("package_update", other, id=pid, name=dataset.name, owner_org="so-gddt-hcm"),
        call("package_delete", other, id=pid),
        call("package_deprecate", other, id=pid),
        call("resource_create", other, package_id=pid, name="x", url="https://a.vn/x.csv"),
        call("resource_patch", other, id=rid, name="Bị sửa"),
        call("resource_delete", other, id=rid),
        call("datastore_create", other, resource_id=rid, records=[{"tram": "x"}]),
        call("datastore_create", other, resource={"package_id": pid, "name": "x"},
             records=[{"a": 1}]),
        call("datastore_upsert", other, resource_id=rid, method="insert", records=[{"tram": "x"}]),
        call("package_patch", cast.token, id=pid, owner_org="so-gddt-hcm"),
    ]  # fmt: skip
    for response in attempts:
        assert response.status_code == 403, response.content.decode()[:300]
        assert response.json()["error"]["__type"] == "Authorization Error"
    dataset.refresh_from_db()
    assert (dataset.title, dataset.organisation.name, dataset.state) == (
        support.AIR["title"], "so-tnmt-hcm", "published"
    )  # fmt: skip
    assert dataset.resources.count() == 1
    assert call("datastore_search", resource_id=rid).json()["result"]["total"] == 1


def test_a_file_of_too_many_rows_stops_at_the_cap_and_loads_nothing(
    cast: Cast, table: tuple[Dataset, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from nentang.kernel.errors import ValidationFailed
    from nentang.opendata.services import datastore

    monkeypatch.setattr(datastore, "MAX_ROWS", 3)
    dataset, _rid = table
    resource = services.resource_create(
        account=cast.publisher, dataset=dataset, data={"name": "Tệp", "format": "CSV"}
    )
    upload = SimpleUploadedFile("nhieu.csv", b"a,b\n" + b"1,2\n" * 10)
    services.resource_upload(account=cast.publisher, resource=resource, upload=upload)
    with pytest.raises(ValidationFailed) as refused:
        services.datastore_upload(account=cast.publisher, resource=resource, background=False)
    assert refused.value.extra["row"] == 5
    assert str(refused.value.detail).startswith("Quá 3 dòng")
    assert not DatastoreTable.objects.filter(resource=resource).exists()
