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
from django.db import connection
from django.utils import timezone

from nentang.kernel.rowinserts import insert_statement, mark_saved
from nentang.publicservices.models import Dossier, DossierFile

_pending: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "publicservices_stored_files", default=None
)
# The rows of a dossier that is inserted with them (a submission and its documents: one
# statement on PostgreSQL, kernel.rowinserts.insert_linked). None: insert each at once.
_rows: contextvars.ContextVar[list[DossierFile] | None] = contextvars.ContextVar(
    "publicservices_file_rows", default=None
)


@contextlib.contextmanager
def rows_collected() -> Iterator[list[DossierFile]]:
    """Within it, the file rows made are collected, not inserted: the caller inserts
    them with the new dossier they belong to (foreign keys are checked at commit)."""
    rows: list[DossierFile] = []
    token = _rows.set(rows)
    try:
        yield rows
    finally:
        _rows.reset(token)


def file_row_insert(row: DossierFile) -> DossierFile:
    """Insert a file's row — a fixed INSERT (kernel.rowinserts), not one compiled per
    call — or collect it (``rows_collected``)."""
    collected = _rows.get()
    if collected is not None:
        collected.append(row)
        return row
    with connection.cursor() as cursor:
        cursor.execute(*insert_statement(row))
    mark_saved(row, None)
    return row


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
    row = DossierFile(
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
    return file_row_insert(row)


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
