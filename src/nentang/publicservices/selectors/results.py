"""The papers of a dossier as their readers may get them: the signed result (the
applicant only), the receipt slip (the applicant, or an officer of the agency — a read
of the applicant's data, logged), and the public verification of a result (its status
by receipt code, or an uploaded PDF's signature: nothing personal is shown)."""

from __future__ import annotations

import datetime
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel.text import clean
from nentang.publicservices.models import Dossier, DossierAction, DossierFile
from nentang.publicservices.selectors.dossiers import dossier_for_applicant, dossier_for_officer
from nentang.publicservices.services.common import (
    not_found,
    officer_of,
    parse_uuid,
    procedure_of,
)
from nentang.publicservices.services.files import file_read
from nentang.publicservices.services.receipts import RECEIPT_CODE
from nentang.publicservices.services.results import apology_letter, receipt_slip
from nentang.publicservices.signing import Verdict, pdf_verify

# Larger than any result we issue (one or two A4 pages): bigger uploads are not ours.
MAX_VERIFY_BYTES = 5 * 1024 * 1024


def dossier_result_pdf(*, actor: Any, dossier_id: Any) -> tuple[str, bytes]:
    """The signed result of the actor's own dossier (404 for anyone else, or when no
    result was issued)."""
    dossier = dossier_for_applicant(actor=actor, dossier_id=dossier_id)
    row = (
        DossierFile.objects.filter(
            dossier=dossier,
            kind=DossierFile.Kind.RESULT,
            revoked_at__isnull=True,
            issuer__isnull=True,
        )
        .order_by("-created_at")
        .first()
    )
    if row is None:
        raise not_found()
    return row.name, file_read(row)


def dossier_partner_results(*, dossier: Dossier) -> list[DossierFile]:
    """The partner agencies' own signed results of an interconnected dossier (the
    residence confirmation, the BHYT card), not revoked, in the order they were issued
    (call after a permission-checked read)."""
    return list(
        DossierFile.objects.select_related("issuer")
        .filter(
            dossier=dossier,
            kind=DossierFile.Kind.RESULT,
            revoked_at__isnull=True,
            issuer__isnull=False,
        )
        .order_by("created_at")
    )


def dossier_partner_result_pdf(*, actor: Any, dossier_id: Any, file_id: Any) -> tuple[str, bytes]:
    """One partner agency's signed result of the actor's own dossier (404 for anyone
    else, for another dossier's file, or a revoked one)."""
    dossier = dossier_for_applicant(actor=actor, dossier_id=dossier_id)
    key = parse_uuid(file_id)
    row = next((r for r in dossier_partner_results(dossier=dossier) if r.pk == key), None)
    if row is None:
        raise not_found()
    return row.name, file_read(row)


def dossier_has_result(*, dossier: Dossier) -> bool:
    """Has a (not revoked) signed result been issued? (after one of the reads above)"""
    return DossierFile.objects.filter(
        dossier=dossier, kind=DossierFile.Kind.RESULT, revoked_at__isnull=True, issuer__isnull=True
    ).exists()


def dossier_receipt_pdf(*, actor: Any, dossier_id: Any) -> tuple[str, bytes]:
    """The receipt-and-appointment slip of a received dossier, for its applicant or an
    officer of its agency (whose read is written to the applicant's data-usage log)."""
    dossier: Dossier = (
        dossier_for_officer(actor=actor, dossier_id=dossier_id)
        if officer_of(actor) is not None
        else dossier_for_applicant(actor=actor, dossier_id=dossier_id)
    )
    if not dossier.receipt_code:
        raise not_found()
    agency = dossier.agency.name if dossier.agency else ""
    content = receipt_slip(dossier, procedure_of(dossier), agency)
    return f"giay-tiep-nhan-{dossier.receipt_code}.pdf", content


def dossier_apology(*, dossier: Dossier) -> DossierAction | None:
    """The dossier's latest apology (call after a permission-checked read)."""
    return (
        DossierAction.objects.filter(dossier=dossier, action="apologise").order_by("-seq").first()
    )


def dossier_apology_pdf(*, actor: Any, dossier_id: Any) -> tuple[str, bytes]:
    """The written apology with the new date (phiếu xin lỗi và hẹn lại ngày trả kết
    quả) of a dossier that missed its deadline, for its applicant or an officer of its
    agency (the officer's read is logged); 404 when no apology was made."""
    dossier: Dossier = (
        dossier_for_officer(actor=actor, dossier_id=dossier_id)
        if officer_of(actor) is not None
        else dossier_for_applicant(actor=actor, dossier_id=dossier_id)
    )
    apology = dossier_apology(dossier=dossier)
    if apology is None:
        raise not_found()
    agency = dossier.agency.name if dossier.agency else ""
    content = apology_letter(
        dossier,
        procedure_of(dossier),
        agency,
        previous=datetime.date.fromisoformat(apology.payload["previous"]),
        promised=datetime.date.fromisoformat(apology.payload["new"]),
        reason=apology.reason,
        dated=timezone.localdate(apology.at),
    )
    return f"thu-xin-loi-{dossier.receipt_code}-{apology.seq}.pdf", content


@dataclass(frozen=True)
class ResultCheck:
    """What the public verification page says about a result."""

    status: str  # valid, revoked, not_issued, unknown
    label: str
    receipt_code: str = ""
    verdict: Verdict | None = None
    # A partner agency's own result (liên thông): the agency that issued it.
    issuer: str = ""
    issuer_name: str = ""


def _status(row: DossierFile | None, code: str, *, issuer: Any = None) -> ResultCheck:
    who = {"issuer": str(issuer.pk), "issuer_name": issuer.name} if issuer is not None else {}
    if row is None:
        return ResultCheck(
            "not_issued", _("No result was issued under this receipt code."), code, **who
        )
    if row.revoked_at is not None:
        return ResultCheck(
            "revoked", _("This result was revoked: it is no longer valid."), code, **who
        )
    return ResultCheck("valid", _("This result was issued and is valid."), code, **who)


# An agency's code (identity's slug: letters, digits, dashes and underscores).
_ISSUER = re.compile(r"[A-Za-z0-9_-]{1,60}")


def result_status(*, receipt_code: str, issuer: str = "") -> ResultCheck:
    """The status of the result issued under ``receipt_code`` (what its QR code opens):
    the receiving agency's, or with ``issuer`` (an agency's code) the partner agency's
    own result of an interconnected dossier — verified the same way, by its code."""
    code = clean(receipt_code or "").upper()
    partner = clean(issuer or "")
    # nothing odd (NUL, 10 kB) reaches the database
    if not RECEIPT_CODE.fullmatch(code) or (partner and not _ISSUER.fullmatch(partner)):
        raise not_found()
    rows = DossierFile.objects.filter(dossier__receipt_code=code, kind=DossierFile.Kind.RESULT)
    rows = rows.filter(issuer_id=partner) if partner else rows.filter(issuer__isnull=True)
    row = rows.select_related("issuer").order_by("-created_at").first()
    if row is None and not Dossier.objects.filter(receipt_code=code).exists():
        raise not_found()
    if partner and row is None:  # no such partner result: as unknown as a wrong code
        raise not_found()
    return _status(row, code, issuer=row.issuer if row is not None else None)


def result_verify(*, content: bytes) -> ResultCheck:
    """Check an uploaded PDF: its PAdES signature with pyHanko's validator against the
    installation's certificate, and whether it is, byte for byte, a result we issued."""
    if not content or len(content) > MAX_VERIFY_BYTES or not content.startswith(b"%PDF-"):
        return ResultCheck("unknown", _("This is not a PDF result of this platform."))
    verdict = pdf_verify(content)
    if not verdict.valid:
        return ResultCheck(
            "unknown",
            _("The signature does not verify: the file was changed or was not issued here."),
            verdict=verdict,
        )
    digest = hashlib.sha256(content).hexdigest()
    row = (
        DossierFile.objects.select_related("dossier", "issuer")
        .filter(sha256=digest, kind=DossierFile.Kind.RESULT)
        .first()
    )
    if row is None:
        return ResultCheck(
            "unknown",
            _("The signature is ours, but no result with this content was issued."),
            verdict=verdict,
        )
    check = _status(row, row.dossier.receipt_code or "", issuer=row.issuer)
    return ResultCheck(
        check.status, check.label, check.receipt_code, verdict, check.issuer, check.issuer_name
    )
