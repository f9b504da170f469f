"""``ckanapi`` (RemoteCKAN), unmodified, against the open-data demo that ``nentang demo``
loads, served live: every action the issue names, read anonymously, and the demo
publisher's writes with an API token made on the tokens page (issue 13, "Done when")."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from ckanapi import NotAuthorized, NotFound, RemoteCKAN, ValidationError
from django.test import Client
from tests.support.staff import log_in_as

from nentang.audit.services import security_defaults_install
from nentang.kernel import demodata
from nentang.opendata import demo, encodings
from nentang.opendata.tests import support

pytestmark = pytest.mark.django_db(transaction=True)
AGENT = "nentang-tests/1.0"
AQI = "chi-so-aqi-thang-3-2026"  # the demo's table from a TCVN3 file


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    url = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = url
    settings.NENTANG_DEMO_PERCENT = 10  # a tenth of the generated datasets, as other demo tests
    security_defaults_install()
    support.administrative_units()
    support.licences()
    demo.load(demodata.SilentProgress())
    return url


def _token_from_the_tokens_page() -> str:
    """What a publisher does: sign in, open /opendata/tokens, create one, copy it."""
    from django.contrib.auth import get_user_model

    client = Client()
    log_in_as(client, get_user_model().objects.get(username=demo.PUBLISHER))
    page = client.post("/opendata/tokens", {"name": "ckanapi trên máy tôi"})
    assert page.status_code == 200
    found = re.search(r"<code>([^<]+)</code>", page.content.decode())
    assert found is not None
    return found.group(1)


def test_ckanapi_reads_and_writes_the_demo(site: str) -> None:
    _reads(site)
    _writes(site)


def _reads(site: str) -> None:
    ckan = RemoteCKAN(site, user_agent=AGENT)
    assert ckan.action.status_show()["ckan_version"].startswith("2.")
    names = ckan.action.package_list()
    assert AQI in names
    assert "thong-ke-dinh-danh-dien-tu-theo-tinh-thang" in names  # platform statistics
    assert len(names) > 24

    folded = ckan.action.package_search(q="khong khi", rows=5)
    accented = ckan.action.package_search(q="không khí", rows=5)
    assert folded["count"] == accented["count"] > 0
    assert [p["name"] for p in folded["results"]] == [p["name"] for p in accented["results"]]
    found = ckan.action.package_search(
        q="không khí", fq="organization:so-tnmt-hcm", rows=3, start=0, sort="name asc",
        **{"facet.field": ["organization", "groups", "res_format", "license_id", "tags"]},
    )  # fmt: skip
    assert {p["organization"]["name"] for p in found["results"]} == {"so-tnmt-hcm"}
    assert [p["name"] for p in found["results"]] == sorted(p["name"] for p in found["results"])
    assert found["facets"]["organization"] == {"so-tnmt-hcm": found["count"]}
    following = ckan.action.package_search(
        q="không khí", fq="organization:so-tnmt-hcm", rows=3, start=3, sort="name asc"
    )
    assert following["count"] == found["count"]
    assert not {p["name"] for p in following["results"]} & {p["name"] for p in found["results"]}
    assert ckan.action.package_search(fq='groups:"thong-ke"', rows=0)["count"] >= 4

    package = ckan.action.package_show(id=AQI)
    assert package["organization"]["name"] == "so-tnmt-hcm"
    resource = ckan.action.resource_show(id=package["resources"][0]["id"])
    assert resource["encoding"] == "tcvn3"
    assert resource["datastore_active"] is True

    organisations = ckan.action.organization_list()
    assert {"so-tnmt-hcm", "so-gddt-hcm", "so-tc-hcm", "thong-ke-nen-tang"} <= set(organisations)
    shown = ckan.action.organization_show(id="thong-ke-nen-tang", include_datasets=True)
    assert shown["package_count"] >= 4
    assert "thong-ke" in ckan.action.group_list()
    assert ckan.action.group_show(id="moi-truong")["package_count"] > 0
    assert "không khí" in ckan.action.tag_list()
    licences = {lic["id"]: lic for lic in ckan.action.license_list()}
    assert {"cc-by-4.0", "cc-zero", "odc-by"} <= set(licences)
    assert "(verify)" in licences["vn-odl"]["title"]

    rid = resource["id"]
    page = ckan.action.datastore_search(resource_id=rid, limit=5, offset=0)
    assert page["total"] == 120
    assert page["records"][0]["Trạm quan trắc"] == "Trạm Sài Gòn"  # decoded from TCVN3
    assert [f["type"] for f in page["fields"]] == ["int", "text", "date", "int", "numeric", "bool"]
    filtered = ckan.action.datastore_search(
        resource_id=rid, filters={"Trạm quan trắc": "Trạm Thủ Đức"},
        fields=["Trạm quan trắc", "Chỉ số AQI"], sort="Chỉ số AQI desc", limit=3, offset=1,
    )  # fmt: skip
    assert filtered["total"] == 10
    assert len(filtered["records"]) == 3
    assert set(filtered["records"][0]) == {"Trạm quan trắc", "Chỉ số AQI"}
    aqis = [r["Chỉ số AQI"] for r in filtered["records"]]
    assert aqis == sorted(aqis, reverse=True)
    assert ckan.action.datastore_search(resource_id=rid, q="thu duc", limit=0)["total"] == 10
    distinct = ckan.action.datastore_search(
        resource_id=rid, fields=["Vượt ngưỡng"], distinct=True, sort="Vượt ngưỡng asc"
    )
    assert [r["Vượt ngưỡng"] for r in distinct["records"]] == [False, True]
    sql = f'SELECT COUNT(*) AS n FROM "{rid}" WHERE "Vượt ngưỡng"'
    assert ckan.action.datastore_search_sql(sql=sql)["records"][0]["n"] > 0
    with pytest.raises(ValidationError):
        ckan.action.datastore_search_sql(sql="SELECT * FROM opendata_apitoken")
    statistics = ckan.action.package_show(id="thong-ke-dinh-danh-dien-tu-theo-tinh-thang")
    assert re.fullmatch(r"\d{4}\.\d{2}\.\d{2}-\d+", statistics["version"])
    ckan.close()


def _writes(site: str) -> None:
    token = _token_from_the_tokens_page()
    ckan = RemoteCKAN(site, apikey=token, user_agent=AGENT)
    anonymous = RemoteCKAN(site, user_agent=AGENT)
    created = ckan.action.package_create(
        name="tram-quan-trac-moi", title="Trạm quan trắc mới", owner_org="so-tnmt-hcm",
        notes="Danh sách trạm lắp năm 2026.", tags=[{"name": "quan trắc"}], license_id="cc-by-4.0",
        private=True,
    )  # fmt: skip
    with pytest.raises(NotFound):
        anonymous.action.package_show(id=created["id"])
    assert "tram-quan-trac-moi" not in anonymous.action.package_list()
    query = {"q": "tram quan trac", "fq": "name:tram-quan-trac-moi", "include_private": True}
    mine = ckan.action.package_search(**query)
    assert [p["name"] for p in mine["results"]] == ["tram-quan-trac-moi"]
    assert anonymous.action.package_search(**query)["count"] == 0
    patched = ckan.action.package_patch(id=created["id"], private=False, version="2026.1")
    assert patched["version"] == "2026.1"
    assert anonymous.action.package_show(id="tram-quan-trac-moi")["private"] is False

    legacy = encodings.encode_tcvn3("Trạm;Phường\nTrạm Linh Trung;Linh Trung\n")
    resource = ckan.action.resource_create(
        package_id=created["id"], name="Trạm (TCVN3)", format="CSV",
        upload=("tram.csv", io.BytesIO(legacy)),
    )  # fmt: skip
    assert resource["encoding"] == "tcvn3"
    rows = anonymous.action.datastore_search(resource_id=resource["id"])["records"]
    assert rows[0]["Phường"] == "Linh Trung"

    table = ckan.action.datastore_create(
        resource={"package_id": created["id"], "name": "Lượt đo"},
        fields=[{"id": "tram", "type": "text"}, {"id": "aqi", "type": "int"}],
        records=[{"tram": "Linh Trung", "aqi": 87}],
    )  # fmt: skip
    more = [{"tram": "Bến Thành", "aqi": 91}]
    ckan.action.datastore_upsert(resource_id=table["resource_id"], method="insert", records=more)
    assert anonymous.action.datastore_search(resource_id=table["resource_id"])["total"] == 2

    # Another agency's dataset of the demo, and writes without a token.
    budget = anonymous.action.package_search(fq="organization:so-tc-hcm", rows=1)["results"][0]
    with pytest.raises(NotAuthorized):
        ckan.action.package_patch(id=budget["id"], title="Bị sửa")
    with pytest.raises(NotAuthorized):
        ckan.action.package_create(name="gia-mao", owner_org="so-tc-hcm")
    with pytest.raises(NotAuthorized):
        anonymous.action.package_patch(id=created["id"], title="Bị sửa")
    ckan.close()
    anonymous.close()
