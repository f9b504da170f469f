"""Writes of resources (files or links of a dataset): create, update, delete, and the
dataset's list of formats kept in step. The public functions check the publisher; the
private ones run inside a dataset write's transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.text import clean
from nentang.opendata.models import Dataset, Resource
from nentang.opendata.services import datastore
from nentang.opendata.services.common import Errors, actor_of, refuse_nul, require_publisher


def _resource_fields(data: Mapping[str, Any], errors: Errors, *, partial: bool) -> dict[str, Any]:
    refuse_nul(data)
    out: dict[str, Any] = {}
    if "name" in data or not partial:
        name = clean(str(data.get("name") or ""))
        if not name:
            url = str(data.get("url") or "")
            name = url.rsplit("/", 1)[-1][:300] or _("Resource")
        out["name"] = name[:300]
    if "url" in data or not partial:
        url = str(data.get("url") or "").strip()
        if url and not url.startswith(("http://", "https://")):
            errors.add("url", _("A link starts with http:// or https://."), "invalid_url")
        out["url"] = url[:1000]
    if "format" in data or not partial:
        fmt = str(data.get("format") or "").strip().upper()[:20]
        if not fmt and out.get("url"):
            fmt = out["url"].rsplit(".", 1)[-1].upper()[:20] if "." in out["url"][-6:] else ""
        out["format"] = fmt
    if "description" in data or not partial:
        out["description"] = str(data.get("description") or "").strip()
    if "size" in data:
        try:
            out["size"] = int(data["size"]) if data["size"] not in (None, "") else None
        except (TypeError, ValueError):
            errors.add("size", _("A size is a whole number of bytes."), "invalid")
    for key in ("mimetype", "encoding"):
        if key in data:
            out[key] = str(data[key] or "")[:100]
    return out


def resource_create_in(
    actor: Actor, dataset: Dataset, data: Mapping[str, Any], position: int
) -> Resource:
    """Inside a dataset write's transaction (the caller checked the permission)."""
    errors = Errors()
    fields = _resource_fields(data, errors, partial=False)
    errors.raise_if_any()
    now = timezone.now()
    resource = Resource.objects.create(
        dataset=dataset, position=position, created_at=now, modified_at=now, **fields
    )
    auditing.record(
        actor=actor, action="opendata.resource.create",
        subject_type="opendata.resource", subject=str(resource.public_id),
        summary={"dataset": str(dataset.public_id), "format": resource.format},
    )  # fmt: skip
    _formats_refresh(dataset)
    return resource


def _formats_refresh(dataset: Dataset) -> None:
    formats = sorted({f for f in dataset.resources.values_list("format", flat=True) if f})
    Dataset.objects.filter(pk=dataset.pk).update(formats=" ".join(formats)[:200])


def resources_replace(actor: Actor, dataset: Dataset, items: list[Any]) -> None:
    """``package_update``'s resources: matched by id, new ones created, missing ones gone."""
    keep: list[int] = []
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        existing = None
        if item.get("id"):
            existing = dataset.resources.filter(public_id=str(item["id"])).first()
        if existing is None:
            keep.append(resource_create_in(actor, dataset, item, position).pk)
        else:
            errors = Errors()
            fields = _resource_fields(item, errors, partial=True)
            errors.raise_if_any()
            Resource.objects.filter(pk=existing.pk).update(
                position=position, modified_at=timezone.now(), **fields
            )
            keep.append(existing.pk)
    dataset.resources.exclude(pk__in=keep).delete()
    _formats_refresh(dataset)


def resource_create(*, account: Any, dataset: Dataset, data: Mapping[str, Any]) -> Resource:
    require_publisher(account, dataset.organisation, what="opendata.resource.create")
    with transaction.atomic():
        position = dataset.resources.count()
        resource = resource_create_in(actor_of(account), dataset, data, position)
        Dataset.objects.filter(pk=dataset.pk).update(modified_at=timezone.now())
    return resource


def resource_update(
    *, account: Any, resource: Resource, data: Mapping[str, Any], partial: bool = True
) -> Resource:
    require_publisher(account, resource.dataset.organisation, what="opendata.resource.update")
    errors = Errors()
    fields = _resource_fields(data, errors, partial=partial)
    errors.raise_if_any()
    with transaction.atomic():
        for key, value in fields.items():
            setattr(resource, key, value)
        resource.modified_at = timezone.now()
        resource.save()
        _formats_refresh(resource.dataset)
        auditing.record(
            actor=actor_of(account), action="opendata.resource.update",
            subject_type="opendata.resource", subject=str(resource.public_id),
            summary={"fields": sorted(fields)},
        )  # fmt: skip
    return resource


def resource_delete(*, account: Any, resource: Resource) -> None:
    require_publisher(account, resource.dataset.organisation, what="opendata.resource.delete")
    with transaction.atomic():
        dataset = resource.dataset
        public_id = str(resource.public_id)
        datastore.table_drop(resource)
        resource.delete()
        _formats_refresh(dataset)
        auditing.record(
            actor=actor_of(account), action="opendata.resource.delete",
            subject_type="opendata.resource", subject=public_id,
        )  # fmt: skip
