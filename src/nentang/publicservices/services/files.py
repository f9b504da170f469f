"""Files of dossiers: stored through Django's storage API (a folder of ``NENTANG_HOME``
by default, an S3-compatible backend by configuration), never under the web root, each
with its SHA-256. Served only through the permission-checked selectors."""

from __future__ import annotations

import contextlib
import contextvars
import hashlib
import uuid
from collections.abc import Iterator
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from nentang.publicservices.models import Dossier, DossierFile

_pending: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "publicservices_stored_files", default=None
)


def file_store(
    *,
    dossier: Dossier,
    kind: str,
    content: bytes,
    name: str,
    content_type: str,
    document: int | None = None,
    issuer: Any = None,
) -> DossierFile:
    """Write ``content`` to storage and its row, inside the caller's transaction (which
    runs under ``removed_on_failure``, so a rollback takes the file with it)."""
    now = timezone.now()
    extension = {"application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png"}[content_type]
    stored = default_storage.save(
        f"publicservices/{now:%Y/%m}/{uuid.uuid4().hex}.{extension}", ContentFile(content)
    )
    pending = _pending.get()
    if pending is not None:
        pending.append(stored)
    return DossierFile.objects.create(
        dossier=dossier,
        kind=kind,
        document=document,
        name=name[:255],
        content_type=content_type,
        size=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        storage_name=stored,
        issuer=issuer,
        created_at=now,
    )


@contextlib.contextmanager
def removed_on_failure() -> Iterator[None]:
    """Around a service's transaction: the files it stored are deleted if it fails, so
    a rolled-back action leaves no orphan file behind."""
    names: list[str] = []
    token = _pending.set(names)
    try:
        yield
    except BaseException:
        for name in names:
            default_storage.delete(name)
        raise
    finally:
        _pending.reset(token)


def file_read(row: DossierFile) -> bytes:
    with default_storage.open(row.storage_name, "rb") as handle:
        return bytes(handle.read())
