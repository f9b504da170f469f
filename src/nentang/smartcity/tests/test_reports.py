"""Citizen reports: the service rules (fields, location inside the city, photo type and
size, idempotent create), the workflow (triage → assign → in progress → resolved /
rejected, wrong steps refused), object-level authorisation (another citizen's report
and another city's staff get a 404, nothing changes), audit entries, the NGSI-LD
IssueReporting entity without personal data, and the pages over HTTP."""

from __future__ import annotations

import os
import stat
import uuid
from typing import Any

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from tests.support.staff import log_in_as

from nentang.kernel.errors import Conflict, NotFound, ValidationFailed
from nentang.smartcity import services
from nentang.smartcity.models import Entity, Report, ReportStep
from nentang.smartcity.selectors import reports as selectors
from nentang.smartcity.tests import support_reports as support

AuditEntry = apps.get_model("audit", "AuditEntry")


@pytest.fixture
def cast(db: None) -> support.Cast:
    return support.cast()


def _report(cast: support.Cast, **changes: Any) -> Report:
    fields: dict[str, Any] = {
        "actor": cast.an,
        "tenant": "hue",
        "category": "streetlight",
        "description": "Đèn đường trước số 5 Lê Lợi không sáng.",
        "idempotency_key": uuid.uuid4().hex,
        "ward_code": cast.ward,
    }
    fields.update(changes)
    return services.report_create(**fields)


def _fields(failed: pytest.ExceptionInfo[ValidationFailed]) -> set[str]:
    return {error.field for error in failed.value.errors}


def test_create_stores_the_report_its_step_audit_and_entity(cast: support.Cast) -> None:
    report = _report(cast, photo=support.PNG)
    assert report.state == "received"
    assert report.ward_name
    assert report.due_at > report.created_at  # the category's SLA
    assert list(ReportStep.objects.filter(report=report).values_list("action", flat=True)) == [
        "create"
    ]
    entry = AuditEntry.objects.get(action="smartcity.report.create")
    assert entry.subject == str(report.public_id)
    assert "Lê Lợi" not in str(entry.summary)
    # The photo is private: under NENTANG_HOME, readable by the owner only.
    path = default_storage.path(report.photo)
    assert report.photo.startswith("city-reports/")
    assert report.photo.endswith(".png")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    entity = Entity.objects.get(tenant__name="hue", entity_id=services.reports.entity_id(report))
    text = str(entity.data)
    assert "IssueReporting" in entity.type
    assert "open" in text
    for personal in ("Nguyễn Văn An", "079090001234", "Lê Lợi", report.photo):
        assert personal not in text


def test_create_is_idempotent_per_reporter_and_key(cast: support.Cast) -> None:
    first = _report(cast, idempotency_key="same-key")
    again = _report(cast, idempotency_key="same-key", description="Một mô tả khác hẳn ở đây.")
    assert again.pk == first.pk
    other = _report(cast, actor=cast.binh, idempotency_key="same-key")
    assert other.pk != first.pk
    assert Report.objects.count() == 2
    assert AuditEntry.objects.filter(action="smartcity.report.create").count() == 2


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"category": "volcano"}, "category"),
        ({"description": "ngắn"}, "description"),
        ({"description": "x" * 2001}, "description"),
        ({"ward_code": "00001"}, "ward_code"),  # a ward of another province
        ({"ward_code": "", "latitude": None, "longitude": None}, "ward_code"),
        ({"ward_code": "", "latitude": "21.0285", "longitude": "105.8542"}, "latitude"),  # Hà Nội
        ({"ward_code": "", "latitude": "abc", "longitude": "107.59"}, "latitude"),
        ({"photo": b"GIF89a not a jpeg" + b"\x00" * 40}, "photo"),
        ({"photo": support.JPEG + b"\x00" * (5 * 1024 * 1024)}, "photo"),
        ({"idempotency_key": ""}, "idempotency_key"),
    ],
)
def test_bad_input_is_refused_field_by_field(
    cast: support.Cast, changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(ValidationFailed) as failed:
        _report(cast, **changes)
    assert field in _fields(failed)
    assert Report.objects.count() == 0
    assert Entity.objects.count() == 0


def test_coordinates_inside_the_city_are_a_location(cast: support.Cast) -> None:
    report = _report(cast, ward_code="", latitude="16,4675", longitude="107.5880")
    assert (report.latitude, report.longitude) == (16.4675, 107.588)
    entity = Entity.objects.get(entity_id=services.reports.entity_id(report))
    assert entity.min_lat == pytest.approx(16.4675)


def test_only_citizens_report_and_only_in_cities_with_a_desk(cast: support.Cast) -> None:
    with pytest.raises(NotFound):
        _report(cast, actor=cast.hue)  # an officer has no personal profile
    with pytest.raises(NotFound):
        _report(cast, tenant="atlantis")


def test_the_workflow_to_resolved_with_a_public_answer(cast: support.Cast) -> None:
    report = _report(cast)
    rid = str(report.public_id)
    services.report_act(actor=cast.hue, report_id=rid, action="triage")
    services.report_act(
        actor=cast.hue, report_id=rid, action="assign", assignee_username="kythuat.hue"
    )
    services.report_act(actor=cast.hue_tech, report_id=rid, action="start")
    with pytest.raises(ValidationFailed) as failed:
        services.report_act(actor=cast.hue_tech, report_id=rid, action="resolve", answer="")
    assert _fields(failed) == {"answer"}
    done = services.report_act(
        actor=cast.hue_tech, report_id=rid, action="resolve", answer="Đã thay bóng đèn."
    )
    assert done.state == "resolved"
    assert done.closed_at is not None
    assert done.assignee is not None
    assert done.assignee.account_id == cast.hue_tech.pk
    actions = list(
        AuditEntry.objects.filter(subject=rid).order_by("id").values_list("action", flat=True)
    )
    assert actions == [
        "smartcity.report.create",
        "smartcity.report.triage",
        "smartcity.report.assign",
        "smartcity.report.start",
        "smartcity.report.resolve",
    ]
    # The reporter sees the status and the answer; the public list shows it, anonymous.
    mine = selectors.report_own(actor=cast.an, report_id=rid)
    assert (mine.state, mine.answer) == ("resolved", "Đã thay bóng đèn.")
    assert [r.public_id for r in selectors.resolved_public(tenant="hue")] == [report.public_id]
    entity = Entity.objects.get(entity_id=services.reports.entity_id(report))
    assert "closed" in str(entity.data)
    assert "Đã thay bóng đèn." in str(entity.data)
    # A closed report takes no more steps.
    with pytest.raises(Conflict):
        services.report_act(actor=cast.hue, report_id=rid, action="reject", answer="Không xử lý.")


def test_steps_out_of_order_and_foreign_assignees_are_refused(cast: support.Cast) -> None:
    rid = str(_report(cast).public_id)
    with pytest.raises(Conflict):
        services.report_act(actor=cast.hue, report_id=rid, action="start")
    services.report_act(actor=cast.hue, report_id=rid, action="triage")
    with pytest.raises(ValidationFailed) as failed:
        services.report_act(
            actor=cast.hue, report_id=rid, action="assign", assignee_username="canbo.danang"
        )
    assert _fields(failed) == {"assignee"}
    with pytest.raises(ValidationFailed):
        services.report_act(actor=cast.hue, report_id=rid, action="explode")
    rejected = services.report_act(
        actor=cast.hue, report_id=rid, action="reject", answer="Đèn thuộc khu dân cư tư nhân."
    )
    assert rejected.state == "rejected"
    assert list(selectors.resolved_public(tenant="hue")) == []


def test_another_citizen_and_another_citys_staff_get_404(cast: support.Cast) -> None:
    report = _report(cast)
    rid = str(report.public_id)
    with pytest.raises(NotFound):
        selectors.report_own(actor=cast.binh, report_id=rid)
    with pytest.raises(NotFound):
        selectors.report_own(actor=cast.an, report_id="not-a-uuid")
    danang = selectors.officer_of(actor=cast.danang)
    assert danang is not None
    with pytest.raises(NotFound):
        selectors.report_for_staff(officer=danang, report_id=rid)
    assert selectors.staff_queue(officer=danang).reports == []
    for actor in (cast.danang, cast.an, cast.binh):
        with pytest.raises(NotFound):
            services.report_act(actor=actor, report_id=rid, action="triage")
    report.refresh_from_db()
    assert report.state == "received"
    assert not AuditEntry.objects.filter(action="smartcity.report.triage").exists()
    hue = selectors.officer_of(actor=cast.hue)
    assert hue is not None
    assert [r.pk for r in selectors.staff_queue(officer=hue).reports] == [report.pk]


def test_pages_over_http(cast: support.Cast, client: Client) -> None:
    form = client.get("/do-thi/hue/phan-anh/moi/")
    assert form.status_code == 302  # log in first
    client.force_login(cast.an)
    page = client.get("/do-thi/hue/phan-anh/moi/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Phản ánh" in html
    key = page.context["form"].initial["idempotency_key"]
    bad = client.post(
        "/do-thi/hue/phan-anh/moi/",
        {
            "category": "pothole",
            "description": "ngắn",
            "idempotency_key": key,
            "ward_code": cast.ward,
        },
    )
    assert bad.status_code in (400, 422)
    assert Report.objects.count() == 0
    data = {
        "category": "pothole",
        "description": "Ổ gà lớn giữa đường, xe máy dễ ngã.",
        "idempotency_key": key,
        "ward_code": cast.ward,
    }
    sent = client.post("/do-thi/hue/phan-anh/moi/", data)
    assert sent.status_code == 302
    again = client.post("/do-thi/hue/phan-anh/moi/", data)  # a double submit
    assert again["Location"] == sent["Location"]
    assert Report.objects.count() == 1
    report = Report.objects.get()
    assert client.get(sent["Location"]).status_code == 200
    assert "Ổ gà lớn" in client.get("/do-thi/phan-anh/cua-toi/").content.decode()
    # Another citizen: 404; staff of another city: 404 and no action.
    client.force_login(cast.binh)
    assert client.get(f"/do-thi/phan-anh/{report.public_id}/").status_code == 404
    log_in_as(client, cast.danang)
    assert client.get(f"/do-thi/can-bo/phan-anh/{report.public_id}/").status_code == 404
    answer = client.post(f"/do-thi/can-bo/phan-anh/{report.public_id}/", {"action": "triage"})
    assert answer.status_code == 404
    client.force_login(cast.an)
    assert client.get("/do-thi/can-bo/phan-anh/").status_code == 403
    # Huế's staff act from the page.
    log_in_as(client, cast.hue)
    assert "Ổ gà lớn" in client.get("/do-thi/can-bo/phan-anh/").content.decode()
    url = f"/do-thi/can-bo/phan-anh/{report.public_id}/"
    assert client.post(url, {"action": "start"}).status_code == 409
    assert client.post(url, {"action": "triage"}).status_code == 302
    assert client.post(url, {"action": "resolve", "answer": ""}).status_code == 422
    assert client.post(url, {"action": "resolve", "answer": "Đã vá ổ gà."}).status_code == 302
    public = Client().get("/do-thi/hue/phan-anh/").content.decode()
    assert "Đã vá ổ gà." in public
    assert "Nguyễn Văn An" not in public
    assert "Ổ gà lớn" not in public


def test_a_resolution_may_carry_a_photo_seen_by_reporter_and_staff_only(
    cast: support.Cast, client: Client
) -> None:
    report = _report(cast)
    rid = str(report.public_id)
    with pytest.raises(ValidationFailed) as early:  # a photo goes with the resolution only
        services.report_act(actor=cast.hue, report_id=rid, action="triage", photo=support.PNG)
    assert _fields(early) == {"photo"}
    services.report_act(actor=cast.hue, report_id=rid, action="triage")
    with pytest.raises(ValidationFailed) as not_image:
        services.report_act(
            actor=cast.hue, report_id=rid, action="resolve", answer="Đã thay bóng.", photo=b"GIF89a"
        )
    assert _fields(not_image) == {"photo"}
    stored = Report.objects.get(pk=report.pk)
    assert (stored.state, stored.answer_photo) == ("triaged", "")

    url = f"/do-thi/can-bo/phan-anh/{rid}/"
    log_in_as(client, cast.hue)
    photo = ContentFile(support.PNG, name="xong.png")
    done = client.post(url, {"action": "resolve", "answer": "Đã thay bóng đèn.", "photo": photo})
    assert done.status_code == 302
    stored = Report.objects.get(pk=report.pk)
    assert stored.state == "resolved"
    assert stored.answer_photo.startswith("city-reports/")
    assert stored.answer_photo.endswith(".png")
    assert stat.S_IMODE(os.stat(default_storage.path(stored.answer_photo)).st_mode) == 0o600
    entry = AuditEntry.objects.get(action="smartcity.report.resolve", subject=rid)
    assert entry.summary["photo"] is True
    assert "anh-ket-qua" in client.get(url).content.decode()

    photo_url = f"/do-thi/phan-anh/{rid}/anh-ket-qua"
    for someone, status in ((cast.an, 200), (cast.hue, 200), (cast.binh, 404), (cast.danang, 404)):
        if someone in (cast.hue, cast.danang):
            log_in_as(client, someone)  # officers: password and second factor
        else:
            client.force_login(someone)
        answer = client.get(photo_url)
        assert answer.status_code == status, someone
        if status == 200:
            assert answer["Content-Type"] == "image/png"
            assert answer["Cache-Control"].startswith("private, no-store")
    client.force_login(cast.an)
    assert "anh-ket-qua" in client.get(f"/do-thi/phan-anh/{rid}/").content.decode()
    assert "anh-ket-qua" not in Client().get("/do-thi/hue/phan-anh/").content.decode()


def test_the_report_page_refuses_past_the_hourly_limit(
    cast: support.Cast, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(services.reports, "REPORTS_PER_HOUR", 1)
    client.force_login(cast.an)
    data = {
        "category": "pothole",
        "description": "Ổ gà lớn giữa đường, xe máy dễ ngã.",
        "ward_code": cast.ward,
    }
    first = client.post("/do-thi/hue/phan-anh/moi/", {**data, "idempotency_key": "k1"})
    assert first.status_code == 302
    again = client.post("/do-thi/hue/phan-anh/moi/", {**data, "idempotency_key": "k1"})
    assert again.status_code == 302  # a replay of the same form is not counted
    refused = client.post("/do-thi/hue/phan-anh/moi/", {**data, "idempotency_key": "k2"})
    assert refused.status_code == 429
    assert "Bạn đã gửi quá nhiều phản ánh" in refused.content.decode()
    assert Report.objects.count() == 1
