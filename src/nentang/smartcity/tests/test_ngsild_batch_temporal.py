"""Batch entityOperations (with per-entity errors) and the temporal API (timerel,
lastN, aggregation over periods) over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from nentang.smartcity.tests.conftest import Ngsi

pytestmark = pytest.mark.django_db

ERRORS = "https://uri.etsi.org/ngsi-ld/errors/"


def light(number: int, power: str = "on", **extra: Any) -> dict[str, Any]:
    return {
        "id": f"urn:ngsi-ld:Streetlight:hue-{number:04d}",
        "type": "Streetlight",
        "powerState": {"type": "Property", "value": power},
        **extra,
    }


def level(value: float, at: str) -> dict[str, Any]:
    return {
        "id": "urn:ngsi-ld:WaterLevel:song-huong-kim-long",
        "type": "WaterLevel",
        "height": {"type": "Property", "value": value, "unitCode": "MTR", "observedAt": at},
    }


def test_batch_create_upsert_update_delete_with_per_entity_errors(ngsi: Ngsi) -> None:
    created = ngsi.call("POST", "/entityOperations/create", [light(n) for n in range(1, 4)])
    assert created.status_code == 201, created.content
    assert len(created.json()) == 3

    mixed = ngsi.call(
        "POST",
        "/entityOperations/create",
        [light(3), light(4), {"id": "bad id", "type": "Streetlight"}, light(4, "off")],
    )
    assert mixed.status_code == 207
    body = mixed.json()
    assert body["success"] == ["urn:ngsi-ld:Streetlight:hue-0004"]
    kinds = {e["entityId"]: e["error"]["type"].removeprefix(ERRORS) for e in body["errors"]}
    assert kinds == {
        "urn:ngsi-ld:Streetlight:hue-0003": "AlreadyExists",
        "bad id": "BadRequestData",
        "urn:ngsi-ld:Streetlight:hue-0004": "BadRequestData",  # repeated in the batch
    }

    # upsert (replace by default): hue-0001 loses its other attributes; hue-0009 is new.
    ngsi.call(
        "POST",
        "/entities/urn:ngsi-ld:Streetlight:hue-0001/attrs",
        {"lanternBrand": {"type": "Property", "value": "Rạng Đông"}},
    )
    upserted = ngsi.call("POST", "/entityOperations/upsert", [light(1, "off"), light(9)])
    assert upserted.status_code == 204, upserted.content
    first = ngsi.call("GET", "/entities/urn:ngsi-ld:Streetlight:hue-0001").json()
    assert first["powerState"]["value"] == "off"
    assert "lanternBrand" not in first
    # upsert with options=update merges instead.
    merged = ngsi.call(
        "POST",
        "/entityOperations/upsert?options=update",
        [light(2, "off", illuminanceLevel={"type": "Property", "value": 0.4})],
    )
    assert merged.status_code == 204
    second = ngsi.call("GET", "/entities/urn:ngsi-ld:Streetlight:hue-0002").json()
    assert (second["powerState"]["value"], second["illuminanceLevel"]["value"]) == ("off", 0.4)

    updated = ngsi.call("POST", "/entityOperations/update", [light(3, "off"), light(77)])
    assert updated.status_code == 207
    assert updated.json()["success"] == ["urn:ngsi-ld:Streetlight:hue-0003"]
    assert updated.json()["errors"][0]["error"]["type"] == ERRORS + "ResourceNotFound"

    deleted = ngsi.call(
        "POST",
        "/entityOperations/delete",
        ["urn:ngsi-ld:Streetlight:hue-0001", "urn:ngsi-ld:Streetlight:hue-0050"],
    )
    assert deleted.status_code == 207
    assert deleted.json()["success"] == ["urn:ngsi-ld:Streetlight:hue-0001"]
    left = ngsi.call("GET", "/entities?type=Streetlight&count=true&limit=0")
    assert left["NGSILD-Results-Count"] == "4"  # 2, 3, 4 and 9

    queried = ngsi.call(
        "POST",
        "/entityOperations/query?count=true",
        {"type": "Query", "entities": [{"type": "Streetlight"}], "q": 'powerState=="off"'},
    )
    assert queried.status_code == 200
    assert [e["id"][-4:] for e in queried.json()] == ["0002", "0003"]

    too_big = ngsi.call("POST", "/entityOperations/upsert", [light(n) for n in range(1001)])
    assert too_big.status_code == 400
    assert ngsi.call("POST", "/entityOperations/upsert", {"id": "x"}).status_code == 400
    unknown = ngsi.call("POST", "/entityOperations/explode", [])
    assert unknown.status_code == 404


def test_temporal_history_windows_last_n_and_aggregation(ngsi: Ngsi) -> None:
    # The Hương river at Kim Long during a flood: a reading every 30 minutes, rising.
    readings = [
        (1.0 + 0.25 * i, f"2026-11-15T{i // 2:02d}:{30 * (i % 2):02d}:00Z") for i in range(8)
    ]
    ngsi.call("POST", "/entities", level(*readings[0]))
    for value, at in readings[1:]:
        answer = ngsi.call(
            "PATCH",
            "/entities/urn:ngsi-ld:WaterLevel:song-huong-kim-long/attrs",
            {"height": {"type": "Property", "value": value, "unitCode": "MTR", "observedAt": at}},
        )
        assert answer.status_code == 204, answer.content
    # The same reading sent twice is kept once.
    ngsi.call("POST", "/entityOperations/upsert?options=update", [level(*readings[-1])])

    path = "/temporal/entities/urn:ngsi-ld:WaterLevel:song-huong-kim-long"
    everything = ngsi.call("GET", path).json()
    assert [i["value"] for i in everything["height"]] == [v for v, _ in readings]
    assert everything["height"][0]["instanceId"].startswith("urn:ngsi-ld:attribute:instance:")

    between = ngsi.call(
        "GET", path + "?timerel=between&timeAt=2026-11-15T01:00:00Z&endTimeAt=2026-11-15T02:00:00Z"
    ).json()
    assert [i["value"] for i in between["height"]] == [1.5, 1.75]
    before = ngsi.call("GET", path + "?timerel=before&timeAt=2026-11-15T00:45:00Z").json()
    assert [i["value"] for i in before["height"]] == [1.0, 1.25]
    after = ngsi.call(
        "GET", path + "?timerel=after&timeAt=2026-11-15T03:00:00Z&options=temporalValues"
    ).json()
    assert after["height"] == {
        "type": "Property",
        "values": [[2.75, "2026-11-15T03:30:00.000000Z"]],
    }
    last = ngsi.call("GET", path + "?lastN=3").json()
    assert [i["value"] for i in last["height"]] == [2.25, 2.5, 2.75]

    hourly = ngsi.call(
        "GET",
        path + "?options=aggregatedValues&aggrMethods=avg,min,max,sum,totalCount"
        "&aggrPeriodDuration=PT1H&timerel=between"
        "&timeAt=2026-11-15T00:00:00Z&endTimeAt=2026-11-15T04:00:00Z",
    ).json()["height"]
    assert [row[0] for row in hourly["avg"]] == [1.125, 1.625, 2.125, 2.625]
    assert [row[0] for row in hourly["min"]] == [1.0, 1.5, 2.0, 2.5]
    assert [row[0] for row in hourly["max"]] == [1.25, 1.75, 2.25, 2.75]
    assert [row[0] for row in hourly["sum"]] == [2.25, 3.25, 4.25, 5.25]
    assert [row[0] for row in hourly["totalCount"]] == [2, 2, 2, 2]
    assert hourly["avg"][1][1:] == ["2026-11-15T01:00:00.000000Z", "2026-11-15T02:00:00.000000Z"]
    # A page of entities is aggregated in one grouped query, each keeping its own series.
    ngsi.call(
        "POST",
        "/entities",
        {**level(0.5, "2026-11-15T01:10:00Z"), "id": "urn:ngsi-ld:WaterLevel:an-cuu"},
    )
    page = ngsi.call(
        "GET",
        "/temporal/entities?type=WaterLevel&options=aggregatedValues&aggrMethods=avg,totalCount"
        "&aggrPeriodDuration=PT1H&timerel=between"
        "&timeAt=2026-11-15T00:00:00Z&endTimeAt=2026-11-15T04:00:00Z",
    ).json()
    series = {e["id"].rsplit(":", 1)[1]: e["height"] for e in page}
    assert [row[0] for row in series["song-huong-kim-long"]["avg"]] == [1.125, 1.625, 2.125, 2.625]
    assert series["an-cuu"]["avg"] == [
        [0.5, "2026-11-15T01:00:00.000000Z", "2026-11-15T02:00:00.000000Z"]
    ]
    assert series["an-cuu"]["totalCount"][0][0] == 1

    listed = ngsi.call(
        "GET",
        "/temporal/entities?type=WaterLevel&q=height>2&timerel=after"
        "&timeAt=2026-11-15T03:00:00Z&count=true",
    )
    assert listed.status_code == 200
    assert listed["NGSILD-Results-Count"] == "1"
    assert [i["value"] for i in listed.json()[0]["height"]] == [2.75]

    for bad in [
        "timerel=between&timeAt=2026-11-15T00:00:00Z",
        "timerel=during&timeAt=2026-11-15T00:00:00Z",
        "timerel=after&timeAt=tomorrow",
        "timerel=between&timeAt=2026-11-15T02:00:00Z&endTimeAt=2026-11-15T01:00:00Z",
        "lastN=0",
        "options=aggregatedValues&aggrMethods=median&lastN=5",
        "options=aggregatedValues&aggrMethods=avg&aggrPeriodDuration=1h&lastN=5",
    ]:
        answer = ngsi.call("GET", "/temporal/entities?type=WaterLevel&" + bad)
        assert answer.status_code == 400, bad
        assert answer.json()["type"] == ERRORS + "BadRequestData"
    no_window = ngsi.call("GET", "/temporal/entities?type=WaterLevel")
    assert no_window.status_code == 400
