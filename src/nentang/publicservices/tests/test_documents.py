"""Documents of a dossier: the type by content (not by name), the size limit, PDF/JPEG/
PNG only, stored through Django's storage (not under the web root) with their SHA-256,
served to the applicant and the agency's officers only, each officer's read logged for
the applicant; Vietnamese field errors on the e-form's documents page."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from tests.support.staff import log_in_as

from nentang.kernel.errors import Conflict, NotFound, ValidationFailed
from nentang.publicservices import selectors, services
from nentang.publicservices.models import Dossier, DossierFile
from nentang.publicservices.services.documents import MAX_DOCUMENT_BYTES
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast

DataUsage = apps.get_model("identity", "DataUsage")
AuditEntry = apps.get_model("audit", "AuditEntry")
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def draft(cast: Cast) -> Dossier:
    return services.dossier_draft_save(
        actor=cast.an, procedure_slug="dang-ky-khai-sinh", data=support.birth()
    )


def upload(
    cast: Cast,
    dossier: Dossier,
    content: bytes,
    *,
    document: int = 0,
    name: str = "giay-chung-sinh.pdf",
) -> DossierFile:
    return services.dossier_document_upload(
        actor=cast.an, dossier_id=dossier.pk, document=document, name=name, content=content
    )


def field_error(excinfo: pytest.ExceptionInfo[ValidationFailed]) -> tuple[str, str]:
    (error,) = excinfo.value.errors
    return error.field, error.code


def test_a_pdf_is_stored_outside_the_web_root_with_its_hash(cast: Cast) -> None:
    dossier = draft(cast)
    row = upload(cast, dossier, PDF)
    assert (row.content_type, row.size, row.sha256) == (
        "application/pdf",
        len(PDF),
        hashlib.sha256(PDF).hexdigest(),
    )
    path = Path(default_storage.path(row.storage_name))
    assert path.read_bytes() == PDF
    assert Path(settings.STATIC_ROOT) not in path.parents
    assert AuditEntry.objects.filter(action="publicservices.dossier.document_upload").count() == 1


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00 a Windows program", "giay-chung-sinh.pdf"),  # renamed executable
        (b"<html><script>alert(1)</script>", "anh.png"),
        (b"GIF89a\x01\x00", "anh.jpg"),  # an image, but not one we accept
        (b"\x00%PDF-1.7", "x.pdf"),  # NUL before the magic
    ],
)
def test_the_type_is_decided_by_the_content_not_the_name(
    cast: Cast, content: bytes, name: str
) -> None:
    dossier = draft(cast)
    with pytest.raises(ValidationFailed) as excinfo:
        upload(cast, dossier, content, name=name)
    assert field_error(excinfo) == ("file", "file_type")
    assert "PDF, JPEG" in excinfo.value.errors[0].message or "PDF, JPEG" in str(
        excinfo.value.errors[0].message
    )
    assert not DossierFile.objects.exists()


def test_a_png_named_pdf_is_stored_as_a_png(cast: Cast) -> None:
    row = upload(cast, draft(cast), PNG, name="scan.pdf")
    assert row.content_type == "image/png"
    assert row.storage_name.endswith(".png")


def _stored() -> set[Path]:
    root = Path(default_storage.path("publicservices"))
    return set(root.rglob("*.*")) if root.exists() else set()


def test_too_large_or_empty_files_and_unknown_documents_are_refused(cast: Cast) -> None:
    dossier = draft(cast)
    before = _stored()
    with pytest.raises(ValidationFailed) as excinfo:
        upload(cast, dossier, PDF + b"\0" * MAX_DOCUMENT_BYTES)
    assert field_error(excinfo) == ("file", "file_too_large")
    with pytest.raises(ValidationFailed) as excinfo:
        upload(cast, dossier, b"")
    assert field_error(excinfo) == ("file", "empty")
    with pytest.raises(ValidationFailed) as excinfo:
        upload(cast, dossier, PDF, document=99)
    assert field_error(excinfo) == ("document", "invalid_choice")
    assert not DossierFile.objects.exists()
    assert _stored() == before  # the refused upload's file was removed with the rollback


def test_uploads_only_to_an_own_open_dossier(cast: Cast) -> None:
    dossier = draft(cast)
    with pytest.raises(NotFound):
        services.dossier_document_upload(
            actor=cast.binh, dossier_id=dossier.pk, document=0, name="x.pdf", content=PDF
        )
    upload(cast, dossier, PDF)
    submitted = services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        dossier_id=dossier.pk,
    )
    with pytest.raises(Conflict):  # waiting for reception: the dossier is closed to changes
        upload(cast, submitted, PDF)
    assert DossierFile.objects.count() == 1


def test_documents_are_served_to_the_applicant_and_the_agency_each_officer_read_logged(
    cast: Cast,
) -> None:
    dossier = draft(cast)
    row = upload(cast, dossier, PDF)
    services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        dossier_id=dossier.pk,
    )
    assert (
        selectors.dossier_document_open(actor=cast.an, dossier_id=dossier.pk, file_id=row.pk)[1]
        == PDF
    )
    before = DataUsage.objects.filter(person__account=cast.an).count()
    _found, content = selectors.dossier_document_open(
        actor=cast.reception, dossier_id=dossier.pk, file_id=row.pk
    )
    assert content == PDF
    usage = DataUsage.objects.filter(person__account=cast.an).order_by("-occurred_at").first()
    assert DataUsage.objects.filter(person__account=cast.an).count() == before + 1
    assert usage is not None
    assert "giay-chung-sinh.pdf" in usage.purpose
    for other in (cast.binh, cast.stranger, cast.justice):
        with pytest.raises(NotFound):
            selectors.dossier_document_open(actor=other, dossier_id=dossier.pk, file_id=row.pk)
    with pytest.raises(NotFound):  # another dossier's id with this file's id
        selectors.dossier_document_open(actor=cast.an, dossier_id=draft(cast).pk, file_id=row.pk)


def test_the_documents_page_gives_vietnamese_field_errors(cast: Cast) -> None:
    dossier = draft(cast)
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(cast.an)
    url = reverse("publicservices:documents", args=[dossier.pk])
    exe = SimpleUploadedFile("giay-chung-sinh.pdf", b"MZ\x90\x00", content_type="application/pdf")
    page = client.post(url, {"document": "0", "file": exe})
    assert page.status_code == 400
    assert "không phải PDF, JPEG hoặc PNG" in page.content.decode()
    big = SimpleUploadedFile(
        "big.pdf", PDF + b"\0" * MAX_DOCUMENT_BYTES, content_type="application/pdf"
    )
    page = client.post(url, {"document": "0", "file": big})
    assert page.status_code == 400
    assert "giới hạn" in page.content.decode()
    page = client.post(url, {"document": "0"})
    assert page.status_code == 400
    assert "Chọn tệp" in page.content.decode()
    good = SimpleUploadedFile("giay-chung-sinh.pdf", PDF, content_type="application/pdf")
    assert client.post(url, {"document": "0", "file": good}).status_code == 302
    page = client.get(url)
    (row,) = DossierFile.objects.filter(dossier=dossier)
    assert (
        reverse("publicservices:document_file", args=[dossier.pk, row.pk]) in page.content.decode()
    )
    download = client.get(reverse("publicservices:document_file", args=[dossier.pk, row.pk]))
    assert download.content == PDF
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in download["Content-Disposition"]


def test_an_officer_downloads_through_the_page_with_a_second_factor(cast: Cast) -> None:
    dossier = draft(cast)
    row = upload(cast, dossier, PDF)
    services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        dossier_id=dossier.pk,
    )
    client = Client()
    log_in_as(client, cast.stranger)
    url = reverse("publicservices:document_file", args=[dossier.pk, row.pk])
    assert client.get(url).status_code == 404
    client = Client()
    log_in_as(client, cast.reception)
    assert client.get(url).content == PDF
