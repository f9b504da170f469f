"""The signed result and the receipt slip: made on approval, signed with PAdES under the
installation's certificate (kept 0600 in NENTANG_HOME), validated by pyHanko's own
validator (a changed byte or an appended update fails), downloadable by the applicant
only; a birth registration gives the child a personal ID number through identity."""

from __future__ import annotations

import hashlib
import io
import stat
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pyhanko.pdf_utils.generic import pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader

from nentang.kernel.errors import Forbidden, NotFound
from nentang.publicservices import selectors, services, signing
from nentang.publicservices.models import Dossier, DossierAction, DossierFile
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast

Person = apps.get_model("identity", "Person")
DataUsage = apps.get_model("identity", "DataUsage")


def approved_birth(cast: Cast, **changes: Any) -> Dossier:
    dossier = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(**changes),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    services.dossier_process(actor=cast.processing, dossier_id=dossier.pk)
    services.dossier_approve(actor=cast.approval, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    return dossier


def test_approving_a_birth_registration_issues_the_child_a_personal_id_number(cast: Cast) -> None:
    dossier = approved_birth(cast, child_full_name="Nguyễn Minh Khôi", child_sex="female")

    an = Person.objects.get(account=cast.an)
    child = Person.objects.get(guardian=an)
    assert child.full_name == "Nguyễn Minh Khôi"
    assert child.date_of_birth.isoformat() == "2026-11-30"
    # 079 = TP Hồ Chí Minh (the registering ward's province), 3 = 2000s female, 26 = 2026.
    assert child.id_number.startswith("079326")
    assert len(child.id_number) == 12
    assert child.account_id is None
    assert child.level == 1
    approve = DossierAction.objects.get(dossier=dossier, action="approve")
    assert approve.payload == {"child": str(child.pk), "step_sla": "early"}
    text = (
        PdfReader(io.BytesIO(selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)[1]))
        .pages[0]
        .extract_text()
    )
    assert child.id_number in text


def test_two_newborns_get_consecutive_numbers_never_the_same(cast: Cast) -> None:
    first = approved_birth(cast, child_full_name="Nguyễn Minh Khôi")
    second = approved_birth(cast, child_full_name="Nguyễn Minh Anh")
    numbers = sorted(
        Person.objects.filter(guardian__account=cast.an).values_list("id_number", flat=True)
    )
    assert len(set(numbers)) == 2
    assert first.pk != second.pk
    assert int(numbers[1][6:]) == int(numbers[0][6:]) + 1
    assert numbers[0][:6] == numbers[1][:6] == "079226"


def test_only_an_approving_officer_registers_a_birth(cast: Cast) -> None:
    from nentang.identity import services as identity

    an = Person.objects.get(account=cast.an)
    with pytest.raises(Forbidden):
        identity.child_register_at_birth(
            actor=cast.processing,
            guardian_id=an.pk,
            full_name="Nguyễn Minh Khôi",
            date_of_birth=timezone.localdate(),
            sex="male",
        )
    assert not Person.objects.filter(guardian=an).exists()


def test_the_result_is_signed_with_pades_and_pyhanko_validates_it(cast: Cast) -> None:
    dossier = approved_birth(cast)
    name, content = selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)
    assert name == f"ket-qua-{dossier.receipt_code}.pdf"

    signature = PdfFileReader(io.BytesIO(content)).embedded_signatures[0]
    assert signature.field_name == signing.FIELD_NAME
    assert signature.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"
    context = ValidationContext(trust_roots=[signing.certificate()], allow_fetching=False)
    status = validate_pdf_signature(signature, context)
    assert (status.intact, status.valid, status.trusted, status.bottom_line) == (True,) * 4

    row = DossierFile.objects.get(dossier=dossier, kind="result")
    assert row.sha256 == hashlib.sha256(content).hexdigest()
    assert row.size == len(content)
    check = selectors.result_verify(content=content)
    assert (check.status, check.receipt_code) == ("valid", dossier.receipt_code)


def test_a_changed_byte_or_an_appended_update_fails_verification(cast: Cast) -> None:
    content = selectors.dossier_result_pdf(actor=cast.an, dossier_id=approved_birth(cast).pk)[1]
    signed_until = (
        PdfFileReader(io.BytesIO(content)).embedded_signatures[0].sig_object["/ByteRange"][1]
    )
    offset = content.index(b"/Title")
    assert offset < signed_until  # the title is in the signed range
    tampered = bytearray(content)
    tampered[offset + 8] ^= 0x01  # one letter of the title
    verdict = signing.pdf_verify(bytes(tampered))
    assert not verdict.valid
    assert not verdict.intact

    writer = IncrementalPdfFileWriter(io.BytesIO(content))
    writer.root["/Lang"] = pdf_string("en")
    writer.update_root()  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    appended = io.BytesIO()
    writer.write(appended)  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    verdict = signing.pdf_verify(appended.getvalue())
    assert verdict.intact
    assert not verdict.whole_file
    assert not verdict.valid
    assert selectors.result_verify(content=appended.getvalue()).status == "unknown"
    assert selectors.result_verify(content=b"%PDF-1.7 nonsense\x00").status == "unknown"


def test_the_signing_key_is_made_once_private_and_atomically(cast: Cast) -> None:
    path = signing.signing_path()
    signing.signing_identity()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert b"PRIVATE KEY" in path.read_bytes()
    assert b"CERTIFICATE" in path.read_bytes()
    signing._cache.clear()
    assert signing.certificate().dump() == signing.signing_identity()[1].dump()


def test_the_result_is_for_the_applicant_only(cast: Cast) -> None:
    dossier = approved_birth(cast)
    for other in (cast.binh, cast.approval, cast.stranger):
        with pytest.raises(NotFound):
            selectors.dossier_result_pdf(actor=other, dossier_id=dossier.pk)
    client = Client()
    client.force_login(cast.binh)
    assert client.get(reverse("publicservices:result", args=[dossier.pk])).status_code == 404
    client.force_login(cast.an)
    response = client.get(reverse("publicservices:result", args=[dossier.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_a_rejected_or_paper_only_dossier_has_no_signed_result(cast: Cast) -> None:
    dossier = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    services.dossier_reject(
        actor=cast.processing, dossier_id=dossier.pk, reason="Giấy chứng sinh không hợp lệ"
    )
    with pytest.raises(NotFound):
        selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)
    assert not Person.objects.filter(guardian__account=cast.an).exists()


def test_the_receipt_slip_names_the_code_and_the_appointment(cast: Cast) -> None:
    dossier = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    with pytest.raises(NotFound):  # not received yet: no receipt code, no slip
        selectors.dossier_receipt_pdf(actor=cast.an, dossier_id=dossier.pk)
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    name, content = selectors.dossier_receipt_pdf(actor=cast.an, dossier_id=dossier.pk)
    text = PdfReader(io.BytesIO(content)).pages[0].extract_text()
    assert "GIẤY TIẾP NHẬN HỒ SƠ VÀ HẸN TRẢ KẾT QUẢ" in text
    assert str(dossier.receipt_code) in text
    assert f"{dossier.due_date:%d/%m/%Y}" in text
    assert name == f"giay-tiep-nhan-{dossier.receipt_code}.pdf"

    before = DataUsage.objects.filter(person__account=cast.an).count()
    selectors.dossier_receipt_pdf(actor=cast.reception, dossier_id=dossier.pk)
    assert DataUsage.objects.filter(person__account=cast.an).count() == before + 1
    for other in (cast.binh, cast.stranger):
        with pytest.raises(NotFound):
            selectors.dossier_receipt_pdf(actor=other, dossier_id=dossier.pk)


def test_the_public_verification_page(cast: Cast) -> None:
    dossier = approved_birth(cast)
    content = selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)[1]
    client = Client()
    page = client.get(reverse("publicservices:verify"), {"code": str(dossier.receipt_code)})
    assert page.status_code == 200
    assert "hợp lệ" in page.content.decode()
    assert "Nguyễn" not in page.content.decode()  # nothing personal
    upload = io.BytesIO(content)
    upload.name = "ket-qua.pdf"
    page = client.post(reverse("publicservices:verify"), {"file": upload})
    assert page.status_code == 200
    assert str(dossier.receipt_code) in page.content.decode()
    assert (
        client.get(
            reverse("publicservices:verify"), {"code": "000.00.00.X00-000000-0000"}
        ).status_code
        == 404
    )
    bad = io.BytesIO(b"not a pdf")
    bad.name = "x.pdf"
    page = client.post(reverse("publicservices:verify"), {"file": bad})
    assert page.status_code == 200
    assert "hợp lệ" not in page.content.decode().split("<h2")[1]


def test_the_papers_render_to_png_for_a_person_to_look_at(cast: Cast, artifacts: Path) -> None:
    """pdfium (Chrome's PDF engine) renders both papers; the PNGs go to test-artifacts/."""
    import pypdfium2  # type: ignore[import-untyped]  # ships no type information

    dossier = approved_birth(cast)
    papers = {
        "result": selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)[1],
        "receipt": selectors.dossier_receipt_pdf(actor=cast.an, dossier_id=dossier.pk)[1],
    }
    for name, content in papers.items():
        document = pypdfium2.PdfDocument(content)
        image = document[0].render(scale=1.5).to_pil()
        assert image.size == (893, 1263)  # A4 at 108 dpi
        # Ink on the page: Vietnamese text rendered, not an empty page.
        assert image.convert("L").getextrema()[0] < 64
        image.save(artifacts / f"publicservices-{name}-pdf.png")
        document.close()


def test_odd_input_on_the_public_pages_is_a_clear_answer_never_a_500(cast: Cast) -> None:
    client = Client()
    url = reverse("publicservices:verify")
    for code in ("\x00", "0" * 10_000, "000.31.29.H29-261207-0001'; --"):
        assert client.get(url, {"code": code}).status_code == 404
    huge = io.BytesIO(b"%PDF-1.7" + b"\0" * (6 * 1024 * 1024))
    huge.name = "big.pdf"
    page = client.post(url, {"file": huge})
    assert page.status_code == 200
    assert "lớn hơn mọi kết quả" in page.content.decode()
    assert client.get(reverse("publicservices:statistics"), {"period": "\x00"}).status_code == 200


def test_an_approval_officer_revokes_a_result_and_verification_says_so(cast: Cast) -> None:
    from nentang.kernel.errors import Conflict, ValidationFailed
    from nentang.kernel.models import OutboxEvent

    dossier = approved_birth(cast)
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    code = dossier.receipt_code or ""
    _name, content = selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)
    assert selectors.result_status(receipt_code=code).status == "valid"

    with pytest.raises(NotFound):
        services.dossier_result_revoke(actor=cast.stranger, dossier_id=dossier.pk, reason="Sai")
    with pytest.raises(Forbidden):
        services.dossier_result_revoke(
            actor=cast.processing, dossier_id=dossier.pk, reason="Sai ngày sinh"
        )
    with pytest.raises(ValidationFailed) as no_reason:
        services.dossier_result_revoke(actor=cast.approval, dossier_id=dossier.pk, reason=" ")
    assert [e.field for e in no_reason.value.errors] == ["reason"]
    assert selectors.result_status(receipt_code=code).status == "valid"

    services.dossier_result_revoke(
        actor=cast.approval, dossier_id=dossier.pk, reason="Sai ngày sinh của trẻ"
    )

    assert selectors.result_status(receipt_code=code).status == "revoked"
    assert selectors.result_verify(content=content).status == "revoked"
    with pytest.raises(NotFound):
        selectors.dossier_result_pdf(actor=cast.an, dossier_id=dossier.pk)
    with pytest.raises(Conflict) as again:
        services.dossier_result_revoke(
            actor=cast.approval, dossier_id=dossier.pk, reason="Sai ngày sinh của trẻ"
        )
    assert again.value.code == "action_not_allowed"
    entry = DossierAction.objects.get(dossier=dossier, action="revoke_result")
    assert (entry.reason, entry.from_state, entry.to_state) == (
        "Sai ngày sinh của trẻ",
        "completed",
        "completed",
    )
    assert OutboxEvent.objects.filter(topic="publicservices.dossier.result_revoked").count() == 1


def test_nothing_to_revoke_before_approval(cast: Cast) -> None:
    from nentang.kernel.errors import Conflict

    dossier = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    with pytest.raises(Conflict):
        services.dossier_result_revoke(
            actor=cast.approval, dossier_id=dossier.pk, reason="Sai ngày sinh"
        )
    assert not DossierAction.objects.filter(action="revoke_result").exists()
