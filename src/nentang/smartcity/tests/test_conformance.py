"""A conformance run over real HTTP on loopback, modelled on the ETSI NGSI-LD API
conformance test suite (ETSI ISG CIM's Robot Framework suite, "TP/NGSI-LD/…"; FIWARE's
older Jest suite NGSI-LD_TestSuite). Neither is published on PyPI or npm, and nothing
is fetched from the internet at test time, so the suite itself cannot run here. This is
the closest honest alternative: our own code, one test per suite test-case family,
named by its identifier, asserting what that case asserts (status, error type, headers,
body) against ``live_server`` with httpx — an HTTP client independent of Django's.

Covered (ids of the ETSI suite, ContextInformation/Provision|Consumption, BatchEntities):
CreateEntity 001_01 (201 + Location), 001_02 (InvalidRequest for malformed JSON,
BadRequestData for a JSON-LD body without @context and for an invalid type), 001_03
(AlreadyExists); RetrieveEntity 018_01 (the entity back, compacted), 018_02
(ResourceNotFound), 018_03 (BadRequestData for an id that is not a URI), 018_05
(``Accept: application/ld+json`` → @context in the body; ``application/json`` → Link
header); QueryEntities 019_01 (by type), 019 ``count=true`` → NGSILD-Results-Count, q,
and BadRequestData for a query with no filter; DeleteEntity 002_01 / 002_02;
BatchEntities create 015 (201 all good, 207 with per-entity errors) and delete.
Not covered: subscriptions' notification format cases, context source registrations
(not implemented), temporal-API cases beyond the own tests of this context.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nentang.smartcity.tests.test_subscriptions import base, broker  # noqa: F401

pytestmark = pytest.mark.django_db(transaction=True)

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"
CORE = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
LD = "application/ld+json"
BUILDING = "urn:ngsi-ld:Building:conformance-1"


def building(entity_id: str = BUILDING, **extra: Any) -> dict[str, Any]:
    return {
        "id": entity_id,
        "type": "Building",
        "name": {"type": "Property", "value": "Nhà văn hoá Kim Long"},
        "almostFull": {"type": "Property", "value": False},
        "location": {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [107.5586, 16.4637]},
        },
        **extra,
    }


def problem(answer: httpx.Response, status: int, kind: str) -> None:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert body["type"] == ERRORS + kind, body
    assert body.get("title"), body


def test_create_entity_001(base: str) -> None:  # noqa: F811
    with broker(base) as ngsi:
        created = ngsi.post("/entities", json=building())  # 001_01
        assert created.status_code == 201
        assert created.headers["Location"].endswith(f"/ngsi-ld/v1/entities/{BUILDING}")
        bad_json = ngsi.post(  # 001_02_01
            "/entities", content=b'{"id": "urn:x", ', headers={"Content-Type": LD}
        )
        problem(bad_json, 400, "InvalidRequest")
        no_context = ngsi.post(  # 001_02_03
            "/entities",
            json=building("urn:ngsi-ld:Building:b2"),
            headers={"Content-Type": LD},
        )
        problem(no_context, 400, "BadRequestData")
        bad_type = ngsi.post(  # 001_02_04
            "/entities", json={**building("urn:ngsi-ld:Building:b3"), "type": 42}
        )
        problem(bad_type, 400, "BadRequestData")
        problem(ngsi.post("/entities", json=building()), 409, "AlreadyExists")  # 001_03


def test_retrieve_entity_018(base: str) -> None:  # noqa: F811
    with broker(base) as ngsi:
        assert ngsi.post("/entities", json=building()).status_code == 201
        got = ngsi.get(f"/entities/{BUILDING}")  # 018_01
        assert got.status_code == 200
        assert got.json() == building()
        assert got.headers["Content-Type"].startswith("application/json")
        assert f"<{CORE}>" in got.headers["Link"]
        problem(ngsi.get("/entities/urn:ngsi-ld:Building:none"), 404, "ResourceNotFound")
        problem(ngsi.get("/entities/not-a-uri"), 400, "BadRequestData")  # 018_03
        as_ld = ngsi.get(f"/entities/{BUILDING}", headers={"Accept": LD})  # 018_05
        assert as_ld.headers["Content-Type"].startswith(LD)
        assert as_ld.json()["@context"] == CORE
        assert "Link" not in as_ld.headers
        picked = ngsi.get(f"/entities/{BUILDING}", params={"attrs": "name"})
        assert set(picked.json()) == {"id", "type", "name"}
        simple = ngsi.get(f"/entities/{BUILDING}", params={"options": "keyValues"})
        assert simple.json()["almostFull"] is False


def test_query_entities_019(base: str) -> None:  # noqa: F811
    with broker(base) as ngsi:
        for number in range(3):
            entity = building(f"urn:ngsi-ld:Building:q{number}")
            entity["floors"] = {"type": "Property", "value": number + 1}
            assert ngsi.post("/entities", json=entity).status_code == 201
        by_type = ngsi.get("/entities", params={"type": "Building", "count": "true"})
        assert by_type.status_code == 200
        assert by_type.headers["NGSILD-Results-Count"] == "3"
        assert [e["id"] for e in by_type.json()] == [f"urn:ngsi-ld:Building:q{n}" for n in range(3)]
        tall = ngsi.get("/entities", params={"type": "Building", "q": "floors>=2"})
        assert [e["floors"]["value"] for e in tall.json()] == [2, 3]
        paged = ngsi.get("/entities", params={"type": "Building", "limit": 1, "offset": 2})
        assert [e["id"] for e in paged.json()] == ["urn:ngsi-ld:Building:q2"]
        problem(ngsi.get("/entities"), 400, "BadRequestData")
        problem(
            ngsi.get("/entities", params={"type": "Building", "q": "floors>"}),
            400,
            "BadRequestData",
        )


def test_delete_entity_002_and_batches_015(base: str) -> None:  # noqa: F811
    with broker(base) as ngsi:
        assert ngsi.post("/entities", json=building()).status_code == 201
        assert ngsi.delete(f"/entities/{BUILDING}").status_code == 204  # 002_01
        problem(ngsi.get(f"/entities/{BUILDING}"), 404, "ResourceNotFound")
        problem(ngsi.delete(f"/entities/{BUILDING}"), 404, "ResourceNotFound")  # 002_02

        batch = [building(f"urn:ngsi-ld:Building:batch{n}") for n in range(3)]
        created = ngsi.post("/entityOperations/create", json=batch)
        assert created.status_code == 201
        assert sorted(created.json()) == sorted(e["id"] for e in batch)
        mixed = ngsi.post(
            "/entityOperations/create",
            json=[building("urn:ngsi-ld:Building:batch9"), batch[0], {"id": "x", "type": "T"}],
        )
        assert mixed.status_code == 207
        body = mixed.json()
        assert body["success"] == ["urn:ngsi-ld:Building:batch9"]
        kinds = {e["entityId"]: e["error"]["type"] for e in body["errors"]}
        assert kinds[batch[0]["id"]] == ERRORS + "AlreadyExists"
        assert kinds["x"] == ERRORS + "BadRequestData"
        ids = [e["id"] for e in batch]
        assert ngsi.post("/entityOperations/delete", json=ids).status_code == 204
        count = ngsi.get("/entities", params={"type": "Building", "count": "true"})
        assert count.headers["NGSILD-Results-Count"] == "1"
