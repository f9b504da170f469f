"""nentang's own JSON API of open data (``/api/v1/opendata/``) over real HTTP: cursor
pages, search, a dataset with its provenance, creates with ``Idempotency-Key``,
problem+json on bad input, object-level authorisation, the datastore's rows and the
data dictionary, harvest sources."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nentang.audit.services import security_defaults_install
from nentang.opendata import services
from nentang.opendata.models import Dataset
from nentang.opendata.tests import support
from nentang.opendata.tests.support import Cast

pytestmark = pytest.mark.django_db(transaction=True)
PROBLEM = "application/problem+json"
# The first request builds the API (slow on a busy machine): a patient client.
http = httpx.Client(timeout=60)


@pytest.fixture
def site(live_server: Any, settings: Any) -> tuple[str, Cast]:
    url = str(live_server.url).replace("//localhost:", "//127.0.0.1:")
    settings.BASE_URL = url
    security_defaults_install()
    cast = support.cast()
    air = support.air_quality(cast)
    services.datastore_create(
        account=cast.publisher, resource=air.resources.get(), fields=None,
        records=[{"tram": "Quận 1", "aqi": "52"}, {"tram": "Thủ Đức", "aqi": "87"},
                 {"tram": "Cần Giờ", "aqi": "31"}],
    )  # fmt: skip
    for n in range(3):
        services.dataset_create(
            account=cast.other_publisher,
            data={"name": f"truong-hoc-{n}", "title": f"Danh sách trường học {n}",
                  "owner_org": "so-gddt-hcm"},
        )  # fmt: skip
    return f"{url}/api/v1/opendata", cast


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_reads_pages_search_and_records(site: tuple[str, Cast]) -> None:
    api, _cast = site
    first = http.get(f"{api}/datasets", params={"limit": 3})
    assert first.status_code == 200
    names = [d["name"] for d in first.json()["items"]]
    assert names == ["chat-luong-khong-khi-hcm-2025", "truong-hoc-0", "truong-hoc-1"]
    second = http.get(f"{api}/datasets", params={"limit": 3, "cursor": first.json()["next_cursor"]})
    assert [d["name"] for d in second.json()["items"]] == ["truong-hoc-2"]
    assert second.json()["next_cursor"] is None
    forged = http.get(f"{api}/datasets", params={"cursor": "bm90LWEtY3Vyc29y"})
    assert forged.status_code == 400
    assert forged.headers["content-type"].startswith(PROBLEM)
    assert forged.json()["code"] == "invalid_cursor"

    found = http.get(f"{api}/search", params={"q": "khong khi", "facets": "organization"})
    assert found.json()["count"] == 1
    assert found.json()["facets"] == {"organization": {"so-tnmt-hcm": 1}}

    dataset = http.get(f"{api}/datasets/chat-luong-khong-khi-hcm-2025").json()
    assert dataset["organisation"] == "so-tnmt-hcm"
    assert dataset["harvested_from"] is None
    resource = dataset["resources"][0]
    assert [f["id"] for f in resource["fields"]] == ["tram", "aqi"]
    rows = http.get(f"{api}/resources/{resource['id']}/records", params={"sort": "aqi desc"})
    assert [r["tram"] for r in rows.json()["records"]] == ["Thủ Đức", "Quận 1", "Cần Giờ"]
    assert rows.json()["total"] == 3
    filtered = http.get(f"{api}/resources/{resource['id']}/records", params={"tram": "Cần Giờ"})
    assert [r["aqi"] for r in filtered.json()["records"]] == [31]

    missing = http.get(f"{api}/datasets/khong-co")
    assert missing.status_code == 404
    assert missing.json()["code"] == "dataset_not_found"
    schema = http.get(str(api).replace("/opendata", "/openapi.json")).json()
    assert "/api/v1/opendata/datasets" in schema["paths"]
    create = schema["paths"]["/api/v1/opendata/datasets"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in create["parameters"])


def test_create_is_idempotent_and_checked(site: tuple[str, Cast]) -> None:
    api, cast = site
    body = {
        "name": "quan-trac-nuoc", "title": "Quan trắc nước mặt", "owner_org": "so-tnmt-hcm",
        "tags": ["nước"], "resources": [{"name": "CSV", "url": "https://x.gov.vn/n.csv"}],
    }  # fmt: skip
    headers = {**bearer(cast.token), "Idempotency-Key": "tao-nuoc-1"}

    created = http.post(f"{api}/datasets", json=body, headers=headers)
    replay = http.post(f"{api}/datasets", json=body, headers=headers)
    reused = http.post(f"{api}/datasets", json={**body, "title": "Khác"}, headers=headers)

    assert created.status_code == 201, created.text
    assert created.json()["resources"][0]["format"] == "CSV"
    assert replay.status_code == 201
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json()["id"] == created.json()["id"]
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"
    assert Dataset.objects.filter(name="quan-trac-nuoc").count() == 1

    bad = http.post(
        f"{api}/datasets", headers=bearer(cast.token),
        json={**body, "name": "Tên Sai", "license_id": "khong-co", "spatial": ["99"]},
    )  # fmt: skip
    assert bad.status_code == 422
    assert bad.headers["content-type"].startswith(PROBLEM)
    assert {e["field"] for e in bad.json()["errors"]} == {"name", "license_id", "spatial"}
    nul = http.post(f"{api}/datasets", headers=bearer(cast.token), json={**body, "title": "a\x00"})
    assert nul.status_code in (400, 422)
    assert nul.headers["content-type"].startswith(PROBLEM)
    anonymous = http.post(f"{api}/datasets", json=body)
    assert anonymous.status_code == 401
    wrong = http.post(f"{api}/datasets", json=body, headers=bearer("ntod_khong-co"))
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_api_token"


def test_another_agency_cannot_touch_and_private_is_hidden(site: tuple[str, Cast]) -> None:
    api, cast = site
    other = bearer(cast.other_token)
    patch = http.patch(
        f"{api}/datasets/chat-luong-khong-khi-hcm-2025", json={"title": "Bị sửa"}, headers=other
    )
    assert patch.status_code == 403
    assert patch.json()["code"] == "publisher_required"
    into_theirs = http.post(
        f"{api}/datasets", headers=other,
        json={"name": "gia-mao", "title": "Giả mạo", "owner_org": "so-tnmt-hcm"},
    )  # fmt: skip
    assert into_theirs.status_code == 403
    state = http.post(
        f"{api}/datasets/chat-luong-khong-khi-hcm-2025/state", json={"state": "deleted"},
        headers=other,
    )  # fmt: skip
    assert state.status_code == 403
    assert Dataset.objects.get(name="chat-luong-khong-khi-hcm-2025").state == "published"

    own = http.patch(
        f"{api}/datasets/chat-luong-khong-khi-hcm-2025", headers=bearer(cast.token),
        json={"private": True, "title": "Chất lượng không khí (nội bộ)"},
    )  # fmt: skip
    assert own.status_code == 200
    assert own.json()["private"] is True
    assert http.get(f"{api}/datasets/chat-luong-khong-khi-hcm-2025").status_code == 404
    assert (
        http.get(f"{api}/datasets/chat-luong-khong-khi-hcm-2025", headers=other).status_code == 404
    )
    mine = http.get(f"{api}/datasets/chat-luong-khong-khi-hcm-2025", headers=bearer(cast.token))
    assert mine.status_code == 200
    resource_id = mine.json()["resources"][0]["id"]
    assert http.get(f"{api}/resources/{resource_id}/records").status_code == 404
    listed = http.get(f"{api}/datasets", params={"organisation": "so-tnmt-hcm"})
    assert listed.json()["items"] == []

    deprecated = http.post(
        f"{api}/datasets/chat-luong-khong-khi-hcm-2025/state", json={"state": "deprecated"},
        headers=bearer(cast.token),
    )  # fmt: skip
    assert deprecated.status_code == 200
    assert deprecated.json()["state"] == "deprecated"


def test_the_data_dictionary_through_the_api(site: tuple[str, Cast]) -> None:
    api, cast = site
    dataset = http.get(f"{api}/datasets/chat-luong-khong-khi-hcm-2025").json()
    resource_id = dataset["resources"][0]["id"]
    url = f"{api}/resources/{resource_id}/fields/aqi"
    body = {"label": "Chỉ số AQI", "notes": "Theo QCVN 05:2023/BTNMT, trung bình giờ."}

    described = http.put(url, json=body, headers=bearer(cast.token))

    assert described.status_code == 200, described.text
    fields = {f["id"]: f for f in described.json()["fields"]}
    assert fields["aqi"]["label"] == "Chỉ số AQI"
    public = http.get(f"{api}/resources/{resource_id}").json()
    assert {f["id"]: f["notes"] for f in public["fields"]}["aqi"].startswith("Theo QCVN")
    assert http.put(url, json=body, headers=bearer(cast.other_token)).status_code == 403
    unknown = http.put(f"{api}/resources/{resource_id}/fields/khong", json=body,
                        headers=bearer(cast.token))  # fmt: skip
    assert unknown.status_code == 422
    assert unknown.json()["errors"][0]["field"] == "field"
    too_long = http.put(url, json={"label": "x" * 201}, headers=bearer(cast.token))
    assert too_long.status_code == 422


def test_harvest_sources_through_the_api(site: tuple[str, Cast], settings: Any) -> None:
    import ipaddress

    api, cast = site
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    body = {"name": "cong-tinh", "title": "Cổng dữ liệu tỉnh", "url": "http://127.0.0.1:8149",
            "kind": "ckan", "organisation": "so-tnmt-hcm", "frequency": "manual"}  # fmt: skip
    headers = {**bearer(cast.token), "Idempotency-Key": "nguon-1"}

    created = http.post(f"{api}/harvest-sources", json=body, headers=headers)
    replay = http.post(f"{api}/harvest-sources", json=body, headers=headers)

    assert created.status_code == 201, created.text
    assert replay.headers["Idempotent-Replayed"] == "true"
    listed = http.get(f"{api}/harvest-sources", headers=bearer(cast.token)).json()
    assert [s["name"] for s in listed["items"]] == ["cong-tinh"]
    assert http.get(f"{api}/harvest-sources", headers=bearer(cast.other_token)).json() == {
        "items": [], "next_cursor": None,
    }  # fmt: skip
    hidden = http.get(f"{api}/harvest-sources/cong-tinh", headers=bearer(cast.other_token))
    assert hidden.status_code == 404
    assert hidden.json()["code"] == "harvest_source_not_found"
    queued = http.post(f"{api}/harvest-sources/cong-tinh/runs", headers=bearer(cast.token))
    assert queued.status_code == 202
    assert (
        http.post(
            f"{api}/harvest-sources/cong-tinh/runs", headers=bearer(cast.other_token)
        ).status_code
        == 404
    )
    taken = http.post(f"{api}/harvest-sources", json=body, headers=bearer(cast.token))
    assert taken.status_code == 409
    assert taken.json()["code"] == "harvest_source_taken"


def test_themes_licences_tags_and_sql(site: tuple[str, Cast]) -> None:
    api, _cast = site
    groups = http.get(f"{api}/groups", params={"limit": 1})
    assert groups.status_code == 200
    assert [g["name"] for g in groups.json()["items"]] == ["giao-duc"]
    rest = http.get(f"{api}/groups", params={"cursor": groups.json()["next_cursor"]}).json()
    assert [(g["name"], g["datasets"]) for g in rest["items"]] == [("moi-truong", 1)]
    theme = http.get(f"{api}/groups/moi-truong").json()
    assert theme["title"] == "Môi trường"
    assert http.get(f"{api}/groups/khong-co").json()["code"] == "group_not_found"
    licences = {li["id"]: li for li in http.get(f"{api}/licences").json()["items"]}
    assert {"cc-by-4.0", "cc-zero"} <= set(licences)
    assert licences["cc-by-4.0"]["is_open"] is True
    tags = http.get(f"{api}/tags").json()["items"]
    assert "AQI" in tags
    assert http.get(f"{api}/tags", params={"q": "khong-co-the-nay"}).json()["items"] == []

    dataset = http.get(f"{api}/datasets/chat-luong-khong-khi-hcm-2025").json()
    table = dataset["resources"][0]["id"]
    answer = http.get(f"{api}/sql", params={"sql": f'SELECT MAX(aqi) AS m FROM "{table}"'})
    assert answer.status_code == 200, answer.text
    assert answer.json()["records"] == [{"m": 87}]
    for refused in (f'DELETE FROM "{table}"', "SELECT * FROM opendata_apitoken",
                    f'SELECT 1 FROM "{table}"; SELECT 2'):  # fmt: skip
        bad = http.get(f"{api}/sql", params={"sql": refused})
        assert bad.status_code == 400, refused
        assert bad.headers["content-type"].startswith(PROBLEM)
        assert bad.json()["code"] == "sql_refused"
    assert http.get(f"{api}/sql").status_code in (400, 422)


def test_appending_rows_is_idempotent_and_checked(site: tuple[str, Cast]) -> None:
    api, cast = site
    dataset = http.get(f"{api}/datasets/chat-luong-khong-khi-hcm-2025").json()
    url = f"{api}/resources/{dataset['resources'][0]['id']}/records"
    body = {"records": [{"tram": "Nhà Bè", "aqi": "64"}]}
    headers = {**bearer(cast.token), "Idempotency-Key": "them-dong-1"}

    added = http.post(url, json=body, headers=headers)
    replay = http.post(url, json=body, headers=headers)

    assert added.status_code == 201, added.text
    assert added.json()["appended"] == 1
    assert added.json()["total"] == 4
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert http.get(url, params={"q": "nha be"}).json()["total"] == 1
    assert http.get(url).json()["total"] == 4

    other = http.post(url, json=body, headers=bearer(cast.other_token))
    assert other.status_code == 403
    assert http.post(url, json=body).status_code == 401
    unknown = http.post(url, json={"records": [{"khong": "1"}]}, headers=bearer(cast.token))
    assert unknown.status_code == 422
    assert unknown.headers["content-type"].startswith(PROBLEM)
    assert unknown.json()["errors"][0]["field"] == "khong"
    wrong = http.post(url, json={"records": [{"aqi": "nhiều"}]}, headers=bearer(cast.token))
    assert wrong.status_code == 422
    empty = http.post(url, json={"records": []}, headers=bearer(cast.token))
    assert empty.status_code == 422
    assert http.get(url).json()["total"] == 4
