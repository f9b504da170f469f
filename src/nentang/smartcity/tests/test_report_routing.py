"""Citizen reports routed by ward: the ward chosen, or found from the report's location
through the addresses context, decides the agency (a ward route for the category, a
route for any category, the ward's own agency, else the city's desk). The routed
agency's officers see and act on the report; other agencies' officers get 404s; the
city's desk keeps oversight of every report of its city."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.apps import apps

from nentang.addresses import selectors as addresses
from nentang.identity import services as identity
from nentang.kernel.errors import NotFound, ValidationFailed
from nentang.smartcity import selectors, services, simulate
from nentang.smartcity.models import Report, WardRoute
from nentang.smartcity.tests import support_reports as support

AuditEntry = apps.get_model("audit", "AuditEntry")


class Units:
    def __init__(self, cast: support.Cast) -> None:
        wards = list(addresses.commune_list(province_code="46").values_list("code", flat=True))
        self.cast = cast
        self.admin = identity.administrator_create(
            created_by=support.OPERATOR, username="quantri.tuyen", password=support.OFFICER_PASSWORD
        )
        # The city centre's point and its ward (the addresses context decides).
        _title, lon, lat, _spread = simulate.CITIES["hue"]
        self.point = (lat, lon)
        self.point_ward = addresses.digital_code_encode(latitude=lat, longitude=lon).ward_code
        others = [w for w in wards if w not in (self.point_ward, cast.ward)]
        self.own_ward, self.lit_ward = others[0], others[1]
        self.ward_committee = self._agency("ubnd-" + self.own_ward, commune=self.own_ward)
        self.lighting = self._agency("chieu-sang-hue")
        self.committee_officer = self._officer("ubnd-" + self.own_ward, "canbo.phuong")
        self.lighting_officer = self._officer("chieu-sang-hue", "canbo.chieusang")

    def _agency(self, code: str, commune: str = "") -> Any:
        return identity.agency_create(
            actor=self.admin,
            code=code,
            name=f"Đơn vị {code}",
            kind="other",
            province_code="46",
            commune_code=commune,
        )

    def _officer(self, agency: str, username: str) -> Any:
        return identity.officer_create(
            actor=self.admin,
            agency_code=agency,
            username=username,
            password=support.OFFICER_PASSWORD,
            full_name="Phạm Thu Hà",
            roles=["processing"],
        ).account


@pytest.fixture
def units(db: None) -> Units:
    return Units(support.cast())


def _report(units: Units, category: str, **place: Any) -> Report:
    return services.report_create(
        actor=units.cast.an,
        tenant="hue",
        category=category,
        description="Có sự cố cần xử lý ở đây, nhờ kiểm tra.",
        idempotency_key=uuid.uuid4().hex,
        **place,
    )


def _sees(officer_account: Any, report: Report) -> bool:
    officer = selectors.reports.officer_of(actor=officer_account)
    if officer is None:
        return False
    queue = selectors.reports.staff_queue(officer=officer)
    return report.pk in {r.pk for r in queue.reports}


def test_reports_go_to_the_agency_of_their_ward_and_category(units: Units) -> None:
    services.ward_route_set(
        actor=support.OPERATOR,
        tenant="hue",
        ward_code=units.lit_ward,
        category="streetlight",
        agency_code="chieu-sang-hue",
    )
    light = _report(units, "streetlight", ward_code=units.lit_ward)
    pothole_there = _report(units, "pothole", ward_code=units.lit_ward)
    at_committee = _report(units, "rubbish", ward_code=units.own_ward)
    assert (light.agency_id, light.routed_by) == ("chieu-sang-hue", "route")
    assert (pothole_there.agency_id, pothole_there.routed_by) == ("ioc-hue", "city")
    assert (at_committee.agency_id, at_committee.routed_by) == (
        "ubnd-" + units.own_ward,
        "ward",
    )
    entry = AuditEntry.objects.get(action="smartcity.report.create", subject=str(light.public_id))
    assert entry.summary["agency"] == "chieu-sang-hue"

    assert _sees(units.lighting_officer, light)
    assert not _sees(units.lighting_officer, at_committee)
    assert _sees(units.committee_officer, at_committee)
    assert not _sees(units.committee_officer, light)
    for report in (light, pothole_there, at_committee):  # the city desk oversees all
        assert _sees(units.cast.hue, report)
        assert not _sees(units.cast.danang, report)

    # The routed agency acts; another agency's officer gets a 404 and nothing changes.
    done = services.report_act(
        actor=units.lighting_officer, report_id=str(light.public_id), action="triage"
    )
    assert done.state == "triaged"
    with pytest.raises(NotFound):
        services.report_act(
            actor=units.committee_officer, report_id=str(light.public_id), action="start"
        )
    with pytest.raises(NotFound):
        selectors.reports.report_for_staff(
            officer=selectors.reports.officer_of(actor=units.committee_officer),
            report_id=str(light.public_id),
        )
    assert Report.objects.get(pk=light.pk).state == "triaged"


def test_a_location_alone_finds_the_ward_and_its_route(units: Units) -> None:
    services.ward_route_set(
        actor=support.OPERATOR,
        tenant="hue",
        ward_code=units.point_ward,
        agency_code="chieu-sang-hue",
    )
    lat, lon = units.point
    report = _report(units, "flooding", latitude=str(lat), longitude=str(lon))
    assert report.ward_code == units.point_ward
    assert report.ward_name == addresses.commune_get(code=units.point_ward).name
    assert (report.agency_id, report.routed_by) == ("chieu-sang-hue", "route")
    # A chosen ward wins over the location.
    chosen = _report(
        units, "flooding", ward_code=units.own_ward, latitude=str(lat), longitude=str(lon)
    )
    assert (chosen.ward_code, chosen.routed_by) == (units.own_ward, "ward")


def test_routes_are_validated_audited_and_idempotent(units: Units) -> None:
    good = {"tenant": "hue", "ward_code": units.lit_ward, "agency_code": "chieu-sang-hue"}
    services.ward_route_set(actor=support.OPERATOR, **good)
    services.ward_route_set(actor=support.OPERATOR, **good)
    assert AuditEntry.objects.filter(action="smartcity.route.set").count() == 1
    bad_cases = [
        ({"ward_code": units.cast.danang_ward}, "ward_code"),  # a ward of Đà Nẵng
        ({"ward_code": "0\x000"}, "ward_code"),
        ({"agency_code": "khong-co"}, "agency_code"),
        ({"category": "ufo"}, "category"),
    ]
    for change, field in bad_cases:
        with pytest.raises(ValidationFailed) as caught:
            services.ward_route_set(actor=support.OPERATOR, **{**good, **change})
        assert [e.field for e in caught.value.errors] == [field]
    with pytest.raises(NotFound):
        services.ward_route_set(actor=support.OPERATOR, **{**good, "tenant": "atlantis"})
    assert WardRoute.objects.count() == 1
