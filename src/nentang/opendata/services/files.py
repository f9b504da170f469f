"""Uploaded files of resources, kept under ``MEDIA_ROOT/opendata/<resource id>/``,
streamed to disk with their SHA-256 and size."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from nentang.kernel import auditing
from nentang.opendata.models import Dataset, Resource
from nentang.opendata.services.common import actor_of, require_publisher

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
FORMATS = {"csv": "CSV", "xlsx": "XLSX", "json": "JSON", "pdf": "PDF", "zip": "ZIP", "txt": "TXT"}


def storage_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "opendata"


def stored_file(resource: Resource) -> Path:
    return storage_root() / resource.stored_path


def safe_name(name: str) -> str:
    cleaned = SAFE_NAME.sub("-", Path(name or "file").name).strip("-.") or "file"
    return cleaned[-120:]


def resource_upload(*, account: Any, resource: Resource, upload: Any) -> Resource:
    """Store an uploaded file as the resource's content (replacing any earlier file)."""
    require_publisher(account, resource.dataset.organisation, what="opendata.resource.upload")
    name = safe_name(getattr(upload, "name", "") or "file")
    relative = f"{resource.public_id}/{name}"
    target = storage_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    partial = target.with_suffix(target.suffix + ".part")
    with partial.open("wb") as out:
        for chunk in upload.chunks():
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    partial.replace(target)
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    with transaction.atomic():
        resource.stored_path = relative
        resource.size = size
        resource.sha256 = digest.hexdigest()
        resource.format = resource.format or FORMATS.get(extension, extension.upper()[:20])
        resource.mimetype = getattr(upload, "content_type", "") or resource.mimetype
        resource.modified_at = timezone.now()
        resource.save()
        Dataset.objects.filter(pk=resource.dataset_id).update(
            modified_at=resource.modified_at, data_updated_at=resource.modified_at
        )
        auditing.record(
            actor=actor_of(account), action="opendata.resource.upload",
            subject_type="opendata.resource", subject=str(resource.public_id),
            summary={"size": size, "sha256": resource.sha256},
        )  # fmt: skip
    return resource
