"""The applicant's uploaded documents: listed and served to the applicant and to the
officers of the dossier's agency only. Every officer's opening of a document is a use
of the applicant's personal data and goes to their data-usage log (Law 91/2025/QH15)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext as _

from nentang.identity import services as identity
from nentang.publicservices.models import Dossier, DossierFile
from nentang.publicservices.selectors.dossiers import PLATFORM_CLIENT, PLATFORM_NAME
from nentang.publicservices.services.common import (
    as_applicant,
    as_officer,
    not_found,
    officer_of,
    parse_uuid,
    procedure_of,
)
from nentang.publicservices.services.files import file_read


@dataclass(frozen=True)
class DocumentSlot:
    """One document the procedure asks for, the file given for it (latest), and the
    applicant's earlier files that may be reused for it (filled for the applicant's
    documents page only)."""

    index: int
    name: str
    required: bool
    file: DossierFile | None
    reuse: str = ""
    reusable: tuple[DossierFile, ...] = ()


def dossier_documents(*, dossier: Dossier, language: str = "vi") -> list[DocumentSlot]:
    """The procedure's documents with the latest upload of each (call after a
    permission-checked read of ``dossier``)."""
    latest: dict[int, DossierFile] = {}
    for row in DossierFile.objects.filter(dossier=dossier, kind=DossierFile.Kind.DOCUMENT).order_by(
        "created_at", "id"
    ):
        if row.document is not None:
            latest[row.document] = row
    return [
        DocumentSlot(
            index,
            document.name.vi if language == "vi" else document.name.en,
            document.required,
            latest.get(index),
            document.reuse,
        )
        for index, document in enumerate(procedure_of(dossier).documents)
    ]


# How far back an applicant's earlier files are offered for reuse.
REUSE_LOOKBACK = 200


def dossier_documents_with_reuse(*, dossier: Dossier, language: str = "vi") -> list[DocumentSlot]:
    """``dossier_documents`` with, for each document the catalogue lets be reused, the
    applicant's earlier files of the same paper (newest first, one per content), from
    their other dossiers (call after the applicant's own permission-checked read)."""
    slots = dossier_documents(dossier=dossier, language=language)
    wanted = {slot.reuse for slot in slots if slot.reuse}
    if not wanted:
        return slots
    found: dict[str, list[DossierFile]] = {key: [] for key in wanted}
    seen: set[tuple[str, str]] = set()
    earlier = (
        DossierFile.objects.select_related("dossier")
        .filter(
            kind=DossierFile.Kind.DOCUMENT,
            dossier__applicant_id=dossier.applicant_id,
            revoked_at__isnull=True,
        )
        .exclude(dossier_id=dossier.pk)
        .exclude(document=None)
        .order_by("-created_at", "-id")[:REUSE_LOOKBACK]
    )
    for row in earlier:
        documents = procedure_of(row.dossier).documents
        assert row.document is not None
        key = documents[row.document].reuse if row.document < len(documents) else ""
        if key in found and (key, row.sha256) not in seen:
            seen.add((key, row.sha256))
            found[key].append(row)
    return [replace(slot, reusable=tuple(found.get(slot.reuse, ()))) for slot in slots]


def dossier_document_open(
    *, actor: Any, dossier_id: Any, file_id: Any
) -> tuple[DossierFile, bytes]:
    """A document of a dossier, for its applicant or an officer of its agency (the
    officer's read is logged for the applicant); 404 for anyone else."""
    key = parse_uuid(dossier_id)
    dossier = Dossier.objects.select_related("agency").filter(pk=key).first() if key else None
    what = "publicservices.dossier.document_read"
    officer = officer_of(actor)
    if officer is not None:
        acting = as_officer(actor, dossier, what=what, dossier_id=dossier_id, roles=None, read=True)
    else:
        acting = as_applicant(actor, dossier, what=what, dossier_id=dossier_id)
    assert dossier is not None
    file_key = parse_uuid(file_id)
    row = (
        DossierFile.objects.filter(
            pk=file_key, dossier=dossier, kind=DossierFile.Kind.DOCUMENT
        ).first()
        if file_key
        else None
    )
    if row is None:
        raise not_found()
    if acting.officer is not None:
        identity.data_usage_record(
            person_id=dossier.applicant_id,
            client_id=PLATFORM_CLIENT,
            client_name=f"{PLATFORM_NAME}: {acting.officer.agency.name}",
            fields=["full_name", "id_number"],
            purpose=_("An officer opens the document “%(name)s” of your dossier %(reference)s")
            % {"name": row.name, "reference": dossier.receipt_code or dossier.procedure_slug},
        )
    return row, file_read(row)
