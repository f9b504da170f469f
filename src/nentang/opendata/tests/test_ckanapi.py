"""CKAN's own client library, ``ckanapi`` (RemoteCKAN), unmodified, against a live
server: every read action, the publishers' writes with an API token, and CKAN's error
shapes (Not Found, Authorization, Validation, Search Query)."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from ckanapi import (
    CKANAPIError,
    NotAuthorized,
    NotFound,
    RemoteCKAN,
    SearchQueryError,
    ValidationError,
)

from nentang.audit.services import security_defaults_install
from nentang.opendata.tests import support
from nentang.opendata.tests.support import Cast

pytestmark = pytest.mark.django_db(transaction=True)
AGENT = "nentang-tests/1.0"


@pytest.fixture
def site(live_server: Any, settings: Any) -> tuple[str, Cast]:
    url = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = url
    security_defaults_install()
    cast = support.cast()
    support.air_quality(cast)
    return url, cast


def test_reads(site: tuple[str, Cast]) -> None:
    url, _cast = site
    ckan = RemoteCKAN(url, user_agent=AGENT)
    assert ckan.action.status_show()["ckan_version"].startswith("2.")
    assert ckan.action.package_list() == ["chat-luong-khong-khi-hcm-2025"]
    package = ckan.action.package_show(id="chat-luong-khong-khi-hcm-2025")
    assert package["title"] == "Chất lượng không khí TP. Hồ Chí Minh năm 2025"
    assert package["organization"]["name"] == "so-tnmt-hcm"
    assert package["state"] == "active"
    assert package["license_id"] == "cc-by-4.0"
    assert {t["name"] for t in package["tags"]} == {"AQI", "không khí"}
    assert package["spatial"] == ["79"]
    assert package["frequency"] == "monthly"
    resource = ckan.action.resource_show(id=package["resources"][0]["id"])
    assert resource["package_id"] == package["id"]
    assert resource["format"] == "CSV"
    found = ckan.action.package_search(
        q="khong khi", fq="organization:so-tnmt-hcm", rows=5, start=0,
        facet_field=None, **{"facet.field": ["organization", "tags", "res_format"]},
    )  # fmt: skip
    assert found["count"] == 1
    assert found["results"][0]["id"] == package["id"]
    assert found["facets"]["tags"] == {"AQI": 1, "không khí": 1}
    assert found["search_facets"]["organization"]["items"][0]["count"] == 1
    assert ckan.action.package_search(q="xyzzy")["count"] == 0
    assert ckan.action.package_search(sort="name asc", rows=0)["count"] == 1
    assert ckan.action.organization_list() == ["so-gddt-hcm", "so-tnmt-hcm"]
    organisations = ckan.action.organization_list(all_fields=True)
    assert {o["name"]: o["package_count"] for o in organisations} == {
        "so-gddt-hcm": 0,
        "so-tnmt-hcm": 1,
    }
    shown = ckan.action.organization_show(id="so-tnmt-hcm", include_datasets=True)
    assert [p["name"] for p in shown["packages"]] == ["chat-luong-khong-khi-hcm-2025"]
    assert ckan.action.group_list() == ["giao-duc", "moi-truong"]
    assert ckan.action.group_show(id="moi-truong")["package_count"] == 1
    assert ckan.action.tag_list() == ["AQI", "không khí"]
    licences = {lic["id"]: lic for lic in ckan.action.license_list()}
    assert "cc-zero" in licences
    assert "(verify)" in licences["vn-odl"]["title"]
    ckan.close()


def test_get_only_clients_work_too(site: tuple[str, Cast]) -> None:
    url, _cast = site
    with RemoteCKAN(url, user_agent=AGENT, get_only=True) as ckan:
        found = ckan.action.package_search(q="không khí", rows=1)
        assert found["count"] == 1


def test_errors_have_ckan_shapes(site: tuple[str, Cast]) -> None:
    url, _cast = site
    ckan = RemoteCKAN(url, user_agent=AGENT)
    with pytest.raises(NotFound):
        ckan.action.package_show(id="khong-ton-tai")
    with pytest.raises(NotFound):
        ckan.action.resource_show(id="0190b1a8-0000-7000-8000-000000000000")
    with pytest.raises(SearchQueryError):
        ckan.action.package_search(fq="colour:red")
    with pytest.raises(NotAuthorized):
        ckan.action.package_create(name="khong-token", owner_org="so-tnmt-hcm")
    with pytest.raises(NotAuthorized):
        RemoteCKAN(url, apikey="ntod_wrong", user_agent=AGENT).action.package_show(id="x")
    with pytest.raises(CKANAPIError):
        ckan.call_action("no_such_action")
    raw = httpx.get(f"{url}/api/3/action/package_show?id=nope")
    assert raw.status_code == 404
    assert raw.headers["content-type"].startswith("application/json")
    body = raw.json()
    assert body["success"] is False
    assert body["error"]["__type"] == "Not Found Error"
    assert body["help"].endswith("/api/3/action/help_show?name=package_show")
    bad = httpx.post(
        f"{url}/api/3/action/package_search",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert bad.status_code == 400
    assert bad.json()["success"] is False
    ckan.close()


def test_publishers_write_with_a_token(site: tuple[str, Cast]) -> None:
    url, cast = site
    ckan = RemoteCKAN(url, apikey=cast.token, user_agent=AGENT)
    created = ckan.action.package_create(
        name="ngan-sach-quan-1-2025", title="Ngân sách Quận 1 năm 2025", owner_org="so-tnmt-hcm",
        notes="Dự toán thu chi", tags=[{"name": "ngân sách"}], license_id="cc-zero",
        state="draft", frequency="annual",
    )  # fmt: skip
    assert created["state"] == "draft"
    with pytest.raises(NotFound):
        RemoteCKAN(url, user_agent=AGENT).action.package_show(id=created["id"])
    patched = ckan.action.package_patch(id=created["id"], state="active", version="1.1")
    assert patched["state"] == "active"
    assert patched["version"] == "1.1"
    assert patched["tags"][0]["name"] == "ngân sách"
    updated = ckan.action.package_update(
        id=created["id"], name="ngan-sach-quan-1-2025", title="Ngân sách Quận 1",
        owner_org="so-tnmt-hcm",
    )  # fmt: skip
    assert updated["tags"] == []
    assert updated["title"] == "Ngân sách Quận 1"
    with pytest.raises(ValidationError) as refused:
        ckan.action.package_create(name="ngan-sach-quan-1-2025", owner_org="so-tnmt-hcm")
    assert "name" in refused.value.error_dict
    resource = ckan.action.resource_create(
        package_id=created["id"], name="Dự toán", upload=io.BytesIO(b"khoan,so_tien\nthu,100\n")
    )
    assert resource["size"] == 22
    assert resource["hash"].startswith("sha256:")
    assert resource["url_type"] == "upload"
    ckan.action.resource_patch(id=resource["id"], description="Số liệu dự toán")
    assert ckan.action.resource_show(id=resource["id"])["description"] == "Số liệu dự toán"
    other = RemoteCKAN(url, apikey=cast.other_token, user_agent=AGENT)
    with pytest.raises(NotAuthorized):
        other.action.package_patch(id=created["id"], title="Bị sửa")
    with pytest.raises(NotAuthorized):
        other.action.package_create(name="gia-mao", owner_org="so-tnmt-hcm")
    ckan.action.resource_delete(id=resource["id"])
    ckan.action.package_delete(id=created["id"])
    with pytest.raises(NotFound):
        RemoteCKAN(url, user_agent=AGENT).action.package_show(id=created["id"])
    ckan.close()
    other.close()


def test_datastore_through_ckanapi(site: tuple[str, Cast]) -> None:
    url, cast = site
    ckan = RemoteCKAN(url, apikey=cast.token, user_agent=AGENT)
    package = ckan.action.package_show(id="chat-luong-khong-khi-hcm-2025")
    legacy = "Trạm,AQI,Ngày\nQuận 1,87,01/03/2025\nThủ Đức,156,02/03/2025\n"
    from nentang.opendata import encodings

    resource = ckan.action.resource_create(
        package_id=package["id"], name="AQI (TCVN3)", format="CSV",
        upload=("aqi-tcvn3.csv", io.BytesIO(encodings.encode_tcvn3(legacy))),
    )  # fmt: skip
    assert resource["datastore_active"] is True
    assert resource["encoding"] == "tcvn3"
    anonymous = RemoteCKAN(url, user_agent=AGENT)
    found = anonymous.action.datastore_search(resource_id=resource["id"], sort="AQI desc", limit=1)
    assert found["total"] == 2
    assert found["records"][0]["Trạm"] == "Thủ Đức"
    assert found["records"][0]["Ngày"] == "2025-03-02"
    assert [f["type"] for f in found["fields"]] == ["int", "text", "int", "date"]
    assert anonymous.action.datastore_search(resource_id=resource["id"], q="thu duc")["total"] == 1
    sql = f'SELECT "Trạm", "AQI" FROM "{resource["id"]}" WHERE "AQI" > 100'
    assert anonymous.action.datastore_search_sql(sql=sql)["records"] == [
        {"Trạm": "Thủ Đức", "AQI": 156}
    ]
    with pytest.raises(ValidationError):
        anonymous.action.datastore_search_sql(sql=f'DELETE FROM "{resource["id"]}"')
    with pytest.raises(NotFound):
        anonymous.action.datastore_search(resource_id="0190b1a8-0000-7000-8000-000000000000")
    created = ckan.action.datastore_create(
        resource={"package_id": package["id"], "name": "Trạm đo"},
        fields=[{"id": "ma", "type": "text"}, {"id": "ten", "type": "text"}],
        records=[{"ma": "Q1", "ten": "Thống Nhất"}],
    )  # fmt: skip
    ckan.action.datastore_upsert(
        resource_id=created["resource_id"],
        method="insert",
        records=[{"ma": "TD", "ten": "Linh Trung"}],
    )
    info = anonymous.action.datastore_info(id=created["resource_id"])
    assert info["meta"]["count"] == 2
    other = RemoteCKAN(url, apikey=cast.other_token, user_agent=AGENT)
    with pytest.raises(NotAuthorized):
        other.action.datastore_upsert(
            resource_id=created["resource_id"], method="insert", records=[{"ma": "X"}]
        )
    ckan.close()
    anonymous.close()
    other.close()
