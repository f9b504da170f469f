"""The papers of a dossier: the signed result made when it is approved, and the
receipt-and-appointment slip of a received dossier (rendered when asked for: it says
only what the dossier row says).

For a birth registration (``issues_child_id`` in its catalogue file) the approval also
registers the child in identity, which issues the personal ID number printed on the
result (``identity.services.child_register_at_birth``: the ID-number rules live there).
"""

from __future__ import annotations

import datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from nentang.identity import services as identity
from nentang.kernel.money import format_vnd
from nentang.kernel.text import fold
from nentang.publicservices.catalogue import Procedure
from nentang.publicservices.models import Dossier, DossierFile
from nentang.publicservices.services.common import Acting
from nentang.publicservices.services.files import file_store
from nentang.publicservices.signing import pdf_sign

DELIVERY = {
    "online": "Trực tuyến",
    "post": "Qua dịch vụ bưu chính",
    "counter": "Tại bộ phận một cửa",
}


def status_url(receipt_code: str) -> str:
    return f"{settings.BASE_URL}{reverse('publicservices:status')}?code={receipt_code}"


def verify_url(receipt_code: str, *, issuer: str = "") -> str:
    """The public verification page of a result by its code: the receipt code, and for
    a partner agency's own result (liên thông) that agency's code."""
    query = urlencode({"code": receipt_code, **({"issuer": issuer} if issuer else {})})
    return f"{settings.BASE_URL}{reverse('publicservices:verify')}?{query}"


def _date(value: datetime.date | None) -> str:
    return f"{value:%d/%m/%Y}" if value else "—"


def answer_lines(procedure: Procedure, data: dict[str, Any]) -> list[tuple[str, str]]:
    """The e-form's answers as (Vietnamese label, Vietnamese value), in page order."""
    lines = []
    for page in procedure.pages:
        value = data.get(page.field)
        if value in (None, ""):
            continue
        choice = dict(page.choices).get(str(value))
        text = choice.vi if choice else str(value)
        if page.kind == "date" and isinstance(value, str):
            text = _date(datetime.date.fromisoformat(value))
        lines.append((page.label.vi, text))
    return lines


def receipt_slip(dossier: Dossier, procedure: Procedure, agency_name: str) -> bytes:
    """Giấy tiếp nhận hồ sơ và hẹn trả kết quả (Circular 01/2018/TT-VPCP, form 01)."""
    # ReportLab (~0.6 s of a core) loads when a paper is made, not in every process.
    from nentang.publicservices.pdfs import Paper, render

    code = dossier.receipt_code or ""
    received = timezone.localtime(dossier.received_at) if dossier.received_at else None
    documents = "; ".join(document.name.vi for document in procedure.documents) or "—"
    return render(
        Paper(
            agency=agency_name,
            title="Giấy tiếp nhận hồ sơ và hẹn trả kết quả",
            reference=f"Mã hồ sơ: {code}",
            lines=[
                ("Thủ tục", procedure.name.vi),
                ("Người nộp", str(dossier.data.get("applicant_full_name") or "—")),
                ("Thành phần hồ sơ", documents),
                ("Tiếp nhận lúc", f"{received:%H:%M, %d/%m/%Y}" if received else "—"),
                ("Ngày hẹn trả kết quả", _date(dossier.due_date)),
                ("Lệ phí", format_vnd(dossier.fee_amount)),
                ("Hình thức nhận kết quả", DELIVERY.get(dossier.result_delivery, "—")),
            ],
            closing=(
                "Hồ sơ đã được tiếp nhận. Tra cứu tình trạng hồ sơ bằng mã hồ sơ hoặc "
                "quét mã QR dưới đây."
            ),
            qr_url=status_url(code),
            qr_caption="Tra cứu tình trạng hồ sơ",
            dated=received.date() if received else timezone.localdate(),
            place=agency_name,
        )
    )


def apology_letter(
    dossier: Dossier,
    procedure: Procedure,
    agency_name: str,
    *,
    previous: datetime.date,
    promised: datetime.date,
    reason: str,
    dated: datetime.date,
) -> bytes:
    """Phiếu xin lỗi và hẹn lại ngày trả kết quả (Circular 01/2018/TT-VPCP, form 04;
    Decree 61/2018/NĐ-CP, Art. 19): the agency apologises for a dossier that missed its
    deadline, says why, and promises a new date."""
    from nentang.publicservices.pdfs import Paper, render

    code = dossier.receipt_code or ""
    received = timezone.localtime(dossier.received_at) if dossier.received_at else None
    applicant = str(dossier.data.get("applicant_full_name") or "—")
    return render(
        Paper(
            agency=agency_name,
            title="Phiếu xin lỗi và hẹn lại ngày trả kết quả",
            reference=f"Mã hồ sơ: {code}",
            lines=[
                ("Kính gửi", applicant),
                ("Thủ tục", procedure.name.vi),
                ("Tiếp nhận lúc", f"{received:%H:%M, %d/%m/%Y}" if received else "—"),
                ("Ngày hẹn trả kết quả trước đây", _date(previous)),
                ("Lý do chậm trả kết quả", reason),
                ("Ngày hẹn trả kết quả mới", _date(promised)),
            ],
            closing=(
                f"{agency_name} xin lỗi Ông/Bà vì hồ sơ không được giải quyết đúng hạn "
                f"và hẹn trả kết quả vào ngày {_date(promised)}. Mong Ông/Bà thông cảm."
            ),
            qr_url=status_url(code),
            qr_caption="Tra cứu tình trạng hồ sơ",
            dated=dated,
            place=agency_name,
        )
    )


def result_issue(
    dossier: Dossier, procedure: Procedure, acting: Acting, *, extra: list[tuple[str, str]]
) -> DossierFile:
    """Render the result, sign it with PAdES and store it (inside the approval)."""
    agency_name = dossier.agency.name if dossier.agency else ""
    code = dossier.receipt_code or ""
    today = timezone.localdate()
    return _signed_result(
        dossier,
        procedure,
        agency_name=agency_name,
        title="Kết quả giải quyết thủ tục hành chính",
        lines=[*extra, ("Trạng thái", "Đã phê duyệt"), ("Ngày phê duyệt", _date(today))],
        reason=f"Phê duyệt hồ sơ {code}",
        name=f"ket-qua-{code or dossier.pk}.pdf",
    )


def partner_result_issue(
    dossier: Dossier, procedure: Procedure, acting: Acting, *, title: str
) -> DossierFile:
    """A partner agency's own result (liên thông), made when its step hands the dossier
    on: issued and signed in the partner's name, stored as its own document (``issuer``),
    downloaded and verified like the receiving agency's result."""
    agency = acting.officer.agency
    code = dossier.receipt_code or ""
    today = timezone.localdate()
    return _signed_result(
        dossier,
        procedure,
        agency_name=agency.name,
        title=title,
        lines=[
            ("Cơ quan giải quyết", agency.name),
            ("Trạng thái", "Đã giải quyết"),
            ("Ngày cấp", _date(today)),
        ],
        reason=f"{title} — hồ sơ {code}",
        name=f"{slugify(fold(title))}-{code or dossier.pk}.pdf",
        issuer=agency,
    )


def _signed_result(
    dossier: Dossier,
    procedure: Procedure,
    *,
    agency_name: str,
    title: str,
    lines: list[tuple[str, str]],
    reason: str,
    name: str,
    issuer: Any = None,
) -> DossierFile:
    """A result paper (the dossier's answers, then ``lines``) signed with PAdES in the
    agency's name and stored among the dossier's results."""
    from nentang.publicservices.pdfs import Paper, render

    code = dossier.receipt_code or ""
    today = timezone.localdate()
    paper = Paper(
        agency=agency_name,
        title=title,
        reference=f"{procedure.name.vi} — Mã hồ sơ: {code}",
        lines=[*answer_lines(procedure, dossier.data), *lines],
        closing=(
            "Văn bản điện tử được ký số bởi cơ quan giải quyết. Kiểm tra chữ ký và "
            "hiệu lực tại trang xác minh (quét mã QR)."
        ),
        qr_url=verify_url(code, issuer=str(issuer.pk) if issuer is not None else ""),
        qr_caption="Xác minh kết quả",
        dated=today,
        place=agency_name,
    )
    signed = pdf_sign(render(paper), reason=reason, location=agency_name)
    return file_store(
        dossier=dossier,
        kind=DossierFile.Kind.RESULT,
        content=signed,
        name=name,
        content_type="application/pdf",
        issuer=issuer,
    )


def child_issue(dossier: Dossier, acting: Acting) -> tuple[str, list[tuple[str, str]]]:
    """Register the newborn of a birth registration: the child's person id and the
    lines its result prints."""
    data = dossier.data
    born = data.get("child_date_of_birth")
    child = identity.child_register_at_birth(
        actor=acting.account,
        guardian_id=dossier.applicant_id,
        full_name=str(data.get("child_full_name") or ""),
        date_of_birth=datetime.date.fromisoformat(born) if isinstance(born, str) else None,
        sex=str(data.get("child_sex") or ""),
    )
    return str(child.pk), [("Số định danh cá nhân của trẻ", child.id_number)]
