"""CKAN's dictionaries (package, resource, organization, group, tag, license) built
from our models, with the extra keys of this catalogue (frequency, spatial, temporal
coverage, lifecycle, freshness) alongside CKAN's own."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from nentang.opendata.models import Dataset, Group, Licence, Organisation, Resource, Tag

STATE = {"draft": "draft", "published": "active", "deprecated": "active", "deleted": "deleted"}


def stamp(value: Any) -> str | None:
    """CKAN's timestamps: ISO 8601 in UTC without an offset."""
    if value is None:
        return None
    return str(value.replace(tzinfo=None).isoformat(timespec="microseconds"))


def organization_dict(organisation: Organisation, *, count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(organisation.public_id),
        "name": organisation.name,
        "title": organisation.title,
        "display_name": organisation.title,
        "description": organisation.description,
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "created": stamp(organisation.created_at),
        "agency_code": organisation.agency_code,
    }
    if count is not None:
        data["package_count"] = count
    return data


def group_dict(group: Group, *, count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(group.public_id),
        "name": group.name,
        "title": group.title,
        "display_name": group.title,
        "description": group.description,
        "type": "group",
        "is_organization": False,
        "state": "active",
        "approval_status": "approved",
        "image_url": "",
        "image_display_url": "",
        "created": stamp(group.created_at),
    }
    if count is not None:
        data["package_count"] = count
    return data


def tag_dict(tag: Tag) -> dict[str, Any]:
    return {
        "id": str(tag.pk),
        "name": tag.name,
        "display_name": tag.name,
        "state": "active",
        "vocabulary_id": None,
    }


def licence_dict(licence: Licence) -> dict[str, Any]:
    return {
        "id": licence.id,
        "title": licence.title,
        "url": licence.url,
        "status": "active",
        "maintainer": "",
        "family": "",
        "od_conformance": "approved" if licence.is_open else "not reviewed",
        "osd_conformance": "not reviewed",
        "domain_content": True,
        "domain_data": True,
        "domain_software": False,
        "is_generic": licence.id in ("other-open", "notspecified"),
        "note": licence.note,
    }


def resource_dict(resource: Resource, dataset: Dataset | None = None) -> dict[str, Any]:
    dataset = dataset or resource.dataset
    url = resource.url
    if resource.stored_path:
        url = f"{settings.BASE_URL}/dataset/{dataset.name}/resource/{resource.public_id}/download"
    datastore = getattr(resource, "_datastore_active", None)
    if datastore is None:
        datastore = hasattr(resource, "datastore") and resource.datastore is not None
    return {
        "id": str(resource.public_id),
        "package_id": str(dataset.public_id),
        "name": resource.name,
        "description": resource.description,
        "url": url,
        "url_type": "upload" if resource.stored_path else "",
        "format": resource.format,
        "mimetype": resource.mimetype or None,
        "size": resource.size,
        "hash": f"sha256:{resource.sha256}" if resource.sha256 else "",
        "encoding": resource.encoding,
        "position": resource.position,
        "created": stamp(resource.created_at),
        "last_modified": stamp(resource.modified_at),
        "metadata_modified": stamp(resource.modified_at),
        "state": "active",
        "datastore_active": bool(datastore),
    }


def package_dict(dataset: Dataset) -> dict[str, Any]:
    licence = dataset.licence
    tags = list(dataset.tags.all())
    resources = sorted(dataset.resources.all(), key=lambda r: (r.position, r.pk))
    return {
        "id": str(dataset.public_id),
        "name": dataset.name,
        "title": dataset.title,
        "notes": dataset.notes,
        "type": "dataset",
        "state": STATE[dataset.state],
        "lifecycle": dataset.state,
        "private": dataset.private,
        "owner_org": str(dataset.organisation.public_id),
        "organization": organization_dict(dataset.organisation),
        "license_id": licence.id,
        "license_title": licence.title,
        "license_url": licence.url,
        "isopen": licence.is_open,
        "author": dataset.organisation.title,
        "author_email": None,
        "maintainer": dataset.contact_name or None,
        "maintainer_email": dataset.contact_email or None,
        "version": dataset.version or None,
        "url": "",
        "metadata_created": stamp(dataset.created_at),
        "metadata_modified": stamp(dataset.modified_at),
        "tags": [tag_dict(tag) for tag in tags],
        "num_tags": len(tags),
        "groups": [group_dict(group) for group in dataset.groups.all()],
        "resources": [resource_dict(r, dataset) for r in resources],
        "num_resources": len(resources),
        "extras": [{"key": k, "value": v} for k, v in sorted(dataset.extras.items())],
        "frequency": dataset.frequency,
        "spatial": list(dataset.spatial_codes or []),
        "temporal_start": dataset.temporal_start.isoformat() if dataset.temporal_start else None,
        "temporal_end": dataset.temporal_end.isoformat() if dataset.temporal_end else None,
        "review_date": dataset.review_date.isoformat() if dataset.review_date else None,
        "data_updated": stamp(dataset.data_updated_at),
        "stale": dataset.is_stale(),
    }
