"""Hand-offs between agencies (liên thông): the interconnected birth + permanent
residence + health-insurance group goes from the ward's one-stop shop to the ward police
and the city's social-insurance office and back, through the services, the pages and
the API; who may read and act at each point; a missing agency refuses the hand-off."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pytest
from django.apps import apps
from django.core import mail
from django.test import Client
from pypdf import PdfReader
from tests.support.staff import log_in_as

from nentang.identity import services as identity
from nentang.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nentang.kernel.models import OutboxEvent
from nentang.publicservices import selectors, services
from nentang.publicservices.models import Dossier, DossierAction
from nentang.publicservices.services.common import procedure_of
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast
from nentang.publicservices.workflow import Step, replay

AuditEntry = apps.get_model("audit", "AuditEntry")
SecurityEvent = apps.get_model("audit", "SecurityEvent")
SLUG = "lien-thong-khai-sinh-thuong-tru-bhyt"
POLICE = "cong-an-phuong-sai-gon"
INSURANCE = "bhxh-tp-hcm"


def partners(cast: Cast) -> tuple[Any, Any]:
    """The ward police of Sài Gòn and the city's social-insurance office, one officer
    each (processing)."""
    for code, name, kind, commune in (
        (POLICE, "Công an phường Sài Gòn", "police", "26740"),
        (INSURANCE, "Bảo hiểm xã hội TP Hồ Chí Minh", "social_insurance", ""),
    ):
        identity.agency_create(
            actor=cast.admin,
            code=code,
            name=name,
            kind=kind,
            province_code="79",
            commune_code=commune,
        )
    police = identity.officer_create(
        actor=cast.admin,
        agency_code=POLICE,
        username="canbo.congan.saigon",
        password=support.OFFICER_PASSWORD,
        full_name="Trương Văn Đức",
        roles=["processing"],
    ).account
    insurance = identity.officer_create(
        actor=cast.admin,
        agency_code=INSURANCE,
        username="canbo.bhxh.hcm",
        password=support.OFFICER_PASSWORD,
        full_name="Lý Thị Lan",
        roles=["processing"],
    ).account
    return police, insurance


def answers() -> dict[str, Any]:
    return {
        **support.birth(),
        "residence_address": "12 Lê Lợi, Phường Sài Gòn, TP Hồ Chí Minh",
        "health_insurance_facility": "Bệnh viện Nhi đồng 2",
    }


def submitted_and_registered(cast: Cast) -> Dossier:
    """Submitted, received, checked and approved (the child registered) at the ward."""
    dossier = services.dossier_submit(
        actor=cast.an,
        procedure_slug=SLUG,
        agency_code="ubnd-phuong-sai-gon",
        data=answers(),
        documents=support.papers(SLUG),
    )
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    services.dossier_process(actor=cast.processing, dossier_id=dossier.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert dossier.state == "birth_registered"
    return dossier


def denied() -> int:
    return int(SecurityEvent.objects.filter(kind="authz.denied").count())


def test_the_interconnected_group_goes_to_the_police_and_social_insurance_and_back(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    police, insurance = partners(cast)
    dossier = submitted_and_registered(cast)
    # Not theirs yet: the police and the insurance office see nothing (404, logged).
    before = denied()
    with pytest.raises(NotFound):
        selectors.dossier_for_officer(actor=police, dossier_id=dossier.pk)
    with pytest.raises(NotFound):
        services.dossier_hand_off(actor=insurance, dossier_id=dossier.pk, reason="Nhận thử")
    assert denied() == before + 2
    # Only the step's role hands off, with a reason.
    with pytest.raises(Forbidden):
        services.dossier_hand_off(actor=cast.approval, dossier_id=dossier.pk, reason="Chuyển")
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_hand_off(
            actor=cast.processing, dossier_id=dossier.pk, reason="Đăng ký thường trú cho trẻ"
        )
    dossier.refresh_from_db()
    assert (dossier.state, dossier.handler_id, dossier.agency_id) == (
        "residence",
        POLICE,
        "ubnd-phuong-sai-gon",
    )
    assert dossier.step_due_date is not None  # the police step's own deadline
    entry = DossierAction.objects.get(dossier=dossier, action="hand_off")
    assert entry.payload["from_agency"] == "ubnd-phuong-sai-gon"
    assert entry.payload["to_agency"] == POLICE
    assert (entry.reason, entry.actor_type) == ("Đăng ký thường trú cho trẻ", "officer")
    assert "Công an phường Sài Gòn" in mail.outbox[-1].body
    # The police find it in their queue; the ward's queue no longer shows it.
    assert [d.pk for d in selectors.officer_queue(actor=police)] == [dossier.pk]
    assert dossier.pk not in [d.pk for d in selectors.officer_queue(actor=cast.processing)]
    # The ward keeps read-only access; the insurance office and another ward see nothing.
    assert selectors.dossier_for_officer(actor=cast.processing, dossier_id=dossier.pk)
    with pytest.raises(Forbidden) as read_only:
        services.dossier_hand_off(actor=cast.processing, dossier_id=dossier.pk, reason="Lại")
    assert read_only.value.code == "dossier_handed_off"
    with pytest.raises(Forbidden):
        services.dossier_comment(actor=cast.reception, dossier_id=dossier.pk, text="Ghi chú")
    before = denied()
    with pytest.raises(NotFound):
        selectors.dossier_for_officer(actor=insurance, dossier_id=dossier.pk)
    with pytest.raises(NotFound):
        selectors.dossier_for_officer(actor=cast.stranger, dossier_id=dossier.pk)
    assert denied() == before + 2

    # The officer pages: the police act, the ward reads the timeline without actions.
    police_page = signed_in(police).get(f"/officer/dossiers/{dossier.pk}")
    assert police_page.status_code == 200
    assert "Bảo hiểm xã hội TP Hồ Chí Minh" in police_page.content.decode()  # the next agency
    ward_page = signed_in(cast.processing).get(f"/officer/dossiers/{dossier.pk}").content.decode()
    assert "Chuyển sang cơ quan khác" in ward_page
    assert 'value="hand_off"' not in ward_page
    stranger_page = signed_in(cast.stranger).get(f"/officer/dossiers/{dossier.pk}")
    assert stranger_page.status_code == 404

    services.dossier_hand_off(actor=police, dossier_id=dossier.pk, reason="Đã đăng ký thường trú")
    assert selectors.dossier_for_officer(actor=police, dossier_id=dossier.pk)  # still reads
    services.dossier_hand_off(actor=insurance, dossier_id=dossier.pk, reason="Đã cấp thẻ BHYT")
    dossier.refresh_from_db()
    assert (dossier.state, dossier.handler_id) == ("issuing", "ubnd-phuong-sai-gon")
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)

    dossier.refresh_from_db()
    assert dossier.state == "completed"
    log = [Step(a.action, a.payload) for a in DossierAction.objects.filter(dossier=dossier)]
    assert replay(procedure_of(dossier).workflow, log) == dossier.state
    hand_offs = DossierAction.objects.filter(dossier=dossier, action="hand_off").order_by("seq")
    assert [(a.payload["from_agency"], a.payload["to_agency"]) for a in hand_offs] == [
        ("ubnd-phuong-sai-gon", POLICE),
        (POLICE, INSURANCE),
        (INSURANCE, "ubnd-phuong-sai-gon"),
    ]
    assert all("step_sla" in a.payload for a in hand_offs)
    handed = OutboxEvent.objects.filter(topic="publicservices.dossier.handed_off")
    assert handed.count() == 3
    assert {e.payload["to_agency"] for e in handed} == {POLICE, INSURANCE, "ubnd-phuong-sai-gon"}
    assert (
        AuditEntry.objects.filter(
            subject=str(dossier.pk), action="publicservices.dossier.hand_off"
        ).count()
        == 3
    )
    # The citizen's status timeline tells them, in Vietnamese, where the dossier went.
    an = signed_in(cast.an)
    page = an.get(f"/dossiers/{dossier.pk}").content.decode()
    assert "Chuyển sang cơ quan khác" in page
    assert "Từ UBND phường Sài Gòn đến Công an phường Sài Gòn" in page
    # Each partner's result is its own signed document, downloaded and verified like
    # the ward's; the ward's result stays the main one; no one else downloads them.
    results = selectors.dossier_partner_results(dossier=dossier)
    assert [r.issuer_id for r in results] == [POLICE, INSURANCE]
    texts = {}
    for paper in results:
        url = f"/dossiers/{dossier.pk}/results/{paper.pk}.pdf"
        assert url in page
        download = an.get(url)
        assert download["Content-Type"] == "application/pdf"
        content = download.content
        texts[paper.pk] = printed(content)
        check = selectors.result_verify(content=content)
        assert (check.status, check.verdict and check.verdict.valid) == ("valid", True)
        assert check.issuer == paper.issuer_id
        assert signed_in(cast.stranger).get(url).status_code == 404
        assert signed_in(police).get(url).status_code == 404
    _, main = selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)
    assert selectors.result_verify(content=main).status == "valid"
    assert hashlib.sha256(main).hexdigest() not in {r.sha256 for r in results}

    # Each partner's result also verifies by its code (what its QR code opens: the
    # receipt code and the issuing agency), on the public page and through the API,
    # for anyone, and says "revoked" once the results are revoked.
    code = str(dossier.receipt_code)
    anyone = Client()
    for paper, name in zip(results, ("Công an phường", "Bảo hiểm xã hội"), strict=True):
        issuer = str(paper.issuer_id)
        check = selectors.result_status(receipt_code=code, issuer=issuer)
        assert (check.status, check.issuer) == ("valid", issuer)
        shown = anyone.get("/results/verify", {"code": code, "issuer": issuer})
        assert shown.status_code == 200
        assert name in shown.content.decode()
        api = anyone.get(f"/api/v1/result-status/{code}", {"issuer": issuer}).json()
        assert (api["status"], api["issuer"]) == ("valid", issuer)
        assert f"verify?code={code}&issuer={issuer}" in texts[paper.pk]
    assert anyone.get(f"/api/v1/result-status/{code}").json()["issuer"] == ""
    for unknown in ("ubnd-phuong-sai-gon", "khong-co", "x y"):
        assert anyone.get(f"/api/v1/result-status/{code}", {"issuer": unknown}).status_code == 404
    services.dossier_result_revoke(
        actor=cast.approval, dossier_id=dossier.pk, reason="Sai thông tin của trẻ"
    )
    for paper in results:
        api = anyone.get(f"/api/v1/result-status/{code}", {"issuer": str(paper.issuer_id)})
        assert api.json()["status"] == "revoked"


def printed(content: bytes) -> str:
    """The text of a PDF's first page (the URL its QR code carries is printed under it)."""
    return "".join(PdfReader(io.BytesIO(content)).pages[0].extract_text().split())


def test_the_interconnected_group_through_the_api(cast: Cast) -> None:
    police, insurance = partners(cast)
    an = signed_in(cast.an)
    created = post(
        an,
        f"/api/v1/services/{SLUG}/applications",
        {
            "agency": "ubnd-phuong-sai-gon",
            "data": answers(),
            "documents": support.papers_json(SLUG),
        },
    )
    assert created.status_code == 201, created.content
    application = created.json()["id"]
    for officer, action in (
        (cast.reception, "receive"),
        (cast.processing, "process"),
        (cast.approval, "approve"),
    ):
        done = post(signed_in(officer), f"/api/v1/tasks/{application}/complete", {"action": action})
        assert done.status_code == 200, done.content
    ward = signed_in(cast.processing)
    unexplained = post(ward, f"/api/v1/tasks/{application}/complete", {"action": "hand_off"})
    assert unexplained.status_code == 422
    handed = post(
        ward,
        f"/api/v1/tasks/{application}/complete",
        {"action": "hand_off", "reason": "Đăng ký thường trú"},
    )
    assert handed.status_code == 200, handed.content
    assert handed.json()["handler"] == POLICE

    police_client = signed_in(police)
    [task] = police_client.get("/api/v1/tasks").json()["items"]
    assert (task["id"], task["state"]) == (application, "residence")
    assert "hand_off" in task["actions"]
    again = post(
        ward, f"/api/v1/tasks/{application}/complete", {"action": "hand_off", "reason": "Lại"}
    )
    assert (again.status_code, again.json()["code"]) == (403, "dossier_handed_off")
    early = post(
        signed_in(insurance),
        f"/api/v1/tasks/{application}/complete",
        {"action": "hand_off", "reason": "Nhận"},
    )
    assert (early.status_code, early.json()["code"]) == (404, "dossier_not_found")
    stranger = post(
        signed_in(cast.stranger),
        f"/api/v1/tasks/{application}/complete",
        {"action": "comment", "reason": "Xem"},
    )
    assert stranger.status_code == 404

    for officer, action in (
        (police_client, "hand_off"),
        (signed_in(insurance), "hand_off"),
        (ward, "issue_result"),
    ):
        done = post(
            officer,
            f"/api/v1/tasks/{application}/complete",
            {"action": action, "reason": "Xong bước"},
        )
        assert done.status_code == 200, done.content
    mine = an.get(f"/api/v1/applications/{application}").json()
    assert (mine["state"], mine["handler"], mine["agency"]) == (
        "completed",
        "ubnd-phuong-sai-gon",
        "ubnd-phuong-sai-gon",
    )


def test_a_partner_step_asks_for_supplements_then_refuses_its_part_and_the_rest_goes_on(
    cast: Cast, django_capture_on_commit_callbacks: Any
) -> None:
    police, insurance = partners(cast)
    dossier = submitted_and_registered(cast)
    services.dossier_hand_off(actor=cast.processing, dossier_id=dossier.pk, reason="Thường trú")
    # Only the police act on their step: the insurance office is not there yet (404,
    # logged), the ward only reads (403), the citizen is no officer (404).
    before = denied()
    with pytest.raises(NotFound):
        services.dossier_request_supplement(
            actor=insurance, dossier_id=dossier.pk, reasons=["Thiếu giấy tờ"]
        )
    with pytest.raises(NotFound):
        services.dossier_reject(actor=insurance, dossier_id=dossier.pk, reason="Không đủ")
    with pytest.raises(NotFound):
        services.dossier_reject(actor=cast.stranger, dossier_id=dossier.pk, reason="Không đủ")
    assert denied() == before + 3
    with pytest.raises(Forbidden) as read_only:
        services.dossier_reject(actor=cast.processing, dossier_id=dossier.pk, reason="Không đủ")
    assert read_only.value.code == "dossier_handed_off"

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_request_supplement(
            actor=police, dossier_id=dossier.pk, reasons=["Thiếu giấy tờ chứng minh chỗ ở"]
        )
    dossier.refresh_from_db()
    assert (dossier.state, dossier.handler_id, dossier.step_role) == (
        "residence_supplementing",
        POLICE,
        "",
    )
    told = mail.outbox[-1].body
    assert "Công an phường Sài Gòn" in told
    assert "Thiếu giấy tờ chứng minh chỗ ở" in told
    # The citizen adds the paper; the answers the ward approved stay as they are.
    services.dossier_document_upload(
        actor=cast.an, dossier_id=dossier.pk, document=0, name="cho-o.pdf", content=support.SCAN
    )
    with pytest.raises(ValidationFailed) as changed:
        services.dossier_resubmit(
            actor=cast.an, dossier_id=dossier.pk, data={"child_full_name": "Nguyễn Minh Khang"}
        )
    assert [e.field for e in changed.value.errors] == ["child_full_name"]
    services.dossier_resubmit(actor=cast.an, dossier_id=dossier.pk, data={})
    dossier.refresh_from_db()
    assert (dossier.state, dossier.handler_id, dossier.step_role) == (
        "residence",
        POLICE,
        "processing",
    )
    assert [d.pk for d in selectors.officer_queue(actor=police)] == [dossier.pk]
    with pytest.raises(Conflict) as twice:
        services.dossier_request_supplement(
            actor=police, dossier_id=dossier.pk, reasons=["Lần nữa"]
        )
    assert twice.value.code == "supplement_limit_reached"

    # The police refuse their part (the permanent residence): reasons required; the
    # whole group is not refused, the dossier goes on to the health-insurance card.
    with pytest.raises(ValidationFailed):
        services.dossier_refuse_part(actor=police, dossier_id=dossier.pk, reason="")
    with pytest.raises(Conflict):  # a partner refuses its part, not the whole dossier
        services.dossier_reject(actor=police, dossier_id=dossier.pk, reason="Không đủ")
    task = signed_in(police).get(f"/officer/dossiers/{dossier.pk}").content.decode()
    assert 'value="refuse_part"' in task
    assert 'value="reject"' not in task
    assert "Từ chối phần việc của cơ quan" in task
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.dossier_refuse_part(
            actor=police, dossier_id=dossier.pk, reason="Chỗ ở không hợp pháp"
        )
    dossier.refresh_from_db()
    assert (dossier.state, dossier.handler_id, dossier.completed_at) == (
        "health_insurance",
        INSURANCE,
        None,
    )
    refusal = DossierAction.objects.get(dossier=dossier, action="refuse_part")
    assert (refusal.payload["from_agency"], refusal.payload["to_agency"]) == (POLICE, INSURANCE)
    assert (refusal.payload["part"], refusal.reason) == (
        "Xác nhận đăng ký thường trú",
        "Chỗ ở không hợp pháp",
    )
    told = mail.outbox[-1].body
    for said in ("Công an phường Sài Gòn", "Chỗ ở không hợp pháp", "Xác nhận đăng ký thường trú"):
        assert said in told
    assert "Bảo hiểm xã hội TP Hồ Chí Minh" in told  # where the rest went
    [event] = OutboxEvent.objects.filter(topic="publicservices.dossier.part_refused")
    assert (event.payload["from_agency"], event.payload["to_agency"]) == (POLICE, INSURANCE)
    assert event.payload["part"] == "Xác nhận đăng ký thường trú"
    assert not OutboxEvent.objects.filter(topic="publicservices.dossier.rejected").exists()
    assert selectors.dossier_partner_results(dossier=dossier) == []  # no residence paper
    # The insurance office now has it; the police keep read-only access.
    assert [d.pk for d in selectors.officer_queue(actor=insurance)] == [dossier.pk]
    assert selectors.dossier_for_officer(actor=police, dossier_id=dossier.pk)
    with pytest.raises(Forbidden):
        services.dossier_refuse_part(actor=police, dossier_id=dossier.pk, reason="Lại")

    # The health-insurance card is issued, and the ward completes the dossier.
    services.dossier_hand_off(actor=insurance, dossier_id=dossier.pk, reason="Đã cấp thẻ BHYT")
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert dossier.state == "completed"
    log = [Step(a.action, a.payload) for a in DossierAction.objects.filter(dossier=dossier)]
    assert replay(procedure_of(dossier).workflow, log) == "completed"
    assert (
        AuditEntry.objects.filter(
            subject=str(dossier.pk),
            action__in=[
                "publicservices.dossier.refuse_part",
                "publicservices.dossier.request_supplement",
                "publicservices.dossier.resubmit",
            ],
        ).count()
        == 3
    )
    # The birth registration's result stays valid; the card is the only partner paper.
    assert [r.issuer_id for r in selectors.dossier_partner_results(dossier=dossier)] == [INSURANCE]
    _, main = selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)
    assert selectors.result_verify(content=main).status == "valid"
    with pytest.raises(NotFound):  # no residence result to verify
        selectors.result_status(receipt_code=str(dossier.receipt_code), issuer=POLICE)
    # The citizen's page says which part was refused, by whom, why, and what went on.
    page = signed_in(cast.an).get(f"/dossiers/{dossier.pk}").content.decode()
    assert "Công an phường Sài Gòn đã từ chối phần việc của mình" in page
    assert "Chỗ ở không hợp pháp" in page


def test_a_partner_refuses_its_part_through_the_api(cast: Cast) -> None:
    """The health-insurance office refuses the card: the dossier goes back to the ward,
    which completes it with the birth registration and the residence confirmation."""
    police, insurance = partners(cast)
    dossier = submitted_and_registered(cast)
    services.dossier_hand_off(actor=cast.processing, dossier_id=dossier.pk, reason="Thường trú")
    services.dossier_hand_off(actor=police, dossier_id=dossier.pk, reason="Đã đăng ký")
    office = signed_in(insurance)
    [task] = office.get("/api/v1/tasks").json()["items"]
    assert "refuse_part" in task["actions"]
    assert "reject" not in task["actions"]
    unexplained = post(office, f"/api/v1/tasks/{dossier.pk}/complete", {"action": "refuse_part"})
    assert unexplained.status_code == 422
    done = post(
        office,
        f"/api/v1/tasks/{dossier.pk}/complete",
        {"action": "refuse_part", "reason": "Trẻ đã có thẻ BHYT"},
    )
    assert done.status_code == 200, done.content
    assert (done.json()["state"], done.json()["handler"]) == ("issuing", "ubnd-phuong-sai-gon")
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert dossier.state == "completed"
    assert [r.issuer_id for r in selectors.dossier_partner_results(dossier=dossier)] == [POLICE]


def test_no_agency_of_the_kind_for_the_place_refuses_the_hand_off(cast: Cast) -> None:
    dossier = submitted_and_registered(cast)  # no ward police registered

    with pytest.raises(Conflict) as missing:
        services.dossier_hand_off(actor=cast.processing, dossier_id=dossier.pk, reason="Chuyển")

    assert missing.value.code == "handoff_agency_missing"
    dossier.refresh_from_db()
    assert (dossier.state, dossier.handler_id) == ("birth_registered", "ubnd-phuong-sai-gon")
    assert not DossierAction.objects.filter(dossier=dossier, action="hand_off").exists()


def signed_in(account: Any) -> Client:
    client = Client()
    log_in_as(client, account)
    return client


def post(client: Client, path: str, body: Any) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


def test_a_reason_with_a_nul_byte_is_a_field_error(cast: Cast) -> None:
    """A NUL in a reason (hand-off, reject, comment…) was a 500 on PostgreSQL: its text
    column refuses it. It is the reason's field error on every database."""
    partners(cast)
    dossier = submitted_and_registered(cast)
    with pytest.raises(ValidationFailed) as refused:
        services.dossier_hand_off(
            actor=cast.processing, dossier_id=dossier.pk, reason="Chuyển\x00 công an"
        )
    assert [e.field for e in refused.value.errors] == ["reason"]
    dossier.refresh_from_db()
    assert dossier.state == "birth_registered"
    # The same class elsewhere: an answer and a withdrawal reason lose the NUL, a
    # supplement reason is refused like an empty one.
    other = services.dossier_submit(
        actor=cast.an,
        procedure_slug=SLUG,
        agency_code="ubnd-phuong-sai-gon",
        data={**answers(), "residence_address": "12 Lê Lợi\x00, Phường Sài Gòn"},
        documents=support.papers(SLUG),
    )
    assert other.data["residence_address"] == "12 Lê Lợi, Phường Sài Gòn"
    services.dossier_receive(actor=cast.reception, dossier_id=other.pk)
    with pytest.raises(ValidationFailed):
        services.dossier_request_supplement(
            actor=cast.processing, dossier_id=other.pk, reasons=["Thiếu\x00 giấy"]
        )
    services.dossier_withdraw(actor=cast.an, dossier_id=other.pk, reason="Nộp\x00 nhầm")
    other.refresh_from_db()
    assert other.state == "withdrawn"
