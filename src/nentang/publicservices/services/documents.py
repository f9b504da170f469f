"""The applicant's documents (thành phần hồ sơ): uploaded while the dossier is a draft
or being supplemented, one file per document of the procedure (a new upload replaces
the previous one in the dossier; both stay in the log).

The type is decided by the content, never by the name or the browser's word: a PDF
starts with ``%PDF-``, a JPEG with ``FF D8 FF``, a PNG with its 8-byte signature;
anything else — or a file over ``MAX_DOCUMENT_BYTES`` — is a field error in Vietnamese
and stores nothing.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.kernel.text import clean
from nentang.publicservices.models import DossierFile
from nentang.publicservices.services.common import as_applicant, gate, lock, procedure_of, refused
from nentang.publicservices.services.files import file_store, removed_on_failure

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# Magic numbers (RFC 8118 for PDF; JFIF/Exif SOI marker; PNG's signature).
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)
OPEN_STATES = ("draft", "supplementing")


def sniff(content: bytes) -> str:
    """The content type that ``content`` really is, or "" when it is none we accept."""
    for magic, content_type in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return ""


def _invalid(message: str, code: str) -> ValidationFailed:
    return ValidationFailed(
        _("Some fields are invalid."), errors=[FieldError("file", message, code)]
    )


def dossier_document_upload(
    *,
    actor: Any,
    dossier_id: Any,
    document: int,
    name: str,
    content: bytes,
    size: int | None = None,
) -> DossierFile:
    """Attach a file for the procedure's ``document``-th document to the actor's own
    dossier, while it is a draft or being supplemented (Decree 45/2020/NĐ-CP: the
    electronic components of a dossier). ``size``, when the caller knows it, is the
    upload's size (an oversized file need not be read to be refused)."""
    total = len(content) if size is None else size
    if total > MAX_DOCUMENT_BYTES or len(content) > MAX_DOCUMENT_BYTES:
        raise _invalid(
            _("The file is %(size)s; the limit is %(limit)s. Scan at a lower resolution.")
            % {"size": filesizeformat(total), "limit": filesizeformat(MAX_DOCUMENT_BYTES)},
            "file_too_large",
        )
    if not content:
        raise _invalid(_("The file is empty. Choose the scan or photo of the document."), "empty")
    content_type = sniff(content)
    if not content_type:
        raise _invalid(
            _("This file is not a PDF, JPEG or PNG, whatever its name says: send a scan or photo."),
            "file_type",
        )
    label = clean(name or "").replace("\x00", "")[:120] or "tai-lieu"
    what = "publicservices.dossier.document_upload"
    gate(actor, dossier_id, what=what, applicant=True)
    with removed_on_failure(), transaction.atomic():
        dossier = lock(dossier_id)
        acting = as_applicant(actor, dossier, what=what, dossier_id=dossier_id)
        assert dossier is not None
        documents = procedure_of(dossier).documents
        if not isinstance(document, int) or not 0 <= document < len(documents):
            raise ValidationFailed(
                _("Some fields are invalid."),
                errors=[
                    FieldError(
                        "document", _("Choose one of the procedure's documents."), "invalid_choice"
                    )
                ],
            )
        if dossier.state not in OPEN_STATES:
            raise refused("document_upload", dossier.state)
        row = file_store(
            dossier=dossier,
            kind=DossierFile.Kind.DOCUMENT,
            content=content,
            name=label,
            content_type=content_type,
            document=document,
        )
        auditing.record(
            actor=acting.audit,
            action="publicservices.dossier.document_upload",
            subject_type="publicservices.dossier",
            subject=str(dossier.pk),
            summary={"document": document, "sha256": row.sha256, "size": row.size},
        )
    return row
