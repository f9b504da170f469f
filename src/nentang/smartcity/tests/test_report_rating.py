"""The reporter rates the city's answer: only once the report is closed, only the
reporter (anyone else a 404, nothing changes), 1–5 with an optional comment (field
errors otherwise), once (the same rating again changes nothing, another is a 409), one
audit entry; the officers see the rating; the page takes it over HTTP."""

from __future__ import annotations

import uuid

import pytest
from django.apps import apps
from django.test import Client
from tests.support.staff import log_in_as

from nentang.kernel.errors import Conflict, NotFound, ValidationFailed
from nentang.smartcity import services
from nentang.smartcity.models import Report
from nentang.smartcity.tests import support_reports as support

AuditEntry = apps.get_model("audit", "AuditEntry")


@pytest.fixture
def cast(db: None) -> support.Cast:
    return support.cast()


def _report(cast: support.Cast) -> Report:
    return services.report_create(
        actor=cast.an,
        tenant="hue",
        category="streetlight",
        description="Đèn đường trước số 5 Lê Lợi không sáng.",
        idempotency_key=uuid.uuid4().hex,
        ward_code=cast.ward,
    )


def _resolve(cast: support.Cast, report: Report) -> None:
    rid = str(report.public_id)
    services.report_act(actor=cast.hue, report_id=rid, action="triage")
    services.report_act(actor=cast.hue, report_id=rid, action="resolve", answer="Đã thay bóng.")


def test_the_reporter_rates_a_closed_report_once(cast: support.Cast) -> None:
    report = _report(cast)
    rid = str(report.public_id)
    with pytest.raises(Conflict) as early:  # not answered yet
        services.report_rate(actor=cast.an, report_id=rid, rating=5)
    assert early.value.code == "city_report_rating_not_allowed"
    _resolve(cast, report)
    for someone in (cast.binh, cast.hue, cast.danang):  # not the reporter: 404
        with pytest.raises(NotFound):
            services.report_rate(actor=someone, report_id=rid, rating=1)
    for rating, comment, field in (
        ("0", "", "rating"),
        ("6", "", "rating"),
        ("năm", "", "rating"),
        ("4", "x" * 1001, "comment"),
        ("4", "tốt\x00", "comment"),
    ):
        with pytest.raises(ValidationFailed) as failed:
            services.report_rate(actor=cast.an, report_id=rid, rating=rating, comment=comment)
        assert [e.field for e in failed.value.errors] == [field]
    assert Report.objects.get(pk=report.pk).rating is None

    rated = services.report_rate(actor=cast.an, report_id=rid, rating="4", comment=" Nhanh. ")
    assert (rated.rating, rated.rating_comment) == (4, "Nhanh.")
    again = services.report_rate(actor=cast.an, report_id=rid, rating=4, comment="Nhanh.")
    assert again.rated_at == rated.rated_at
    with pytest.raises(Conflict):
        services.report_rate(actor=cast.an, report_id=rid, rating=1)
    stored = Report.objects.get(pk=report.pk)
    assert (stored.rating, stored.rating_comment) == (4, "Nhanh.")
    entry = AuditEntry.objects.get(action="smartcity.report.rate")
    assert entry.subject == rid
    assert entry.summary["rating"] == 4
    assert "Nhanh" not in str(entry.summary)


def test_rating_over_http(cast: support.Cast, client: Client) -> None:
    report = _report(cast)
    url = f"/do-thi/phan-anh/{report.public_id}/"
    client.force_login(cast.an)
    assert "Đánh giá" not in client.get(url).content.decode()  # nothing to rate yet
    assert client.post(url, {"rating": "5"}).status_code == 409
    _resolve(cast, report)
    page = client.get(url).content.decode()
    assert 'name="rating"' in page
    bad = client.post(url, {"rating": "9"})
    assert bad.status_code == 400
    assert "id_rating_error" in bad.content.decode()  # the error is on the field
    client.force_login(cast.binh)  # another citizen
    assert client.post(url, {"rating": "1"}).status_code == 404
    assert Report.objects.get(pk=report.pk).rating is None
    client.force_login(cast.an)
    sent = client.post(url, {"rating": "5", "comment": "Cảm ơn thành phố."})
    assert sent.status_code == 302
    done = client.get(sent["Location"]).content.decode()
    assert "Cảm ơn thành phố." in done
    assert 'name="rating"' not in done
    log_in_as(client, cast.hue)
    staff = client.get(f"/do-thi/can-bo/phan-anh/{report.public_id}/").content.decode()
    assert "Cảm ơn thành phố." in staff
