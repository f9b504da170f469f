"""Dossiers through the services: three whole journeys, the permission of every
action, bad input that changes nothing, receipt codes, SLA dates, the seams for
payments and post, events and audit entries."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.utils import timezone

from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nentang.kernel.models import OutboxEvent
from nentang.kernel.workdays import current_calendar
from nentang.publicservices import selectors, services
from nentang.publicservices.models import Dossier, DossierAction
from nentang.publicservices.services.common import procedure_of
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast
from nentang.publicservices.workflow import Step, replay

AuditEntry = apps.get_model("audit", "AuditEntry")
SecurityEvent = apps.get_model("audit", "SecurityEvent")
DataUsage = apps.get_model("identity", "DataUsage")
PAYMENTS = Actor.system("payments")
POST = Actor.system("postal")
RECEIPT = re.compile(r"^\d{3}\.\d{2}\.\d{2}\.[A-Z]\d{2}-\d{6}-\d{4}$")


def topics(dossier: Dossier) -> list[str]:
    return list(
        OutboxEvent.objects.filter(payload__dossier=str(dossier.pk))
        .order_by("occurred_at", "id")
        .values_list("topic", flat=True)
    )


def assert_log_agrees(dossier: Dossier) -> None:
    dossier.refresh_from_db()
    log = [Step(a.action, a.payload) for a in DossierAction.objects.filter(dossier=dossier)]
    assert replay(procedure_of(dossier).workflow, log) == dossier.state
    assert dossier.log_length == len(log)


def submit_birth(cast: Cast, **changes: Any) -> Dossier:
    return services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(**changes),
        documents=support.papers("dang-ky-khai-sinh"),
    )


def test_birth_registration_from_submission_to_the_online_result(cast: Cast) -> None:
    dossier = submit_birth(cast)
    assert (dossier.state, dossier.step_role, dossier.receipt_code) == (
        "reception",
        "reception",
        None,
    )
    assert dossier.procedure_version == 1

    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    today = timezone.localdate()
    assert dossier.receipt_code == f"000.31.29.H29-{today:%y%m%d}-0001"
    assert RECEIPT.fullmatch(dossier.receipt_code)
    assert dossier.state == "processing"
    assert dossier.due_date == current_calendar().add_working_days(today, 1)
    assert dossier.step_due_date == current_calendar().add_working_days(today, 1)

    services.dossier_process(actor=cast.processing, dossier_id=dossier.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=dossier.pk)
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)

    dossier.refresh_from_db()
    assert dossier.state == "completed"
    assert dossier.sla_outcome == "early"
    assert dossier.completed_at is not None
    assert_log_agrees(dossier)
    assert [a.action for a in selectors.dossier_timeline(dossier=dossier)] == [
        "submit",
        "receive",
        "process",
        "approve",
        "issue_result",
    ]
    assert topics(dossier) == [
        "publicservices.dossier.submitted",
        "publicservices.dossier.received",
        "publicservices.dossier.processed",
        "publicservices.dossier.approved",
        "publicservices.dossier.result_issued",
    ]
    # Five actions; the birth notice given with the submission is in its entry.
    assert AuditEntry.objects.filter(subject=str(dossier.pk)).count() == 5
    submitted = AuditEntry.objects.get(subject=str(dossier.pk), action__endswith=".submit")
    assert [given["document"] for given in submitted.summary["documents"]] == [0]


def test_a_judicial_record_waits_for_its_fee_and_its_postal_delivery(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        dossier = services.dossier_submit(
            actor=cast.an,
            procedure_slug="cap-phieu-ly-lich-tu-phap",
            agency_code="so-tu-phap-tp-hcm",
            data=support.judicial_record(),
            documents=support.papers("cap-phieu-ly-lich-tu-phap"),
        )
        services.dossier_receive(actor=cast.justice, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert (dossier.state, dossier.fee_amount) == ("fee_due", 205_000)
    assert dossier.step_role == ""
    requested = OutboxEvent.objects.get(topic="publicservices.dossier.fee_requested")
    assert requested.payload["reference"] == dossier.receipt_code
    assert requested.payload["amount"] == 205_000
    assert requested.payload["payer"] == str(dossier.applicant_id)
    assert [m.to for m in mail.outbox] == [["an@example.vn"], ["an@example.vn"]]

    with pytest.raises(Conflict) as early:
        services.dossier_process(actor=cast.justice, dossier_id=dossier.pk)
    assert early.value.code == "action_not_allowed"
    with pytest.raises(Conflict) as short:
        services.dossier_fee_paid(
            actor=PAYMENTS,
            dossier_reference=dossier.receipt_code,
            payment_reference="PAY-1",
            amount=200_000,
        )
    assert short.value.code == "fee_mismatch"

    services.dossier_fee_paid(
        actor=PAYMENTS,
        dossier_reference=dossier.receipt_code,
        payment_reference="PAY-1",
        amount=205_000,
    )
    again = services.dossier_fee_paid(
        actor=PAYMENTS,
        dossier_reference=dossier.receipt_code,
        payment_reference="PAY-1",
        amount=205_000,
    )
    assert again.state == "processing"
    services.dossier_process(actor=cast.justice, dossier_id=dossier.pk)
    services.dossier_approve(actor=cast.justice, dossier_id=dossier.pk)
    services.dossier_issue_result(actor=cast.justice, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert dossier.state == "delivery"
    issued = OutboxEvent.objects.get(topic="publicservices.dossier.result_issued")
    assert issued.payload["by_post"] is True
    assert issued.payload["reference"] == dossier.receipt_code

    delivered_at = timezone.now()
    services.dossier_result_delivered(
        actor=POST, dossier_reference=dossier.receipt_code, at=delivered_at
    )
    services.dossier_result_delivered(
        actor=POST, dossier_reference=dossier.receipt_code, at=delivered_at
    )
    dossier.refresh_from_db()
    assert dossier.state == "completed"
    assert dossier.payment_reference == "PAY-1"
    assert_log_agrees(dossier)
    assert [a.action for a in selectors.dossier_timeline(dossier=dossier)].count("deliver") == 1


def test_temporary_residence_supplemented_once_then_refused(cast: Cast) -> None:
    dossier = services.dossier_submit(
        actor=cast.binh,
        procedure_slug="dang-ky-tam-tru",
        agency_code="ubnd-phuong-sai-gon",
        data=support.temporary_residence(),
        documents=support.papers("dang-ky-tam-tru"),
    )
    services.dossier_request_supplement(
        actor=cast.reception,
        dossier_id=dossier.pk,
        reasons=["Thiếu hợp đồng thuê nhà có công chứng"],
    )
    dossier.refresh_from_db()
    assert (dossier.state, dossier.step_role) == ("supplementing", "")

    services.dossier_resubmit(actor=cast.binh, dossier_id=dossier.pk, data={"months": 6})
    with pytest.raises(Conflict) as second:
        services.dossier_request_supplement(
            actor=cast.reception, dossier_id=dossier.pk, reasons=["Ảnh chụp bị mờ"]
        )
    assert second.value.code == "supplement_limit_reached"

    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    services.dossier_fee_paid(
        actor=PAYMENTS,
        dossier_reference=Dossier.objects.get(pk=dossier.pk).receipt_code or "",
        payment_reference="PAY-7",
        amount=7000,
    )
    with pytest.raises(ValidationFailed) as no_reason:
        services.dossier_reject(actor=cast.processing, dossier_id=dossier.pk, reason=" ")
    assert [e.field for e in no_reason.value.errors] == ["reason"]
    services.dossier_reject(
        actor=cast.processing,
        dossier_id=dossier.pk,
        reason="Chỗ ở không đủ điều kiện đăng ký tạm trú",
    )
    dossier.refresh_from_db()
    assert dossier.state == "rejected"
    assert dossier.data["months"] == 6
    assert dossier.sla_outcome == ""
    assert_log_agrees(dossier)


def test_a_level_one_account_cannot_apply_for_a_level_two_procedure(cast: Cast) -> None:
    with pytest.raises(Forbidden) as refused:
        services.dossier_submit(
            actor=cast.binh,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="ubnd-phuong-sai-gon",
            data=support.birth(),
            documents=support.papers("dang-ky-khai-sinh"),
        )

    assert refused.value.code == "eid_level_too_low"
    assert Dossier.objects.count() == 0


def test_invalid_answers_save_nothing(cast: Cast) -> None:
    before = AuditEntry.objects.count()

    with pytest.raises(ValidationFailed) as invalid:
        submit_birth(cast, child_sex="boy", child_date_of_birth="30/11/2026")

    assert [(e.field, e.code) for e in invalid.value.errors] == [
        ("child_sex", "invalid_choice"),
        ("child_date_of_birth", "invalid_date"),
    ]
    assert Dossier.objects.count() == 0
    assert AuditEntry.objects.count() == before


def test_an_agency_not_at_the_procedure_level_is_refused(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as refused:
        services.dossier_submit(
            actor=cast.an,
            procedure_slug="dang-ky-khai-sinh",
            agency_code="so-tu-phap-tp-hcm",
            data=support.birth(),
            documents=support.papers("dang-ky-khai-sinh"),
        )

    assert refused.value.code == "agency_not_receiving"
    assert [e.field for e in refused.value.errors] == ["agency"]


def test_a_draft_is_saved_page_by_page_and_submitted(cast: Cast) -> None:
    draft = services.dossier_draft_save(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        data={"child_full_name": "Nguyễn Minh Khôi"},
    )
    with pytest.raises(ValidationFailed):
        services.dossier_draft_save(
            actor=cast.an,
            procedure_slug="dang-ky-khai-sinh",
            data={"child_sex": "x"},
            dossier_id=draft.pk,
        )
    draft.refresh_from_db()
    assert (draft.state, draft.data) == ("draft", {"child_full_name": "Nguyễn Minh Khôi"})

    submitted = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(),
        documents=support.papers("dang-ky-khai-sinh"),
        dossier_id=draft.pk,
    )

    assert submitted.pk == draft.pk
    assert submitted.state == "reception"
    assert Dossier.objects.count() == 1
    assert_log_agrees(submitted)


def test_another_agency_sees_nothing_and_leaves_a_security_event(cast: Cast) -> None:
    dossier = submit_birth(cast)
    events_before = SecurityEvent.objects.filter(kind="authz.denied").count()

    with pytest.raises(NotFound):
        services.dossier_receive(actor=cast.stranger, dossier_id=dossier.pk)
    with pytest.raises(NotFound):
        selectors.dossier_for_officer(actor=cast.stranger, dossier_id=dossier.pk)
    with pytest.raises(NotFound):
        services.dossier_comment(actor=cast.stranger, dossier_id=dossier.pk, text="Xem thử")

    assert SecurityEvent.objects.filter(kind="authz.denied").count() == events_before + 3
    assert list(selectors.officer_queue(actor=cast.stranger)) == []
    dossier.refresh_from_db()
    assert (dossier.state, dossier.log_length) == ("reception", 1)


def test_each_step_needs_its_role(cast: Cast) -> None:
    dossier = submit_birth(cast)

    with pytest.raises(Forbidden) as processing:
        services.dossier_receive(actor=cast.processing, dossier_id=dossier.pk)
    assert processing.value.code == "dossier_step_role_required"
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    with pytest.raises(Forbidden):
        services.dossier_process(actor=cast.approval, dossier_id=dossier.pk)
    with pytest.raises(Conflict):
        services.dossier_approve(actor=cast.approval, dossier_id=dossier.pk)  # not yet
    with pytest.raises(NotFound):
        services.dossier_process(actor=cast.an, dossier_id=dossier.pk)


def test_applicants_see_only_their_own_dossiers(cast: Cast) -> None:
    dossier = submit_birth(cast)

    assert selectors.dossier_for_applicant(actor=cast.an, dossier_id=dossier.pk) == dossier
    with pytest.raises(NotFound):
        selectors.dossier_for_applicant(actor=cast.binh, dossier_id=dossier.pk)
    with pytest.raises(NotFound):
        services.dossier_withdraw(actor=cast.binh, dossier_id=dossier.pk)
    with pytest.raises(NotFound):
        selectors.dossier_for_applicant(actor=cast.an, dossier_id="not-a-uuid")
    assert list(selectors.dossiers_of_applicant(actor=cast.binh)) == []
    assert list(selectors.dossiers_of_applicant(actor=cast.an)) == [dossier]


def test_withdrawal_before_approval_only(cast: Cast) -> None:
    first = submit_birth(cast)
    services.dossier_withdraw(actor=cast.an, dossier_id=first.pk, reason="Nộp nhầm")
    first.refresh_from_db()
    assert first.state == "withdrawn"

    second = submit_birth(cast)
    services.dossier_receive(actor=cast.reception, dossier_id=second.pk)
    services.dossier_process(actor=cast.processing, dossier_id=second.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=second.pk)
    with pytest.raises(Conflict) as late:
        services.dossier_withdraw(actor=cast.an, dossier_id=second.pk)
    assert late.value.code == "action_not_allowed"


def test_the_queue_filters_by_role_and_deadline(cast: Cast) -> None:
    waiting = submit_birth(cast)
    received = submit_birth(cast)
    services.dossier_receive(actor=cast.reception, dossier_id=received.pk)
    today = timezone.localdate()

    assert list(selectors.officer_queue(actor=cast.reception)) == [waiting]
    assert list(selectors.officer_queue(actor=cast.processing)) == [received]
    assert list(selectors.officer_queue(actor=cast.processing, sla="on_track", today=today)) == [
        received
    ]
    later = today + datetime.timedelta(days=30)
    assert list(selectors.officer_queue(actor=cast.processing, sla="overdue", today=later)) == [
        received
    ]
    assert selectors.sla_badge(Dossier.objects.get(pk=received.pk), today=later).code == "overdue"
    assert list(selectors.officer_queue(actor=cast.an)) == []


def test_assignment_within_the_agency_and_the_step(cast: Cast) -> None:
    dossier = submit_birth(cast)
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)

    with pytest.raises(ValidationFailed):
        services.dossier_assign(
            actor=cast.processing, dossier_id=dossier.pk, officer_username="lanhdao.saigon"
        )
    services.dossier_assign(
        actor=cast.processing, dossier_id=dossier.pk, officer_username="chuyenvien.saigon"
    )
    services.dossier_comment(actor=cast.approval, dossier_id=dossier.pk, text="Ưu tiên xử lý")

    dossier.refresh_from_db()
    assert dossier.assignee is not None
    assert dossier.assignee.account == cast.processing
    assert dossier.state == "processing"
    assert_log_agrees(dossier)


def test_reads_of_personal_data_are_logged_for_the_person(cast: Cast) -> None:
    from nentang.publicservices.catalogue import catalogue

    procedure = catalogue().require("dang-ky-khai-sinh")
    prefilled = selectors.form_prefill(actor=cast.an, procedure=procedure)
    assert prefilled == {
        "applicant_full_name": "Nguyễn Văn An",
        "applicant_id_number": support.AN_ID,
    }
    dossier = submit_birth(cast)

    selectors.dossier_for_officer(actor=cast.reception, dossier_id=dossier.pk)

    purposes = list(DataUsage.objects.order_by("occurred_at").values_list("purpose", flat=True))
    assert len(purposes) == 2
    assert "Khai" in purposes[0] or "khai" in purposes[0]


def test_the_public_status_shows_the_state_only(cast: Cast) -> None:
    dossier = submit_birth(cast)
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    dossier.refresh_from_db()

    code, state, _label = selectors.dossier_public_status(receipt_code=dossier.receipt_code or "")
    assert (code, state) == (dossier.receipt_code, "processing")
    with pytest.raises(NotFound):
        selectors.dossier_public_status(receipt_code="000.31.29.H29-991231-0001")
    with pytest.raises(NotFound):  # /dossiers/status?code=a%00b was a 500 on PostgreSQL
        selectors.dossier_public_status(receipt_code="a\x00b")


def test_a_dossier_keeps_its_procedure_version(cast: Cast, monkeypatch: pytest.MonkeyPatch) -> None:
    import dataclasses

    from nentang.publicservices import catalogue as module

    dossier = submit_birth(cast)
    current = module.catalogue()
    old = current.require("dang-ky-khai-sinh")
    newer = dataclasses.replace(old, version=2, processing_days=5)
    monkeypatch.setattr(
        module,
        "_loaded",
        module.Catalogue(versions={**current.versions, ("dang-ky-khai-sinh", 2): newer}),
    )

    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)

    dossier.refresh_from_db()
    assert dossier.procedure_version == 1
    assert dossier.due_date == current_calendar().add_working_days(timezone.localdate(), 1)
    assert submit_birth(cast).procedure_version == 2


def test_the_seams_refuse_unknown_references(cast: Cast) -> None:
    with pytest.raises(NotFound):
        services.dossier_fee_paid(
            actor=PAYMENTS, dossier_reference="nope", payment_reference="P", amount=1
        )
    with pytest.raises(NotFound):
        services.dossier_result_delivered(actor=POST, dossier_reference="", at=timezone.now())


def test_statistics_count_outcomes_channels_and_payments(cast: Cast) -> None:
    finished = submit_birth(cast)
    services.dossier_receive(actor=cast.reception, dossier_id=finished.pk)
    services.dossier_process(actor=cast.processing, dossier_id=finished.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=finished.pk)
    services.dossier_issue_result(actor=cast.processing, dossier_id=finished.pk)
    waiting = submit_birth(cast, result_delivery="counter")
    services.dossier_receive(actor=cast.reception, dossier_id=waiting.pk)
    submit_birth(cast)  # not received: not counted

    [row] = selectors.service_statistics(agency="ubnd-phuong-sai-gon")

    assert (row.agency, row.procedure) == ("ubnd-phuong-sai-gon", "dang-ky-khai-sinh")
    assert (row.received, row.finished, row.early, row.on_time, row.late) == (2, 1, 1, 0, 0)
    assert (row.online, row.paid_online, row.electronic_result) == (2, 0, 1)
    assert row.on_time_share == 1.0
    assert row.average_days is not None
    assert row.average_days < 1
    assert selectors.service_statistics(province="01") == []


def test_a_late_dossier_gets_an_apology_with_a_new_date_and_stays_late(cast: Cast) -> None:
    dossier = submit_birth(cast)
    with pytest.raises(Conflict):
        services.dossier_apologise(
            actor=cast.reception,
            dossier_id=dossier.pk,
            new_due_date=timezone.localdate(),
            reason="Chưa tiếp nhận",
        )
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert dossier.due_date is not None
    calendar = current_calendar()
    with pytest.raises(ValidationFailed) as same_day:
        services.dossier_apologise(
            actor=cast.reception,
            dossier_id=dossier.pk,
            new_due_date=dossier.due_date,
            reason="Chậm",
        )
    assert [e.field for e in same_day.value.errors] == ["new_due_date"]
    later = calendar.add_working_days(dossier.due_date, 2)

    services.dossier_apologise(
        actor=cast.reception,
        dossier_id=dossier.pk,
        new_due_date=later,
        reason="Cần xác minh thêm với cơ sở y tế nơi sinh",
    )
    with pytest.raises(NotFound):
        services.dossier_apologise(
            actor=cast.stranger, dossier_id=dossier.pk, new_due_date=later, reason="Không liên quan"
        )
    for step in (services.dossier_process, services.dossier_approve):
        step(
            actor=cast.processing if step is services.dossier_process else cast.approval,
            dossier_id=dossier.pk,
        )
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)

    dossier.refresh_from_db()
    assert (dossier.due_date, dossier.state, dossier.sla_outcome) == (later, "completed", "late")
    apology = OutboxEvent.objects.get(topic="publicservices.dossier.apologised")
    assert apology.payload["new_due_date"] == later.isoformat()
    assert_log_agrees(dossier)


def test_each_status_change_is_also_sent_by_sms(
    cast: Cast, tmp_path: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Through identity's SMS port (a file outbox here, a gateway in production): the
    applicant's phone gets the dossier's new state; a failing gateway fails nothing."""
    from nentang.identity.services.sms import FileSmsSender, sms_sender_install

    outbox = FileSmsSender(tmp_path)
    previous = sms_sender_install(outbox)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            dossier = submit_birth(cast)
            services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
        dossier.refresh_from_db()
        phone = apps.get_model("identity", "Person").objects.get(pk=dossier.applicant_id).phone
        texts = outbox.messages(phone)
        assert len(texts) == 2
        assert (dossier.receipt_code or "-") in texts[1]

        class Down:
            def send(self, *, to: str, text: str) -> None:
                raise ConnectionError("gateway down")

        sms_sender_install(Down())
        with django_capture_on_commit_callbacks(execute=True):
            services.dossier_process(actor=cast.processing, dossier_id=dossier.pk)
        assert Dossier.objects.get(pk=dossier.pk).state == "approval"
    finally:
        sms_sender_install(previous)


def test_each_step_keeps_its_own_sla_outcome_in_the_log(cast: Cast) -> None:
    """mot-cua: reception and issuing are due the same day (0 working days), processing
    and approval the next working day; acting today is on time (early on a day off,
    when "0 working days" is the next working day), then early."""
    today = timezone.localdate()
    same_day = "on_time" if current_calendar().add_working_days(today, 0) == today else "early"
    dossier = submit_birth(cast)
    services.dossier_comment(actor=cast.reception, dossier_id=dossier.pk, text="Đủ giấy tờ")
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    services.dossier_process(actor=cast.processing, dossier_id=dossier.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=dossier.pk)
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)

    outcomes = [
        (a.action, a.payload.get("step_sla"))
        for a in DossierAction.objects.filter(dossier=dossier).order_by("seq")
    ]
    assert outcomes == [
        ("submit", None),
        ("comment", None),
        ("receive", same_day),
        ("process", "early"),
        ("approve", "early"),
        ("issue_result", same_day),
    ]
