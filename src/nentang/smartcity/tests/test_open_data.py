"""The city's open-data feeds, published through opendata's services: hourly
observations aggregated per entity type, attribute and hour, the warnings in force,
and daily statistics with citizen reports' small cells withheld; a new version each run."""

from __future__ import annotations

import datetime
from datetime import UTC, timedelta
from typing import Any

import pytest
from django.utils import timezone

from nentang.kernel.errors import NotFound
from nentang.opendata import selectors as opendata
from nentang.smartcity import services
from nentang.smartcity.models import Observation
from nentang.smartcity.ngsild.contexts import core_terms
from nentang.smartcity.tests import support_reports as support
from nentang.smartcity.tests.conftest import OPERATOR

pytestmark = pytest.mark.django_db
SYSTEM = services.Caller.system("open-data-tests")


def _write(tenant: str, entity: dict[str, Any]) -> None:
    result = services.batch_write(
        caller=SYSTEM, tenant=tenant, payload=[entity], terms=core_terms(), mode="upsert_update"
    )
    assert not result.errors


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "GeoProperty", "value": {"type": "Point", "coordinates": [lon, lat]}}


def _air(at: datetime.datetime, pm25: float) -> None:
    _write("hue", {
        "id": "urn:ngsi-ld:AirQualityObserved:hue-1", "type": "AirQualityObserved",
        "pm25": {"type": "Property", "value": pm25, "observedAt": f"{at:%Y-%m-%dT%H:%M:%SZ}"},
        "location": _point(107.58, 16.46),
    })  # fmt: skip


def _records(dataset: Any, position: int = 0) -> list[dict[str, Any]]:
    resource = list(dataset.resources.all())[position]
    page = opendata.datastore_search(account=None, resource_id=str(resource.public_id), limit=1000)
    return list(page.records)


def test_a_city_publishes_hourly_observations_warnings_and_daily_statistics() -> None:
    cast = support.cast()
    now = timezone.now()
    hour = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=2)
    for minutes, value in ((5, 10.0), (25, 30.0), (50, 50.0), (70, 7.0)):
        _air(hour + timedelta(minutes=minutes), value)
    _write("hue", {
        "id": "urn:ngsi-ld:FloodMonitoring:kim-long", "type": "FloodMonitoring",
        "currentLevel": {"type": "Property", "value": 3.8, "unitCode": "MTR",
                         "observedAt": now.strftime("%Y-%m-%dT%H:%M:%SZ")},
        "location": _point(107.55, 16.45),
    })  # fmt: skip
    for n in range(6):
        services.report_create(
            actor=cast.an if n % 2 else cast.binh, tenant="hue", category="streetlight",
            description=f"Đèn đường số {n} tắt.", idempotency_key=f"light-{n}", ward_code=cast.ward,
        )  # fmt: skip
    for n in range(2):
        services.report_create(
            actor=cast.an, tenant="hue", category="pothole", description="Ổ gà giữa đường.",
            idempotency_key=f"pothole-{n}", ward_code=cast.ward,
        )  # fmt: skip
    with pytest.raises(NotFound):
        services.feed_publisher_set(actor=OPERATOR, tenant="atlantis")
    # Đà Nẵng has no publisher yet: nothing of it is published.
    organisation = services.feed_publisher_set(actor=OPERATOR, tenant="hue")
    assert organisation.agency_code == "ioc-hue"

    tomorrow = now + timedelta(days=1)
    done = services.feeds_publish(now=tomorrow)
    assert list(done) == ["hue"]
    hourly, warnings, daily = done["hue"]
    assert hourly.name == "do-thi-hue-quan-trac-theo-gio"
    assert hourly.organisation.name == "ioc-hue"
    assert hourly.version.endswith("-1")

    rows = {(r["gio"], r["thuoc_tinh"]): r for r in _records(hourly)}
    first = rows[(hour.strftime("%Y-%m-%dT%H:00:00Z"), "pm25")]
    assert first["loai_thuc_the"] == "AirQualityObserved"
    assert (float(first["trung_binh"]), float(first["nho_nhat"]), float(first["lon_nhat"])) == (
        30.0, 10.0, 50.0
    )  # fmt: skip
    assert first["so_quan_trac"] == 3
    next_hour = (hour + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z")
    assert rows[(next_hour, "pm25")]["so_quan_trac"] == 1

    alarm = next(r for r in _records(warnings) if r["ma_thuc_the"].endswith("kim-long"))
    assert alarm["muc"] == "báo động"
    assert float(alarm["gia_tri"]) == 3.8

    observed = _records(daily, 0)
    assert {r["loai_thuc_the"] for r in observed} == {"AirQualityObserved", "FloodMonitoring"}
    air = Observation.objects.filter(entity_id="urn:ngsi-ld:AirQualityObserved:hue-1")
    by_type = {r["loai_thuc_the"]: r["so_quan_trac"] for r in observed}
    assert by_type["AirQualityObserved"] == air.count()  # every instance (pm25, location)
    reports = {r["linh_vuc"]: r for r in _records(daily, 1)}
    assert reports["streetlight"]["so_phan_anh"] == 6
    assert reports["pothole"]["so_phan_anh"] is None  # 2 people's reports: withheld
    assert reports["pothole"]["ghi_chu"] == "<5"

    again = services.feeds_publish(now=tomorrow)["hue"]
    assert again[0].pk == hourly.pk
    assert again[0].version == hourly.version  # nothing new: nothing appended
    assert len(_records(again[0])) == len(rows)
    assert again[1].version.endswith("-2")  # the warnings are published again


def test_the_hourly_feed_appends_new_hours_and_a_revision_for_a_late_observation() -> None:
    support.cast()
    services.feed_publisher_set(actor=OPERATOR, tenant="hue")
    hour = timezone.now().astimezone(UTC).replace(minute=0, second=0, microsecond=0)
    hour -= timedelta(hours=3)
    _air(hour + timedelta(minutes=10), 10.0)
    _air(hour + timedelta(minutes=20), 20.0)

    def publish(at: datetime.datetime) -> tuple[Any, list[tuple[str, int, int, float]]]:
        dataset = services.feeds_publish(now=at)["hue"][0]
        rows = [
            (r["gio"], r["lan_cong_bo"], r["so_quan_trac"], float(r["trung_binh"]))
            for r in _records(dataset) if r["thuoc_tinh"] == "pm25"
        ]  # fmt: skip
        return dataset, rows

    first, rows = publish(hour + timedelta(hours=1, minutes=10))
    assert first.frequency == "hourly"
    stamp = hour.strftime("%Y-%m-%dT%H:00:00Z")
    assert rows == [(stamp, 1, 2, 15.0)]
    # The same hour again: nothing duplicated, the version unchanged.
    same, rows = publish(hour + timedelta(hours=1, minutes=40))
    assert rows == [(stamp, 1, 2, 15.0)]
    assert same.version == first.version

    _air(hour + timedelta(minutes=30), 30.0)  # late, for the hour already published
    _air(hour + timedelta(hours=1, minutes=15), 40.0)  # the next hour
    later, rows = publish(hour + timedelta(hours=2, minutes=10))
    next_stamp = (hour + timedelta(hours=1)).strftime("%Y-%m-%dT%H:00:00Z")
    assert rows == [(stamp, 1, 2, 15.0), (stamp, 2, 3, 20.0), (next_stamp, 1, 1, 40.0)]
    assert later.version != first.version
    assert later.extras["published_until"] == (hour + timedelta(hours=2)).isoformat()
    _dataset, rows = publish(hour + timedelta(hours=2, minutes=10))
    assert len(rows) == 3  # a re-run appends nothing
