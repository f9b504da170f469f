"""The written apology (phiếu xin lỗi và hẹn lại ngày trả kết quả, Circular 01/2018/
TT-VPCP form 04; Decree 61/2018/NĐ-CP, Art. 19): an officer of the agency makes it from
the dossier page when the result will be late; the applicant is told by e-mail and SMS
at once, sees the new date on the dossier page and downloads the letter; officers of
another agency and other people get nothing."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from tests.support.staff import log_in_as

from nentang.kernel.errors import NotFound
from nentang.kernel.workdays import current_calendar
from nentang.publicservices import selectors, services
from nentang.publicservices.models import Dossier
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast

REASON = "Cần xác minh thêm với cơ sở y tế nơi sinh"


def received_birth(cast: Cast) -> Dossier:
    dossier = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        data=support.birth(),
        documents=support.papers("dang-ky-khai-sinh"),
    )
    services.dossier_receive(actor=cast.reception, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    return dossier


def test_an_officer_apologises_from_the_dossier_page_and_the_applicant_is_told(
    cast: Cast, django_capture_on_commit_callbacks: Any, artifacts: Path
) -> None:
    dossier = received_birth(cast)
    assert dossier.due_date is not None
    previous = dossier.due_date
    later = current_calendar().add_working_days(previous, 2)
    officer = Client(HTTP_ACCEPT_LANGUAGE="vi")
    log_in_as(officer, cast.processing)
    url = reverse("publicservices:officer_dossier", args=[dossier.pk])
    page = officer.get(url).content.decode()
    assert "Ngày hẹn trả kết quả mới" in page

    refused = officer.post(
        url, {"action": "apologise", "new_due_date": "không phải ngày", "apology_reason": REASON}
    )
    assert refused.status_code == 409
    assert "Hãy chọn một ngày làm việc sau ngày hẹn trả hiện tại." in refused.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        sent = officer.post(
            url,
            {"action": "apologise", "new_due_date": later.isoformat(), "apology_reason": REASON},
        )
    assert sent.status_code == 302
    dossier.refresh_from_db()
    assert dossier.due_date == later
    [letter] = [m for m in mail.outbox if "bị chậm" in m.subject]
    assert letter.to == ["an@example.vn"]
    assert f"{later:%d/%m/%Y}" in letter.subject
    assert REASON in letter.body
    assert reverse("publicservices:apology", args=[dossier.pk]) in letter.body

    an = Client(HTTP_ACCEPT_LANGUAGE="vi")
    an.force_login(cast.an)
    mine = an.get(reverse("publicservices:dossier", args=[dossier.pk])).content.decode()
    assert f"hẹn trả kết quả vào ngày {later:%d/%m/%Y}" in mine
    assert ">Quá hạn<" in mine
    assert "Trong hạn" not in mine
    assert reverse("publicservices:apology", args=[dossier.pk]) in mine
    download = an.get(reverse("publicservices:apology", args=[dossier.pk]))
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(download.content)).pages[0].extract_text()
    assert "PHIẾU XIN LỖI VÀ HẸN LẠI NGÀY TRẢ KẾT QUẢ" in text
    assert "UBND PHƯỜNG SÀI GÒN" in text
    assert str(dossier.receipt_code) in text
    assert f"{previous:%d/%m/%Y}" in text
    assert f"{later:%d/%m/%Y}" in text
    assert REASON in text

    import pypdfium2  # type: ignore[import-untyped]  # ships no type information

    document = pypdfium2.PdfDocument(download.content)
    image = document[0].render(scale=1.5).to_pil()
    assert image.convert("L").getextrema()[0] < 64  # ink: the text was drawn
    image.save(artifacts / "publicservices-apology-pdf.png")
    document.close()


def test_the_letter_is_for_the_applicant_and_the_agency_only(cast: Cast) -> None:
    dossier = received_birth(cast)
    with pytest.raises(NotFound):  # no apology yet
        selectors.dossier_apology_pdf(actor=cast.an, dossier_id=dossier.pk)
    assert dossier.due_date is not None
    services.dossier_apologise(
        actor=cast.reception,
        dossier_id=dossier.pk,
        new_due_date=current_calendar().add_working_days(dossier.due_date, 1),
        reason=REASON,
    )
    dossier.refresh_from_db()
    # The deadline was missed: late, not "on track" to the new date.
    assert selectors.sla_badge(dossier).code == "late"
    name, _content = selectors.dossier_apology_pdf(actor=cast.reception, dossier_id=dossier.pk)
    assert name.startswith(f"thu-xin-loi-{dossier.receipt_code}")
    for other in (cast.binh, cast.stranger, cast.justice):
        with pytest.raises(NotFound):
            selectors.dossier_apology_pdf(actor=other, dossier_id=dossier.pk)
