"""The NGSI-LD entity operations over HTTP (the whole middleware stack): create, read,
replace, attributes, delete, queries with q and geo, paging and counts, tenants,
JSON-LD contexts, content negotiation and NGSI-LD's error shapes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pyld import jsonld

from nentang.smartcity.ngsild.contexts import CORE_CONTEXT_URL, core_document
from nentang.smartcity.tests.conftest import Ngsi

pytestmark = pytest.mark.django_db

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
SDM = {
    "AirQualityObserved": "https://smartdatamodels.org/dataModel.Environment/AirQualityObserved",
    "pm25": "https://smartdatamodels.org/dataModel.Environment/pm25",
}


def air(number: int, pm25: float, lon: float = 107.5905, lat: float = 16.4637) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:AirQualityObserved:hue-{number:03d}",
        "type": "AirQualityObserved",
        "pm25": {
            "type": "Property",
            "value": pm25,
            "unitCode": "GQ",
            "observedAt": "2026-12-01T08:00:00Z",
        },
        "name": {"type": "Property", "value": f"Trạm {number}"},
        "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}},
        "refDevice": {"type": "Relationship", "object": f"urn:ngsi-ld:Device:hue-{number:03d}"},
    }


def error_of(response: Any) -> str:
    body = response.json()
    assert set(body) >= {"type", "title"}, body
    assert body["type"].startswith(ERRORS), body
    return str(body["type"].removeprefix(ERRORS))


def test_create_read_replace_and_delete_an_entity(ngsi: Ngsi) -> None:
    created = ngsi.call("POST", "/entities", air(1, 35.5))
    assert created.status_code == 201, created.content
    assert created["Location"] == "/ngsi-ld/v1/entities/urn:ngsi-ld:AirQualityObserved:hue-001"

    again = ngsi.call("POST", "/entities", air(1, 35.5))
    assert (again.status_code, error_of(again)) == (409, "AlreadyExists")

    got = ngsi.call("GET", "/entities/urn:ngsi-ld:AirQualityObserved:hue-001")
    assert got.status_code == 200
    assert got["Content-Type"] == "application/json"
    assert CORE_CONTEXT_URL in got["Link"]
    entity = got.json()
    assert entity["pm25"]["value"] == 35.5
    assert entity["pm25"]["unitCode"] == "GQ"
    assert entity["pm25"]["observedAt"].startswith("2026-12-01T08:00:00")
    assert entity["refDevice"] == {"type": "Relationship", "object": "urn:ngsi-ld:Device:hue-001"}
    assert entity["location"]["value"]["type"] == "Point"

    simple = ngsi.call("GET", "/entities/urn:ngsi-ld:AirQualityObserved:hue-001?options=keyValues")
    assert simple.json()["pm25"] == 35.5
    picked = ngsi.call("GET", "/entities/urn:ngsi-ld:AirQualityObserved:hue-001?attrs=name")
    assert set(picked.json()) == {"id", "type", "name"}
    sys = ngsi.call("GET", "/entities/urn:ngsi-ld:AirQualityObserved:hue-001?options=sysAttrs")
    assert "createdAt" in sys.json()
    assert "modifiedAt" in sys.json()["pm25"]

    replacement = {"type": "AirQualityObserved", "pm25": {"type": "Property", "value": 12}}
    replaced = ngsi.call("PUT", "/entities/urn:ngsi-ld:AirQualityObserved:hue-001", replacement)
    assert replaced.status_code == 204, replaced.content
    after = ngsi.call("GET", "/entities/urn:ngsi-ld:AirQualityObserved:hue-001").json()
    assert set(after) == {"id", "type", "pm25"}
    assert after["pm25"]["value"] == 12

    deleted = ngsi.call("DELETE", "/entities/urn:ngsi-ld:AirQualityObserved:hue-001")
    assert deleted.status_code == 204
    gone = ngsi.call("GET", "/entities/urn:ngsi-ld:AirQualityObserved:hue-001")
    assert (gone.status_code, error_of(gone)) == (404, "ResourceNotFound")


def test_attribute_operations(ngsi: Ngsi) -> None:
    ngsi.call("POST", "/entities", air(2, 40))
    path = "/entities/urn:ngsi-ld:AirQualityObserved:hue-002"

    appended = ngsi.call("POST", path + "/attrs", {"no2": {"type": "Property", "value": 21}})
    assert appended.status_code == 204
    kept = ngsi.call(
        "POST", path + "/attrs?options=noOverwrite", {"no2": {"type": "Property", "value": 99}}
    )
    assert kept.status_code == 207
    assert kept.json()["notUpdated"][0]["attributeName"] == "no2"
    assert ngsi.call("GET", path).json()["no2"]["value"] == 21

    partly = ngsi.call(
        "PATCH",
        path + "/attrs",
        {
            "pm25": {"type": "Property", "value": 60, "unitCode": "GQ"},
            "o3": {"type": "Property", "value": 1},
        },
    )
    assert partly.status_code == 207
    assert partly.json()["updated"] == ["pm25"]
    assert partly.json()["notUpdated"][0]["attributeName"] == "o3"

    one = ngsi.call("PATCH", path + "/attrs/pm25", {"value": 61})
    assert one.status_code == 204
    entity = ngsi.call("GET", path).json()
    assert entity["pm25"]["value"] == 61
    assert entity["pm25"]["unitCode"] == "GQ"
    missing = ngsi.call("PATCH", path + "/attrs/o3", {"value": 1})
    assert (missing.status_code, error_of(missing)) == (404, "ResourceNotFound")

    # Multi-attributes: one instance per datasetId.
    ngsi.call(
        "POST",
        path + "/attrs",
        {"pm25": {"type": "Property", "value": 70, "datasetId": "urn:ngsi-ld:Dataset:laser"}},
    )
    both = ngsi.call("GET", path).json()["pm25"]
    assert isinstance(both, list)
    assert {i.get("datasetId") for i in both} == {
        None,
        "urn:ngsi-ld:Dataset:laser",
    }
    dropped = ngsi.call("DELETE", path + "/attrs/pm25?datasetId=urn:ngsi-ld:Dataset:laser")
    assert dropped.status_code == 204
    assert ngsi.call("GET", path).json()["pm25"]["value"] == 61
    assert ngsi.call("DELETE", path + "/attrs/no2").status_code == 204
    assert "no2" not in ngsi.call("GET", path).json()

    merged = ngsi.call("PATCH", path, {"pm10": {"type": "Property", "value": 80}})
    assert merged.status_code == 204
    assert ngsi.call("GET", path).json()["pm10"]["value"] == 80


def test_queries_with_q_paging_and_counts(ngsi: Ngsi) -> None:
    for number, pm25 in enumerate([10, 30, 55.5, 80, 120], start=1):
        assert ngsi.call("POST", "/entities", air(number, pm25)).status_code == 201
    ngsi.call(
        "POST",
        "/entities",
        {
            "id": "urn:ngsi-ld:Streetlight:1",
            "type": "Streetlight",
            "powerState": {"type": "Property", "value": "off"},
        },
    )

    def ids(query: str) -> list[str]:
        answer = ngsi.call("GET", "/entities?" + query)
        assert answer.status_code == 200, answer.content
        return [e["id"].rsplit("-", 1)[-1] for e in answer.json()]

    assert ids("type=AirQualityObserved&q=pm25>50") == ["003", "004", "005"]
    assert ids("type=AirQualityObserved&q=pm25>50;pm25<100") == ["003", "004"]
    assert ids("type=AirQualityObserved&q=pm25<20|pm25>=120") == ["001", "005"]
    assert ids("type=AirQualityObserved&q=(pm25<20|pm25>100);name==%22Tr%E1%BA%A1m%205%22") == [
        "005"
    ]
    assert ids("type=AirQualityObserved&q=pm25==30..80") == ["002", "003", "004"]
    assert ids("type=AirQualityObserved&q=pm25==10,120") == ["001", "005"]
    assert ids("type=AirQualityObserved&q=pm25!=10") == ["002", "003", "004", "005"]
    assert ids("type=AirQualityObserved&q=name~=5$") == ["005"]
    assert ids("q=refDevice==urn:ngsi-ld:Device:hue-004") == ["004"]
    assert ids("type=AirQualityObserved&q=pm25.unitCode==%22GQ%22&limit=2") == ["001", "002"]
    assert ids("idPattern=.*hue-00[12]$") == ["001", "002"]
    assert ids("id=urn:ngsi-ld:AirQualityObserved:hue-002,urn:ngsi-ld:Streetlight:1") == [
        "002",
        "ld:Streetlight:1",
    ]
    assert ids("type=Streetlight&q=powerState==%22off%22") == ["ld:Streetlight:1"]
    assert ids("attrs=powerState") == ["ld:Streetlight:1"]

    slash = ngsi.call("GET", "/entities/?type=AirQualityObserved&limit=1")  # ngsildclient's form
    assert slash.status_code == 200
    page = ngsi.call("GET", "/entities?type=AirQualityObserved&limit=2&offset=2&count=true")
    assert page["NGSILD-Results-Count"] == "5"
    assert [e["id"][-3:] for e in page.json()] == ["003", "004"]
    counted = ngsi.call("GET", "/entities?type=AirQualityObserved&q=pm25>50&limit=0&count=true")
    assert counted.json() == []
    assert counted["NGSILD-Results-Count"] == "3"

    for bad in [
        "q=pm25>",
        "q=(pm25>1",
        "q=pm25>1)",
        "q===1",
        "idPattern=(",
        "limit=-1",
        "limit=abc",
    ]:
        answer = ngsi.call("GET", f"/entities?type=AirQualityObserved&{bad}")
        assert (answer.status_code, error_of(answer)) == (400, "BadRequestData"), bad
    nothing = ngsi.call("GET", "/entities")
    assert (nothing.status_code, error_of(nothing)) == (400, "BadRequestData")
    too_many = ngsi.call("GET", "/entities?type=AirQualityObserved&limit=5000")
    assert (too_many.status_code, error_of(too_many)) == (403, "TooManyResults")


def test_geo_queries(ngsi: Ngsi) -> None:
    # Huế: Đại Nội (107.5776, 16.4698), Chợ Đông Ba (107.5880, 16.4733), a sensor 800 m
    # east of Đông Ba, and one at Đà Nẵng's Cầu Rồng (108.2272, 16.0612).
    spots = {
        1: (107.5776, 16.4698),
        2: (107.5880, 16.4733),
        3: (107.5955, 16.4733),
        4: (108.2272, 16.0612),
    }
    for number, (lon, lat) in spots.items():
        ngsi.call("POST", "/entities", air(number, 20, lon, lat))

    def ids(query: str) -> list[int]:
        answer = ngsi.call("GET", "/entities?type=AirQualityObserved&" + query)
        assert answer.status_code == 200, answer.content
        return [int(e["id"][-3:]) for e in answer.json()]

    near = "georel=near;maxDistance==1000&geometry=Point&coordinates=[107.5880,16.4733]"
    assert ids(near) == [2, 3]  # Đại Nội is ~1.15 km away, Cầu Rồng ~80 km
    assert ids(near.replace("1000", "500")) == [2]
    far = "georel=near;minDistance==1000&geometry=Point&coordinates=[107.5880,16.4733]"
    assert ids(far) == [1, 4]
    box = [[107.57, 16.46], [107.59, 16.46], [107.59, 16.48], [107.57, 16.48], [107.57, 16.46]]
    within = f"georel=within&geometry=Polygon&coordinates={json.dumps([box])}"
    assert ids(within) == [1, 2]
    assert ids(within.replace("within", "intersects")) == [1, 2]
    assert ids(within.replace("within", "disjoint")) == [3, 4]

    for bad in [
        "georel=near&geometry=Point&coordinates=[107.5,16.4]",
        "georel=near;maxDistance==-5&geometry=Point&coordinates=[107.5,16.4]",
        "georel=within&geometry=Point&coordinates=[200,16.4]",
        "georel=within&geometry=Polygon&coordinates=[[[1,1],[2,2],[3,1]]]",
        "georel=within&geometry=Circle&coordinates=[1,1]",
        "georel=within&geometry=Point&coordinates=nope",
        "georel=touches&geometry=Point&coordinates=[1,1]",
        "georel=within&geometry=Point",
    ]:
        answer = ngsi.call("GET", "/entities?type=AirQualityObserved&" + bad)
        assert (answer.status_code, error_of(answer)) == (400, "BadRequestData"), bad


def test_json_ld_contexts_link_header_and_accept(ngsi: Ngsi, client: Any) -> None:
    # A user context in the body (application/ld+json) maps the Smart Data Models terms.
    body = {
        "@context": [SDM, CORE_CONTEXT_URL],
        "id": "urn:ngsi-ld:AirQualityObserved:hue-100",
        "type": "AirQualityObserved",
        "pm25": {"type": "Property", "value": 42},
    }
    created = ngsi.call("POST", "/entities", body, content_type="application/ld+json")
    assert created.status_code == 201, created.content
    # Without that context the terms are different IRIs: nothing of that type is found.
    plain = ngsi.call("GET", "/entities?type=AirQualityObserved")
    assert plain.json() == []
    # Served in full IRIs, which expand to the same thing under any context.
    raw = ngsi.call("GET", "/entities/urn:ngsi-ld:AirQualityObserved:hue-100").json()
    assert raw["type"] == SDM["AirQualityObserved"]
    assert raw[SDM["pm25"]]["value"] == 42

    # Answer in JSON-LD: the @context is in the body, and PyLD, an independent JSON-LD
    # processor, expands it to the IRIs we stored.
    answer = ngsi.call(
        "GET",
        "/entities?type=" + SDM["AirQualityObserved"],
        headers={"Accept": "application/ld+json"},
    )
    assert answer["Content-Type"] == "application/ld+json"
    document = answer.json()[0]
    assert "@context" in document

    def loader(url: str, options: Any = None) -> dict[str, Any]:
        assert url == CORE_CONTEXT_URL
        return {"contextUrl": None, "documentUrl": url, "document": core_document()}

    expanded = jsonld.expand(document, {"documentLoader": loader})[0]
    assert expanded["@type"] == [SDM["AirQualityObserved"]]
    value = expanded[SDM["pm25"]][0]["https://uri.etsi.org/ngsi-ld/hasValue"][0]["@value"]
    assert value == 42

    # The core context is served here, for clients that cannot reach uri.etsi.org.
    served = client.get("/ngsi-ld/v1/jsonldContexts/ngsi-ld-core-context-v1.8.jsonld")
    assert served.status_code == 200
    assert served.json() == core_document()

    # A Link header to a context this broker does not hold: no fetching, a clear error.
    link = (
        '<https://example.org/ctx.jsonld>; rel="http://www.w3.org/ns/json-ld#context"; '
        'type="application/ld+json"'
    )
    unknown = ngsi.call("GET", "/entities?type=X", headers={"Link": link})
    assert (unknown.status_code, error_of(unknown)) == (503, "LdContextNotAvailable")

    # Negotiation and media types.
    xml = ngsi.call("GET", "/entities?type=X", headers={"Accept": "application/xml"})
    assert (xml.status_code, error_of(xml)) == (406, "NotAcceptable")
    text = ngsi.call("POST", "/entities", raw=b"id=1", content_type="text/plain")
    assert (text.status_code, error_of(text)) == (415, "UnsupportedMediaType")
    ld_without = ngsi.call("POST", "/entities", air(5, 1), content_type="application/ld+json")
    assert (ld_without.status_code, error_of(ld_without)) == (400, "BadRequestData")
    json_with = ngsi.call("POST", "/entities", body | {"id": "urn:x:1"})
    assert (json_with.status_code, error_of(json_with)) == (400, "BadRequestData")


def test_bad_entities_change_nothing(ngsi: Ngsi) -> None:
    cases = [
        {"id": "not a uri", "type": "T"},
        {"id": "urn:ngsi-ld:T:1"},
        {"id": "urn:ngsi-ld:T:1", "type": "T", "a": {"type": "Property"}},
        {"id": "urn:ngsi-ld:T:1", "type": "T", "a": {"type": "Relationship", "object": "x y"}},
        {"id": "urn:ngsi-ld:T:1", "type": "T", "a": {"type": "Gadget", "value": 1}},
        {
            "id": "urn:ngsi-ld:T:1",
            "type": "T",
            "location": {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [1]}},
        },
        {"id": "urn:ngsi-ld:T:1", "type": "T", "a": {"value": 1, "observedAt": "yesterday"}},
        {"id": "urn:ngsi-ld:T:1", "type": "T", "a=b": {"value": 1}},
        [1, 2],
    ]
    for case in cases:
        answer = ngsi.call("POST", "/entities", case)
        assert (answer.status_code, error_of(answer)) == (400, "BadRequestData"), case
    broken = ngsi.call("POST", "/entities", raw=b"{not json", content_type="application/json")
    assert (broken.status_code, error_of(broken)) == (400, "InvalidRequest")
    for constant in (b"NaN", b"Infinity", b"-Infinity"):  # Python's json takes them; JSON not
        body = b'{"id": "urn:ngsi-ld:T:1", "type": "T", "a": {"value": %s}}' % constant
        for path in ("/entities", "/entityOperations/upsert"):
            raw = body if path == "/entities" else b"[" + body + b"]"
            odd = ngsi.call("POST", path, raw=raw, content_type="application/json")
            assert (odd.status_code, error_of(odd)) == (400, "InvalidRequest"), (path, constant)
    assert ngsi.call("GET", "/entities?idPattern=.*").json() == []


def test_tenants_and_tokens(ngsi: Ngsi, client: Any) -> None:
    from nentang.smartcity import services
    from nentang.smartcity.tests.conftest import OPERATOR, register_client, token_for

    assert ngsi.call("POST", "/entities", air(1, 10)).status_code == 201
    # Đà Nẵng is another tenant: the entity is not there, and this client has no grant.
    danang = Ngsi(client, ngsi.token, tenant="danang")
    answer = danang.call("GET", "/entities?type=AirQualityObserved")
    assert (answer.status_code, error_of(answer)) == (404, "NonexistentTenant")
    nowhere = Ngsi(client, ngsi.token, tenant="atlantis")
    assert error_of(nowhere.call("GET", "/entities?type=X")) == "NonexistentTenant"

    register_client("danang-reader")
    services.tenant_grant(
        actor=OPERATOR, tenant="danang", client_id="danang-reader", can_write=False
    )
    services.tenant_grant(actor=OPERATOR, tenant="hue", client_id="danang-reader", can_write=False)
    reader = Ngsi(client, token_for(client, "danang-reader"), tenant="danang")
    assert reader.call("GET", "/entities?type=AirQualityObserved").json() == []
    in_hue = Ngsi(client, reader.token, tenant="hue")
    assert len(in_hue.call("GET", "/entities?type=AirQualityObserved").json()) == 1
    denied = in_hue.call("POST", "/entities", air(2, 10))
    assert (denied.status_code, error_of(denied)) == (403, "Forbidden")

    anonymous = client.get("/ngsi-ld/v1/entities?type=X")
    assert (anonymous.status_code, error_of(anonymous)) == (401, "Unauthorized")
    forged = Ngsi(client, "forged-token").call("GET", "/entities?type=X")
    assert (forged.status_code, error_of(forged)) == (401, "Unauthorized")
    register_client("other-scope", scopes=("postal",))
    wrong = Ngsi(client, token_for(client, "other-scope", "postal")).call("GET", "/entities?type=X")
    assert (wrong.status_code, error_of(wrong)) == (403, "Forbidden")
    unknown_path = ngsi.call("GET", "/nothing-here")
    assert (unknown_path.status_code, error_of(unknown_path)) == (404, "ResourceNotFound")


def test_entity_get_by_id_checks_the_grant_on_every_request(ngsi: Ngsi, client: Any) -> None:
    """The GET by id is one query (entity joined with the grant) and the token's client
    is remembered for a few seconds, but the grant is never remembered: removing it
    shuts the door on the next request. Other tenants' entities stay invisible."""
    from nentang.smartcity import services
    from nentang.smartcity.models import TenantGrant
    from nentang.smartcity.tests.conftest import OPERATOR, register_client, token_for
    from nentang.smartcity.views import bearer

    entity = air(7, 30)
    assert ngsi.call("POST", "/entities", entity).status_code == 201
    path = f"/entities/{entity['id']}"
    first = ngsi.call("GET", path)
    assert first.status_code == 200
    assert first.json()["pm25"]["value"] == 30
    # The same id asked in a tenant without a grant, or in no tenant at all.
    for tenant in ("danang", "atlantis"):
        other = Ngsi(client, ngsi.token, tenant=tenant).call("GET", path)
        assert (other.status_code, error_of(other)) == (404, "NonexistentTenant")
    missing = ngsi.call("GET", "/entities/urn:ngsi-ld:AirQualityObserved:none")
    assert (missing.status_code, error_of(missing)) == (404, "ResourceNotFound")
    # A reader of Đà Nẵng only: the Huế entity is not there for it.
    register_client("danang-only")
    services.tenant_grant(actor=OPERATOR, tenant="danang", client_id="danang-only", can_write=False)
    outsider = Ngsi(client, token_for(client, "danang-only"), tenant="hue").call("GET", path)
    assert (outsider.status_code, error_of(outsider)) == (404, "NonexistentTenant")

    assert bearer._seen, "the token's client is remembered after a request"
    TenantGrant.objects.filter(client_id="hue-ioc").delete()
    refused = ngsi.call("GET", path)
    assert (refused.status_code, error_of(refused)) == (404, "NonexistentTenant")
    # A forged token is never remembered, however often it is sent.
    before = dict(bearer._seen)
    for _ in range(3):
        forged = Ngsi(client, "forged\x00token").call("GET", path)
        assert (forged.status_code, error_of(forged)) == (401, "Unauthorized")
    assert bearer._seen == before


def test_entity_get_for_platform_code_and_its_stored_times(ngsi: Ngsi) -> None:
    """The fixed-SQL read also serves trusted platform code (no grant), and hands back the
    document and its times as stored, on both databases."""
    from nentang.smartcity import selectors
    from nentang.smartcity.models import Entity
    from nentang.smartcity.ngsild.entities import iso
    from nentang.smartcity.ngsild.errors import NgsiError
    from nentang.smartcity.services import Caller

    entity = air(8, 41)
    assert ngsi.call("POST", "/entities", entity).status_code == 201
    platform = Caller.system("test")
    view = selectors.entity_get(caller=platform, tenant="hue", entity_id=entity["id"])
    row = Entity.objects.get(tenant__name="hue", entity_id=entity["id"])
    assert view.data == row.data
    assert (view.created_at, view.modified_at) == (iso(row.created_at), iso(row.modified_at))
    for tenant, entity_id, expected in (
        ("atlantis", entity["id"], "NonexistentTenant"),
        ("danang", entity["id"], "ResourceNotFound"),  # a tenant that exists, not there
    ):
        with pytest.raises(NgsiError) as caught:
            selectors.entity_get(caller=platform, tenant=tenant, entity_id=entity_id)
        assert caught.value.kind == expected
