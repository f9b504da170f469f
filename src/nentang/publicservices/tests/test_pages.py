"""The pages through Django's test client: search, the one-question-per-page form,
review and submit, my dossiers, the level-2 refusal, the officer's queue and actions,
the public status look-up."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.support.staff import log_in_as

from nentang.publicservices.models import Dossier
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast


def signed_in(account: Any) -> Client:
    client = Client()
    log_in_as(client, account)
    return client


def test_the_catalogue_is_searched_without_marks(client: Client, cast: Cast) -> None:
    page = client.get(reverse("publicservices:catalogue"), {"q": "dang ky khai sinh"})

    assert page.status_code == 200
    text = page.content.decode()
    assert "Đăng ký khai sinh" in text
    assert "Đăng ký kết hôn" not in text


def test_a_procedure_page_says_fee_time_and_level(client: Client, cast: Cast) -> None:
    page = client.get(reverse("publicservices:procedure", args=["cap-phieu-ly-lich-tu-phap"]))

    text = page.content.decode()
    assert "200.000" in text
    assert "10" in text
    assert "2.000488 (verify)" in text


def test_a_citizen_answers_one_question_per_page_and_submits(cast: Cast) -> None:
    client = signed_in(cast.an)
    start = client.post(reverse("publicservices:apply", args=["dang-ky-khai-sinh"]))
    assert start.status_code == 302
    dossier = Dossier.objects.get()
    assert dossier.data == {
        "applicant_full_name": "Nguyễn Văn An",
        "applicant_id_number": support.AN_ID,
    }
    assert start["Location"].endswith("/form/applicant_full_name")

    bad = client.post(
        reverse("publicservices:question", args=[dossier.pk, "child_sex"]), {"child_sex": "x"}
    )
    assert bad.status_code == 400
    answers = support.birth()
    for field in [k for k in answers if not k.startswith("applicant_")]:
        response = client.post(
            reverse("publicservices:question", args=[dossier.pk, field]), {field: answers[field]}
        )
        assert response.status_code == 302, (field, response.content.decode()[:2000])
    assert response["Location"].endswith("/documents")  # then the documents, then the review

    review = client.get(reverse("publicservices:review", args=[dossier.pk]))
    assert "Nguyễn Minh Khôi" in review.content.decode()
    missing_agency = client.post(reverse("publicservices:review", args=[dossier.pk]), {})
    assert missing_agency.status_code == 400
    # The birth notice is required: submitting without it is refused, naming it, with a
    # link to its place on the documents page; nothing changes.
    log_length = Dossier.objects.get(pk=dossier.pk).log_length
    no_notice = client.post(
        reverse("publicservices:review", args=[dossier.pk]), {"agency": "ubnd-phuong-sai-gon"}
    )
    assert no_notice.status_code == 400
    page = no_notice.content.decode()
    assert "Hãy đính kèm “Giấy chứng sinh (bản điện tử hoặc ảnh chụp)”" in page
    assert f'href="/dossiers/{dossier.pk}/documents#doc0-title"' in page
    assert Dossier.objects.get(pk=dossier.pk).log_length == log_length
    scan = SimpleUploadedFile("giay-chung-sinh.pdf", support.SCAN, content_type="application/pdf")
    documents = reverse("publicservices:documents", args=[dossier.pk])
    assert client.post(documents, {"document": "0", "file": scan}).status_code == 302
    sent = client.post(
        reverse("publicservices:review", args=[dossier.pk]), {"agency": "ubnd-phuong-sai-gon"}
    )
    assert sent.status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "reception"
    assert "Đăng ký khai sinh" in client.get(reverse("publicservices:my_dossiers")).content.decode()
    assert client.get(sent["Location"]).status_code == 200


def test_a_level_one_account_is_told_how_to_reach_level_two(cast: Cast) -> None:
    page = signed_in(cast.binh).post(reverse("publicservices:apply", args=["dang-ky-khai-sinh"]))

    assert page.status_code == 403
    assert "định danh điện tử mức độ 2" in page.content.decode()
    assert Dossier.objects.count() == 0


def test_officers_work_the_queue_and_other_agencies_get_404(cast: Cast) -> None:
    from nentang.publicservices import services

    dossier = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    reception = signed_in(cast.reception)
    queue = reception.get(reverse("publicservices:queue"))
    assert queue.status_code == 200
    assert str(dossier.pk) in queue.content.decode()

    url = reverse("publicservices:officer_dossier", args=[dossier.pk])
    assert reception.get(url).status_code == 200
    assert reception.post(url, {"action": "reject", "reason": ""}).status_code == 409
    assert reception.post(url, {"action": "receive"}).status_code == 302
    dossier.refresh_from_db()
    assert dossier.state == "processing"
    assert signed_in(cast.stranger).get(url).status_code == 404
    assert signed_in(cast.an).get(reverse("publicservices:queue")).status_code == 403

    status = Client().get(reverse("publicservices:status"), {"code": dossier.receipt_code or ""})
    assert status.status_code == 200
    assert "Nguyễn" not in status.content.decode()
    assert Client().get(reverse("publicservices:status"), {"code": "x"}).status_code == 404


def test_the_queue_costs_the_same_queries_for_one_row_or_many(
    cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The queue reads only the columns its rows show: a row never goes back to the
    database for a deferred field (the page and the API's tasks)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from nentang.identity.services import sessions
    from nentang.publicservices import services

    # The session's last-seen time is written at most once a minute: on a loaded
    # machine a minute can pass between two measurements and add that one UPDATE.
    monkeypatch.setattr(sessions, "TOUCH_INTERVAL", datetime.timedelta(days=1))

    def submit() -> None:
        services.dossier_submit(
            actor=cast.an,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="ubnd-phuong-sai-gon",
            data=support.birth(),
            documents=support.papers("dang-ky-khai-sinh"),
        )

    reception = signed_in(cast.reception)
    urls = (reverse("publicservices:queue"), "/api/v1/tasks")

    def queries(url: str) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert reception.get(url).status_code == 200
        return [query["sql"] for query in captured.captured_queries]

    def fewest() -> dict[str, int]:
        # The fewer of two requests: on a loaded machine a once-in-a-while write or a
        # cache refill can land in one of them (the gate once saw 11 against 10); a
        # query per row would show in both (four more rows, four more queries).
        return {url: min(len(queries(url)), len(queries(url))) for url in urls}

    submit()
    for url in urls:
        queries(url)  # the first request fills caches (navigation, catalogue)
    one = fewest()
    for _ in range(4):
        submit()
    assert fewest() == one
    [read] = [sql for sql in queries(urls[1]) if 'FROM "publicservices_dossier"' in sql]
    assert '"publicservices_dossier"."data"' not in read


def test_an_approval_officer_revokes_a_result_from_the_dossier_page(cast: Cast) -> None:
    from nentang.publicservices import selectors, services

    dossier = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    url = reverse("publicservices:officer_dossier", args=[dossier.pk])
    approval = signed_in(cast.approval)
    assert 'value="revoke_result"' not in approval.get(url).content.decode()
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    services.dossier_process(actor=cast.processing, dossier_id=dossier.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=dossier.pk)
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)
    code = Dossier.objects.get(pk=dossier.pk).receipt_code or ""
    assert 'value="revoke_result"' not in signed_in(cast.processing).get(url).content.decode()
    assert 'value="revoke_result"' in approval.get(url).content.decode()

    unexplained = approval.post(url, {"action": "revoke_result", "reason": ""})
    assert unexplained.status_code == 409
    assert [error.field for error in unexplained.context["errors"]] == ["reason"]
    assert selectors.result_status(receipt_code=code).status == "valid"

    done = approval.post(url, {"action": "revoke_result", "reason": "Sai ngày sinh của trẻ"})
    assert done.status_code == 302
    assert selectors.result_status(receipt_code=code).status == "revoked"
    page = approval.get(url).content.decode()
    assert "Thu hồi kết quả" in page  # the timeline's entry
    assert 'value="revoke_result"' not in page


def test_deadlines_show_to_the_citizen_and_the_queue_sorts_by_them(cast: Cast) -> None:
    from nentang.publicservices import services

    def submit(child: str) -> Dossier:
        return services.dossier_submit(
            actor=cast.an,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="ubnd-phuong-sai-gon",
            data=support.birth(child_full_name=child),
            documents=support.papers("dang-ky-khai-sinh"),
        )

    finished, waiting, received = (
        submit("Nguyễn Minh A"),
        submit("Nguyễn Minh B"),
        submit("Nguyễn Minh C"),
    )
    for dossier in (finished, received):
        services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    services.dossier_process(actor=cast.processing, dossier_id=finished.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=finished.pk)
    services.dossier_issue_result(actor=cast.processing, dossier_id=finished.pk)

    an = signed_in(cast.an)
    mine = an.get(reverse("publicservices:my_dossiers")).content.decode()
    # Finished the day of receipt with one working day allowed: early; received: on track.
    assert mine.count("Trước hạn") == 1
    assert mine.count("Trong hạn") == 1
    assert "Hẹn trả kết quả" in mine
    page = an.get(reverse("publicservices:dossier", args=[received.pk])).content.decode()
    assert "Trong hạn" in page
    page = an.get(reverse("publicservices:dossier", args=[waiting.pk])).content.decode()
    assert "Trong hạn" not in page  # not received: no deadline yet

    second = submit("Nguyễn Minh D")
    reception = signed_in(cast.reception)
    url = reverse("publicservices:queue")
    earliest = reception.get(url, {"role": "reception"}).content.decode()
    latest = reception.get(url, {"role": "reception", "sort": "-due"}).content.decode()
    assert "Hạn xử lý gần nhất trước" in earliest
    order = [str(waiting.pk), str(second.pk)]  # the same step deadline: by id
    assert sorted(order, key=earliest.index) == order
    assert sorted(order, key=latest.index) == order[::-1]
    assert reception.get(url, {"sort": "anything"}).status_code == 200


def test_officers_see_their_own_agency_s_statistics_only(cast: Cast) -> None:
    from nentang.publicservices import services

    def submit() -> Dossier:
        return services.dossier_submit(
            actor=cast.an,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="ubnd-phuong-sai-gon",
            data=support.birth(),
            documents=support.papers("dang-ky-khai-sinh"),
        )

    finished, waiting = submit(), submit()
    submit()  # not received: not counted
    for dossier in (finished, waiting):
        services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    services.dossier_process(actor=cast.processing, dossier_id=finished.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=finished.pk)
    services.dossier_issue_result(actor=cast.processing, dossier_id=finished.pk)

    url = reverse("publicservices:officer_statistics")
    page = signed_in(cast.processing).get(url, {"period": "30"})
    assert page.status_code == 200
    numbers = page.context["total"]
    assert (numbers["received"], numbers["in_progress"], numbers["early"]) == (2, 1, 1)
    assert (numbers["on_time"], numbers["late"], numbers["on_time_percent"]) == (0, 0, "100%")
    body = page.content.decode()
    assert "Thống kê của cơ quan tôi" in body
    assert "Đăng ký khai sinh" in body
    # The charts are tables: this month's bar, and the early / on time / late shares.
    [month] = page.context["months"]
    assert month["received"] == (100, 2)
    assert month["bars"] == [(100, "100%"), (0, "0%"), (0, "0%")]
    assert "Từng tháng" in body
    assert body.count('class="table chart"') == 2
    other = signed_in(cast.stranger).get(url)
    assert other.context["total"]["received"] == 0
    assert "Đăng ký khai sinh" not in other.content.decode()
    assert other.context["months"] == []
    assert signed_in(cast.an).get(url).status_code == 403
    assert Client().get(url).status_code == 302
