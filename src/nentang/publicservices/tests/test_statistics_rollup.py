"""The statistics' daily roll-up stays exactly equal to a recount of the dossiers after
every action of several journeys (reception, fee paid, supplementation, refusal,
withdrawal, completion online and by post), the page shows the recount's numbers, and
``statistics_rebuild`` recounts the same rows."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from nentang.kernel.auditing import Actor
from nentang.publicservices import selectors, services
from nentang.publicservices.models import DailyStatistics, Dossier
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast

PAYMENTS = Actor.system("payments")
POST = Actor.system("postal")


def assert_exact() -> None:
    today = timezone.localdate()
    assert selectors.service_statistics() == selectors.statistics_recount()
    for since, until in ((today, None), (None, today), (today - datetime.timedelta(days=1), today)):
        assert selectors.service_statistics(since=since, until=until) == (
            selectors.statistics_recount(since=since, until=until)
        )
    for agency in ("ubnd-phuong-sai-gon", "so-tu-phap-tp-hcm"):
        assert selectors.service_statistics(agency=agency) == (
            selectors.statistics_recount(agency=agency)
        )
    assert selectors.service_statistics(province="79") == selectors.statistics_recount(
        province="79"
    )


def reference(dossier: Dossier) -> str:
    return Dossier.objects.get(pk=dossier.pk).receipt_code or ""


def journeys(cast: Cast) -> list[Callable[[], Any]]:
    """Steps of five dossiers, interleaved by the caller."""
    birth = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    counter = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(child_full_name="Nguyễn Minh Khang", result_delivery="counter"),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    judicial = services.dossier_submit(
        actor=cast.an,
        procedure_slug="cap-phieu-ly-lich-tu-phap",
        agency_code="so-tu-phap-tp-hcm",
        data=support.judicial_record(),
        documents=support.papers("cap-phieu-ly-lich-tu-phap"),
    )
    residence = services.dossier_submit(
        actor=cast.binh,
        procedure_slug="dang-ky-tam-tru",
        agency_code="ubnd-phuong-sai-gon",
        data=support.temporary_residence(),
        documents=support.papers("dang-ky-tam-tru"),
    )
    withdrawn = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(child_full_name="Nguyễn Minh Phúc"),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    return [
        lambda: services.dossier_receive(actor=cast.reception, dossier_id=birth.pk),
        lambda: services.dossier_receive(actor=cast.justice, dossier_id=judicial.pk),
        lambda: services.dossier_request_supplement(
            actor=cast.reception, dossier_id=residence.pk, reasons=["Thiếu hợp đồng thuê nhà"]
        ),
        lambda: services.dossier_receive(actor=cast.reception, dossier_id=withdrawn.pk),
        lambda: services.dossier_fee_paid(
            actor=PAYMENTS,
            dossier_reference=reference(judicial),
            payment_reference="PAY-1",
            amount=205_000,
        ),
        lambda: services.dossier_resubmit(
            actor=cast.binh, dossier_id=residence.pk, data={"months": 6}
        ),
        lambda: services.dossier_process(actor=cast.processing, dossier_id=birth.pk),
        lambda: services.dossier_withdraw(actor=cast.an, dossier_id=withdrawn.pk, reason="Nhầm"),
        lambda: services.dossier_receive(actor=cast.reception, dossier_id=residence.pk),
        lambda: services.dossier_receive(actor=cast.reception, dossier_id=counter.pk),
        lambda: services.dossier_process(actor=cast.justice, dossier_id=judicial.pk),
        lambda: services.dossier_approve(actor=cast.approval, dossier_id=birth.pk),
        lambda: services.dossier_fee_paid(
            actor=PAYMENTS,
            dossier_reference=reference(residence),
            payment_reference="PAY-7",
            amount=7000,
        ),
        lambda: services.dossier_approve(actor=cast.justice, dossier_id=judicial.pk),
        lambda: services.dossier_issue_result(actor=cast.processing, dossier_id=birth.pk),
        lambda: services.dossier_issue_result(actor=cast.justice, dossier_id=judicial.pk),
        lambda: services.dossier_reject(
            actor=cast.processing, dossier_id=residence.pk, reason="Chỗ ở không đủ điều kiện"
        ),
        lambda: services.dossier_process(actor=cast.processing, dossier_id=counter.pk),
        lambda: services.dossier_result_delivered(
            actor=POST, dossier_reference=reference(judicial), at=timezone.now()
        ),
        lambda: services.dossier_approve(actor=cast.approval, dossier_id=counter.pk),
        lambda: services.dossier_issue_result(actor=cast.processing, dossier_id=counter.pk),
        lambda: services.dossier_return_result(actor=cast.reception, dossier_id=counter.pk),
    ]


def test_the_roll_up_equals_a_recount_after_every_action(cast: Cast) -> None:
    assert_exact()
    for step in journeys(cast):
        step()
        assert_exact()
    (total,) = selectors.statistics_measures(selectors.service_statistics(), by="all")
    # Every counter was exercised: 5 received, 3 completed, one refused, one withdrawn.
    assert (total.received, total.finished, total.late) == (5, 3, 0)
    assert (total.paid_online_percent, total.online_percent) == (40, 100)
    assert total.electronic_percent == 60
    assert total.average_days is not None


def test_the_page_shows_the_recount(cast: Cast) -> None:
    for step in journeys(cast):
        step()
    page = Client(HTTP_ACCEPT_LANGUAGE="vi").get(
        reverse("publicservices:statistics"), {"period": "30"}
    )
    since = timezone.localdate() - datetime.timedelta(days=29)
    recount = selectors.statistics_recount(since=since)
    assert page.context["total"] == selectors.statistics_measures(recount, by="all")[0]
    assert [row["received"] for row in page.context["agencies"]] == [
        measure.received for measure in selectors.statistics_measures(recount, by="agency")
    ]


def test_a_rebuild_recounts_the_same_rows(cast: Cast) -> None:
    for step in journeys(cast):
        step()
    rows = sorted(row[1:] for row in DailyStatistics.objects.values_list())

    assert services.statistics_rebuild() == len(rows)

    assert sorted(row[1:] for row in DailyStatistics.objects.values_list()) == rows
    assert_exact()


def test_the_page_filters_by_province_and_agency(cast: Cast) -> None:
    for step in journeys(cast):
        step()
    since = timezone.localdate() - datetime.timedelta(days=89)
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    url = reverse("publicservices:statistics")

    justice = client.get(url, {"agency": "so-tu-phap-tp-hcm"})
    recount = selectors.statistics_recount(since=since, agency="so-tu-phap-tp-hcm")
    total, counted = justice.context["total"], selectors.statistics_measures(recount, by="all")[0]
    assert (total.received, total.finished, total.late) == (
        counted.received,
        counted.finished,
        counted.late,
    )
    assert total.received == 1
    # One dossier: its count is public, its shares would say how one person applied.
    assert (total.on_time_percent, total.online_percent, total.average_days) == (None, None, None)
    assert [row["name"] for row in justice.context["agencies"]] == ["Sở Tư pháp TP Hồ Chí Minh"]
    assert 'value="so-tu-phap-tp-hcm" selected' in justice.content.decode()

    city = client.get(url, {"province": "79"})
    assert city.context["total"].received == 5
    assert "Tất cả tỉnh, thành phố" in city.content.decode()
    # Filters outside the lists count everything, as an unknown period does.
    odd = client.get(url, {"province": "99", "agency": "<script>"})
    assert (odd.status_code, odd.context["total"].received) == (200, 5)
