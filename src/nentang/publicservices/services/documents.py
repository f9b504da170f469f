"""The applicant's documents (thành phần hồ sơ): uploaded while the dossier is a draft
or being supplemented, one file per document of the procedure (a new upload replaces
the previous one in the dossier; both stay in the log).

The type is decided by the content, never by the name or the browser's word: a PDF
starts with ``%PDF-``, a JPEG with ``FF D8 FF``, a PNG with its 8-byte signature;
anything else — or a file over ``MAX_DOCUMENT_BYTES`` — is a field error in Vietnamese
and stores nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.kernel.text import clean
from nentang.publicservices.catalogue import Document
from nentang.publicservices.models import Dossier, DossierFile
from nentang.publicservices.problems import DOCUMENTS_MISSING
from nentang.publicservices.services.common import (
    as_applicant,
    gate,
    lock,
    open_to_applicant,
    parse_uuid,
    procedure_of,
    refused,
)
from nentang.publicservices.services.files import file_row_insert, file_store, removed_on_failure

MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# Magic numbers (RFC 8118 for PDF; JFIF/Exif SOI marker; PNG's signature).
SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff(content: bytes) -> str:
    """The content type that ``content`` really is, or "" when it is none we accept."""
    for magic, content_type in SIGNATURES:
        if content.startswith(magic):
            return content_type
    return ""


def _invalid(message: str, code: str, field: str = "file") -> ValidationFailed:
    return ValidationFailed(
        _("Some fields are invalid."), errors=[FieldError(field, message, code)]
    )


def checked_content(content: bytes, *, size: int | None = None, field: str = "file") -> str:
    """The content type of an upload we accept (PDF, JPEG, PNG by their first bytes, at
    most ``MAX_DOCUMENT_BYTES``), or a Vietnamese error on ``field``. ``size``, when the
    caller knows it, is the upload's size (an oversized file need not be read)."""
    total = len(content) if size is None else size
    if total > MAX_DOCUMENT_BYTES or len(content) > MAX_DOCUMENT_BYTES:
        raise _invalid(
            _("The file is %(size)s; the limit is %(limit)s. Scan at a lower resolution.")
            % {"size": filesizeformat(total), "limit": filesizeformat(MAX_DOCUMENT_BYTES)},
            "file_too_large",
            field,
        )
    if not content:
        raise _invalid(
            _("The file is empty. Choose the scan or photo of the document."), "empty", field
        )
    content_type = sniff(content)
    if not content_type:
        raise _invalid(
            _("This file is not a PDF, JPEG or PNG, whatever its name says: send a scan or photo."),
            "file_type",
            field,
        )
    return content_type


def _label(name: str) -> str:
    return clean(name or "").replace("\x00", "")[:120] or "tai-lieu"


@dataclass(frozen=True)
class DocumentUpload:
    """A document given with a submission (the API's inline documents): the file's
    bytes, or ``reuse`` = the id of one of the applicant's earlier files."""

    document: int
    name: str = ""
    content: bytes = b""
    reuse: Any = None


def _document_choice(documents: Sequence[Document], document: Any, field: str) -> Document:
    position = document if isinstance(document, int) and not isinstance(document, bool) else -1
    if not 0 <= position < len(documents):
        raise _invalid(_("Choose one of the procedure's documents."), "invalid_choice", field)
    return documents[position]


def reusable_source(
    *, person_id: Any, dossier: Dossier, wanted: Document, file_id: Any, field: str
) -> DossierFile:
    """The applicant's earlier file that may stand for ``wanted``: their own, from
    another dossier, of the same kind of paper (the catalogue's ``reuse`` key), not
    revoked. Anything else is the same field error (no oracle on others' files)."""
    key = parse_uuid(file_id)
    row = (
        DossierFile.objects.select_related("dossier")
        .filter(
            pk=key,
            kind=DossierFile.Kind.DOCUMENT,
            dossier__applicant_id=person_id,
            revoked_at__isnull=True,
        )
        .exclude(dossier_id=dossier.pk)
        .first()
        if key is not None and wanted.reuse
        else None
    )
    if row is not None and row.document is not None:
        documents = procedure_of(row.dossier).documents
        if row.document < len(documents) and documents[row.document].reuse == wanted.reuse:
            return row
    raise _invalid(
        _("This file cannot be reused for this document: choose one of your earlier files."),
        "reuse_not_allowed",
        field,
    )


def _reuse(dossier: Dossier, document: int, source: DossierFile) -> DossierFile:
    """A row for ``document`` of ``dossier`` that points at ``source``'s stored file
    (stored files are never deleted, so two rows may share one)."""
    return file_row_insert(
        DossierFile(
            dossier=dossier,
            kind=DossierFile.Kind.DOCUMENT,
            document=document,
            name=source.name,
            content_type=source.content_type,
            size=source.size,
            sha256=source.sha256,
            storage_name=source.storage_name,
            reused_from=source,
            created_at=timezone.now(),
        )
    )


def _audited(row: DossierFile) -> dict[str, Any]:
    """What the audit log keeps of a stored document."""
    return {
        "document": row.document,
        "sha256": row.sha256,
        "size": row.size,
        "reused_from": str(row.reused_from_id or ""),
    }


def _audit(acting: Any, dossier: Dossier, row: DossierFile) -> None:
    auditing.record(
        actor=acting.audit,
        action="publicservices.dossier.document_upload",
        subject_type="publicservices.dossier",
        subject=str(dossier.pk),
        summary=_audited(row),
    )


def uploads_checked(documents: Sequence[Document], uploads: Sequence[DocumentUpload]) -> None:
    """Every inline document names one of the procedure's documents, at most once, and
    its bytes are a file we accept (errors on ``documents.<i>.<field>``)."""
    errors: list[FieldError] = []
    seen: set[int] = set()
    for index, upload in enumerate(uploads):
        try:
            _document_choice(documents, upload.document, f"documents.{index}.document")
            if upload.document in seen:
                raise _invalid(
                    _("This document is given twice: give each document once."),
                    "duplicate",
                    f"documents.{index}.document",
                )
            seen.add(upload.document)
            if upload.reuse is None:
                checked_content(upload.content, field=f"documents.{index}.content")
        except ValidationFailed as invalid:
            errors.extend(invalid.errors)
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), errors=errors)


def documents_attach(
    *, dossier: Dossier, uploads: Sequence[DocumentUpload]
) -> dict[str, list[dict[str, Any]]]:
    """Store the documents given with a submission, inside its transaction (which runs
    under ``removed_on_failure``); ``uploads_checked`` has passed. Returns what the
    submission's audit entry keeps of them (``documents``: number, SHA-256, size, the
    file reused), nothing when none was given: the submission and its documents are
    one audit entry."""
    documents = procedure_of(dossier).documents
    audited: list[dict[str, Any]] = []
    for index, upload in enumerate(uploads):
        if upload.reuse is not None:
            source = reusable_source(
                person_id=dossier.applicant_id,
                dossier=dossier,
                wanted=documents[upload.document],
                file_id=upload.reuse,
                field=f"documents.{index}.reuse",
            )
            row = _reuse(dossier, upload.document, source)
        else:
            row = file_store(
                dossier=dossier,
                kind=DossierFile.Kind.DOCUMENT,
                content=upload.content,
                name=_label(upload.name),
                content_type=sniff(upload.content),
                document=upload.document,
            )
        audited.append(_audited(row))
    return {"documents": audited} if audited else {}


def documents_given(dossier: Dossier) -> set[int]:
    """The documents of ``dossier`` that have a file."""
    if dossier._state.adding:
        return set()
    given = DossierFile.objects.filter(dossier=dossier, kind=DossierFile.Kind.DOCUMENT)
    return {index for index in given.values_list("document", flat=True) if index is not None}


def documents_required(documents: Sequence[Document], given: Iterable[int]) -> None:
    """Refuse a submission that lacks one of the procedure's required documents (Decree
    61/2018/NĐ-CP, Art. 15: a dossier is received only when complete): one field error
    per missing document, ``documents.<index>``, naming it."""
    have = set(given)
    errors = [
        FieldError(
            f"documents.{index}",
            _("Attach “%(document)s”: this procedure requires it.") % {"document": document.name},
            "document_required",
        )
        for index, document in enumerate(documents)
        if document.required and index not in have
    ]
    if errors:
        raise ValidationFailed(
            _("Some required documents are missing."), code=DOCUMENTS_MISSING, errors=errors
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
    content_type = checked_content(content, size=size)
    label = _label(name)
    what = "publicservices.dossier.document_upload"
    gate(actor, dossier_id, what=what, applicant=True)
    with removed_on_failure(), transaction.atomic():
        dossier = lock(dossier_id)
        acting = as_applicant(actor, dossier, what=what, dossier_id=dossier_id)
        assert dossier is not None
        _document_choice(procedure_of(dossier).documents, document, "document")
        if not open_to_applicant(dossier):
            raise refused("document_upload", dossier.state)
        row = file_store(
            dossier=dossier,
            kind=DossierFile.Kind.DOCUMENT,
            content=content,
            name=label,
            content_type=content_type,
            document=document,
        )
        _audit(acting, dossier, row)
    return row


def dossier_document_reuse(
    *, actor: Any, dossier_id: Any, document: int, file_id: Any
) -> DossierFile:
    """Give the procedure's ``document``-th document by reusing one of the applicant's
    files from an earlier dossier, where the catalogue allows it (the document's
    ``reuse`` key): no second upload of a paper the platform already holds."""
    what = "publicservices.dossier.document_upload"
    gate(actor, dossier_id, what=what, applicant=True)
    with transaction.atomic():
        dossier = lock(dossier_id)
        acting = as_applicant(actor, dossier, what=what, dossier_id=dossier_id)
        assert dossier is not None
        wanted = _document_choice(procedure_of(dossier).documents, document, "document")
        if not open_to_applicant(dossier):
            raise refused("document_upload", dossier.state)
        source = reusable_source(
            person_id=dossier.applicant_id,
            dossier=dossier,
            wanted=wanted,
            file_id=file_id,
            field="file",
        )
        row = _reuse(dossier, document, source)
        _audit(acting, dossier, row)
    return row
