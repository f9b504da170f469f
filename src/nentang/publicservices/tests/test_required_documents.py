"""Documents required at submission (Decree 61/2018/NĐ-CP, Art. 15: a dossier is
received only when complete): a missing required document is a field error naming it
and nothing changes; documents given with a submission are stored private in its
transaction; a paper the applicant already gave in an earlier dossier is reused where
the catalogue allows it (Decree 45/2020/NĐ-CP, Art. 16) and the agency's officers open
it like any other document, each read logged."""

from __future__ import annotations

import base64
import json
import stat
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from django.utils import translation
from tests.support.staff import log_in_as

from nentang.kernel.errors import NotFound, ValidationFailed
from nentang.publicservices import selectors, services
from nentang.publicservices.models import Dossier, DossierAction, DossierFile
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast

DataUsage = apps.get_model("identity", "DataUsage")
MARRIAGE = b"%PDF-1.7\n% giay chung nhan ket hon\n%%EOF\n"
BIRTH_NOTICE, MARRIAGE_CERTIFICATE = 0, 1  # the birth registration's documents


def _stored() -> set[Path]:
    root = Path(default_storage.path("publicservices"))
    return set(root.rglob("*.*")) if root.exists() else set()


def _submit(cast: Cast, **kwargs: Any) -> Dossier:
    return services.dossier_submit(
        actor=cast.an,
        procedure_slug="dang-ky-khai-sinh",
        agency_code="ubnd-phuong-sai-gon",
        **kwargs,
    )


def test_a_draft_without_its_required_document_is_not_submitted(cast: Cast) -> None:
    draft = services.dossier_draft_save(
        actor=cast.an, procedure_slug="dang-ky-khai-sinh", data=support.birth()
    )
    with translation.override("vi"), pytest.raises(ValidationFailed) as refused:
        _submit(cast, dossier_id=draft.pk)
    assert refused.value.code == "dossier_documents_missing"
    # One error, on the birth notice: the parents' marriage certificate is optional.
    [(field, code, message)] = [(e.field, e.code, e.message) for e in refused.value.errors]
    assert (field, code) == ("documents.0", "document_required")
    assert message == (
        "Hãy đính kèm “Giấy chứng sinh (bản điện tử hoặc ảnh chụp)”: "
        "thủ tục này bắt buộc có giấy tờ này."
    )
    draft.refresh_from_db()
    assert (draft.state, draft.log_length, draft.agency_id) == ("draft", 1, None)

    services.dossier_document_upload(
        actor=cast.an, dossier_id=draft.pk, document=BIRTH_NOTICE, name="gcs.pdf", content=MARRIAGE
    )
    assert _submit(cast, dossier_id=draft.pk).state == "reception"


def test_a_submission_without_a_draft_needs_its_documents_inline(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as refused:
        _submit(cast, data=support.birth())
    assert [e.field for e in refused.value.errors] == ["documents.0"]
    with pytest.raises(ValidationFailed) as refused:  # the wrong document, and twice
        _submit(
            cast,
            data=support.birth(),
            documents=[
                services.DocumentUpload(document=MARRIAGE_CERTIFICATE, content=MARRIAGE),
                services.DocumentUpload(document=MARRIAGE_CERTIFICATE, content=MARRIAGE),
                services.DocumentUpload(document=7, content=MARRIAGE),
            ],
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("documents.1.document", "duplicate"),
        ("documents.2.document", "invalid_choice"),
    ]
    assert not Dossier.objects.exists()
    assert not DossierFile.objects.exists()


def test_inline_documents_are_stored_private_and_leave_nothing_when_refused(
    cast: Cast,
) -> None:
    before = _stored()
    with pytest.raises(ValidationFailed) as refused:  # an executable renamed .pdf
        _submit(
            cast,
            data=support.birth(),
            documents=[services.DocumentUpload(document=BIRTH_NOTICE, content=b"MZ\x90\x00")],
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("documents.0.content", "file_type")
    ]
    # The birth notice is written, then the reuse of a file that is not the applicant's
    # fails in the same transaction: the written file goes with the rollback.
    with pytest.raises(ValidationFailed) as refused:
        _submit(
            cast,
            data=support.birth(),
            documents=[
                *support.papers("dang-ky-khai-sinh"),
                services.DocumentUpload(document=MARRIAGE_CERTIFICATE, reuse="01a25124-0f50"),
            ],
        )
    assert [(e.field, e.code) for e in refused.value.errors] == [
        ("documents.1.reuse", "reuse_not_allowed")
    ]
    assert _stored() == before
    assert not Dossier.objects.exists()

    dossier = _submit(cast, data=support.birth(), documents=support.papers("dang-ky-khai-sinh"))
    [row] = DossierFile.objects.filter(dossier=dossier)
    assert (row.document, row.content_type, row.name) == (0, "application/pdf", "giay-to-0.pdf")
    path = Path(default_storage.path(row.storage_name))
    assert path.read_bytes() == support.SCAN
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # readable by the platform only
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_a_paper_given_before_is_reused_where_the_catalogue_allows(cast: Cast) -> None:
    earlier = _submit(
        cast,
        data=support.birth(child_full_name="Nguyễn Minh Anh"),
        documents=[
            *support.papers("dang-ky-khai-sinh"),
            services.DocumentUpload(
                document=MARRIAGE_CERTIFICATE, name="ket-hon.pdf", content=MARRIAGE
            ),
        ],
    )
    certificate = DossierFile.objects.get(dossier=earlier, document=MARRIAGE_CERTIFICATE)
    notice = DossierFile.objects.get(dossier=earlier, document=BIRTH_NOTICE)
    draft = services.dossier_draft_save(
        actor=cast.an, procedure_slug="dang-ky-khai-sinh", data=support.birth()
    )
    slots = selectors.dossier_documents_with_reuse(dossier=draft)
    # The marriage certificate may be reused; the birth notice (one per child) may not.
    assert [list(slot.reusable) for slot in slots] == [[], [certificate]]

    for document, file_id, actor in (
        (BIRTH_NOTICE, notice.pk, cast.an),  # no reuse key: a new child, a new notice
        (MARRIAGE_CERTIFICATE, notice.pk, cast.an),  # another paper
        (MARRIAGE_CERTIFICATE, "not-an-id", cast.an),
    ):
        with pytest.raises(ValidationFailed) as refused:
            services.dossier_document_reuse(
                actor=actor, dossier_id=draft.pk, document=document, file_id=file_id
            )
        assert [(e.field, e.code) for e in refused.value.errors] == [("file", "reuse_not_allowed")]
    binh_draft = services.dossier_draft_save(
        actor=cast.binh, procedure_slug="dang-ky-tam-tru", data=support.temporary_residence()
    )
    with pytest.raises(NotFound):  # Bình's dossier is not An's to change
        services.dossier_document_reuse(
            actor=cast.an, dossier_id=binh_draft.pk, document=0, file_id=certificate.pk
        )

    reused = services.dossier_document_reuse(
        actor=cast.an, dossier_id=draft.pk, document=MARRIAGE_CERTIFICATE, file_id=certificate.pk
    )
    assert (reused.sha256, reused.storage_name, reused.reused_from_id, reused.name) == (
        certificate.sha256,
        certificate.storage_name,
        certificate.pk,
        "ket-hon.pdf",
    )
    with pytest.raises(ValidationFailed):  # the birth notice is still missing
        _submit(cast, dossier_id=draft.pk)
    dossier = _submit(cast, dossier_id=draft.pk, documents=support.papers("dang-ky-khai-sinh"))

    usages = DataUsage.objects.filter(person__account=cast.an).count()
    _row, content = selectors.dossier_document_open(
        actor=cast.reception, dossier_id=dossier.pk, file_id=reused.pk
    )
    assert content == MARRIAGE
    assert DataUsage.objects.filter(person__account=cast.an).count() == usages + 1
    with pytest.raises(NotFound):
        selectors.dossier_document_open(
            actor=cast.stranger, dossier_id=dossier.pk, file_id=reused.pk
        )


def test_the_documents_page_offers_the_earlier_paper_and_reuses_it(cast: Cast) -> None:
    _submit(
        cast,
        data=support.birth(child_full_name="Nguyễn Minh Anh"),
        documents=[
            *support.papers("dang-ky-khai-sinh"),
            services.DocumentUpload(
                document=MARRIAGE_CERTIFICATE, name="ket-hon.pdf", content=MARRIAGE
            ),
        ],
    )
    certificate = DossierFile.objects.get(document=MARRIAGE_CERTIFICATE)
    draft = services.dossier_draft_save(
        actor=cast.an, procedure_slug="dang-ky-khai-sinh", data=support.birth()
    )
    client = Client(HTTP_ACCEPT_LANGUAGE="vi")
    client.force_login(cast.an)
    url = reverse("publicservices:documents", args=[draft.pk])
    page = client.get(url).content.decode()
    assert "Dùng lại tệp bạn đã nộp" in page
    assert f'value="{certificate.pk}"' in page
    refused = client.post(url, {"document": "0", "reuse": str(certificate.pk)})
    assert refused.status_code == 400
    assert "Không thể dùng lại tệp này" in refused.content.decode()
    assert client.post(url, {"document": "1", "reuse": str(certificate.pk)}).status_code == 302
    assert DossierFile.objects.get(dossier=draft).reused_from_id == certificate.pk
    assert "dùng lại từ hồ sơ trước" in client.get(url).content.decode()


def _api(account: Any) -> Client:
    client = Client()
    log_in_as(client, account)
    return client


def _apply(client: Client, documents: Any, key: str = "") -> Any:
    body = {"agency": "ubnd-phuong-sai-gon", "data": support.birth(), "documents": documents}
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/api/v1/services/dang-ky-khai-sinh/applications",
        json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


def test_the_api_takes_documents_inline_and_refuses_a_dossier_without_them(
    cast: Cast,
) -> None:
    an = _api(cast.an)
    missing = _apply(an, [])
    assert missing.status_code == 422
    problem = missing.json()
    assert problem["code"] == "dossier_documents_missing"
    assert [(e["field"], e["code"]) for e in problem["errors"]] == [
        ("documents.0", "document_required")
    ]
    bad = _apply(
        an,
        [
            {"document": 0, "content": "không phải base64"},
            {"document": 1},  # neither content nor a file to reuse
        ],
    )
    assert bad.status_code == 422
    assert [(e["field"], e["code"]) for e in bad.json()["errors"]] == [
        ("documents.0.content", "invalid"),
        ("documents.1.content", "invalid"),
    ]
    assert not Dossier.objects.exists()

    scan = [{"document": 0, "name": "gcs.pdf", "content": base64.b64encode(MARRIAGE).decode()}]
    created = _apply(an, scan, key="an-khai-sinh-1")
    assert created.status_code == 201, created.content
    replay = _apply(an, scan, key="an-khai-sinh-1")
    assert replay.json()["id"] == created.json()["id"]
    [row] = DossierFile.objects.all()
    assert (str(row.dossier_id), row.name, row.size) == (
        created.json()["id"],
        "gcs.pdf",
        len(MARRIAGE),
    )
    assert DossierAction.objects.filter(dossier_id=row.dossier_id).count() == 1
