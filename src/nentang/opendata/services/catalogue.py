"""Writes of datasets: draft → published → deprecated, deleted. Every write checks
the publisher, is one transaction and leaves its audit entry inside it. Organisations,
groups, publishers and tokens are in :mod:`.organisations`, resources in
:mod:`.resources`.

Dataset input is CKAN-shaped (``package_create``'s dictionary), so the CKAN Action
API, the JSON API and the pages pass what they received; :func:`_dataset_fields`
validates it field by field.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict
from nentang.kernel.text import clean, fold
from nentang.opendata.models import Dataset, Group, Licence, Organisation, Tag
from nentang.opendata.problems import DATASET_NAME_TAKEN, GROUP_NOT_FOUND, INVALID_TRANSITION
from nentang.opendata.services.common import (
    SLUG,
    Errors,
    actor_of,
    refuse_nul,
    require_publisher,
)
from nentang.opendata.services.resources import resource_create_in, resources_replace
from nentang.opendata.services.search_index import dataset_reindex

MAX_TAGS = 50
TRANSITIONS = {
    Dataset.State.DRAFT: {Dataset.State.PUBLISHED, Dataset.State.DELETED},
    Dataset.State.PUBLISHED: {Dataset.State.DEPRECATED, Dataset.State.DELETED},
    Dataset.State.DEPRECATED: {Dataset.State.PUBLISHED, Dataset.State.DELETED},
    Dataset.State.DELETED: set(),
}


def _organisation(ref: Any) -> Organisation | None:
    ref = str(ref or "")
    if not ref:
        return None
    try:
        return Organisation.objects.filter(public_id=ref).first()
    except Exception:
        return Organisation.objects.filter(name=ref).first()


def _names(value: Any) -> list[str] | None:
    """CKAN lists of ``{"name": …}`` (or of strings, or a comma-separated string)."""
    if value is None:
        return None
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if not isinstance(value, list):
        return None
    names = []
    for item in value:
        if isinstance(item, Mapping):
            item = item.get("name") or item.get("id") or ""
        if not isinstance(item, str):
            return None
        if item.strip():
            names.append(item.strip())
    return names


def _date(value: Any, field: str, errors: Errors) -> datetime.date | None:
    if value in (None, ""):
        return None
    text = str(value)
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.datetime.strptime(text[:10], fmt).date()
        except ValueError:
            continue
    errors.add(field, _("Write a date as dd/mm/yyyy or yyyy-mm-dd."), "invalid_date")
    return None


def _dataset_fields(
    data: Mapping[str, Any], *, existing: Dataset | None, partial: bool
) -> dict[str, Any]:
    """Validate CKAN-shaped input into model fields (only the keys given when partial)."""
    refuse_nul(data)
    errors = Errors()
    out: dict[str, Any] = {}

    def given(key: str) -> bool:
        return key in data or not partial

    if given("name"):
        name = str(data.get("name") or "").strip()
        if not SLUG.fullmatch(name) or not 2 <= len(name) <= 100:
            errors.add(
                "name",
                _("2 to 100 lower-case letters, digits, hyphens or underscores."),
                "invalid_format",
            )
        elif Dataset.objects.filter(name=name).exclude(pk=existing.pk if existing else -1).exists():
            errors.add("name", _("That URL is already in use."), DATASET_NAME_TAKEN)
        out["name"] = name
    if given("title"):
        title = clean(str(data.get("title") or ""))
        if not title and "name" in out:
            title = out["name"]
        if not 1 <= len(title) <= 300:
            errors.add("title", _("Give a title of 1 to 300 characters."), "required")
        out["title"] = title
    if given("notes"):
        out["notes"] = str(data.get("notes") or "").strip()
    if given("owner_org"):
        organisation = _organisation(data.get("owner_org"))
        if organisation is None:
            errors.add(
                "owner_org", _("No organisation has this id or name."), "unknown_organisation"
            )
        out["organisation"] = organisation
    if given("license_id"):
        licence_id = str(data.get("license_id") or "cc-by-4.0")
        licence = Licence.objects.filter(id=licence_id).first()
        if licence is None:
            errors.add("license_id", _("Unknown licence; see license_list."), "unknown_licence")
        out["licence"] = licence
    for key in ("tags", "groups"):
        if given(key):
            names = _names(data.get(key, []))
            if names is None:
                errors.add(key, _("Give a list of names."), "invalid")
                names = []
            out[key] = names
    if len(out.get("tags", [])) > MAX_TAGS:
        errors.add("tags", _("At most 50 tags."), "too_many")
    for tag in out.get("tags", []):
        if not 2 <= len(tag) <= 100:
            errors.add("tags", _("A tag has 2 to 100 characters."), "invalid")
    if out.get("groups"):
        found = set(Group.objects.filter(name__in=out["groups"]).values_list("name", flat=True))
        missing = [g for g in out["groups"] if g not in found]
        if missing:
            errors.add(
                "groups",
                _("Unknown group: %(names)s.") % {"names": ", ".join(missing)},
                GROUP_NOT_FOUND,
            )
    if given("private"):
        private = data.get("private", False)
        out["private"] = private in (True, "true", "True", "on", "1", 1)
    if given("version"):
        out["version"] = clean(str(data.get("version") or ""))[:40]
    if given("frequency"):
        frequency = str(data.get("frequency") or "irregular")
        if frequency not in Dataset.Frequency.values:
            errors.add("frequency", _("Unknown update frequency."), "invalid_choice")
        out["frequency"] = frequency
    if given("maintainer") or "contact_name" in data:
        out["contact_name"] = clean(str(data.get("contact_name") or data.get("maintainer") or ""))[
            :150
        ]
    if given("maintainer_email") or "contact_email" in data:
        email = str(data.get("contact_email") or data.get("maintainer_email") or "").strip()
        if email and ("@" not in email or len(email) > 254):
            errors.add("maintainer_email", _("Enter a valid e-mail address."), "invalid_email")
        out["contact_email"] = email
    if given("spatial"):
        codes = _names(data.get("spatial", [])) or []
        for code in codes:
            try:
                if len(code) == 2:
                    addresses.province_get(code=code)
                else:
                    addresses.commune_get(code=code)
            except Exception:
                errors.add(
                    "spatial",
                    _("No administrative unit has the code %(code)s.") % {"code": code},
                    "unknown_unit",
                )
        out["spatial_codes"] = codes
    for key in ("temporal_start", "temporal_end"):
        if given(key):
            out[key] = _date(data.get(key), key, errors)
    start, end = out.get("temporal_start"), out.get("temporal_end")
    if start and end and end < start:
        errors.add("temporal_end", _("The end of the period is before its start."), "invalid_range")
    if given("review_date"):
        out["review_date"] = _date(data.get("review_date"), "review_date", errors)
    if given("extras"):
        extras = data.get("extras") or []
        if isinstance(extras, list):
            parsed = {}
            for item in extras:
                if isinstance(item, Mapping) and "key" in item:
                    parsed[str(item["key"])[:100]] = str(item.get("value", ""))[:2000]
            out["extras"] = parsed
        elif isinstance(extras, Mapping):
            out["extras"] = {str(k)[:100]: str(v)[:2000] for k, v in extras.items()}
        else:
            errors.add("extras", _("Give a list of key/value pairs."), "invalid")
    errors.raise_if_any()
    return out


def _apply(dataset: Dataset, fields: Mapping[str, Any]) -> None:
    for key, value in fields.items():
        if key in ("tags", "groups"):
            continue
        setattr(dataset, key, value)
    if "spatial_codes" in fields:
        dataset.province_codes = " ".join(
            sorted({_province_of(str(code)) for code in fields["spatial_codes"]})
        )


def _province_of(code: str) -> str:
    """The province a spatial code lies in. A commune's code does not begin with its
    province's (ward 26740 lies in province 79): the unit itself says."""
    if len(code) == 2:
        return code
    return str(addresses.commune_get(code=code).province_id)


def _relations(dataset: Dataset, fields: Mapping[str, Any]) -> None:
    if "tags" in fields:
        tags = []
        for name in dict.fromkeys(clean(n) for n in fields["tags"]):
            tag, _created = Tag.objects.get_or_create(name=name, defaults={"folded": fold(name)})
            tags.append(tag)
        dataset.tags.set(tags)
    if "groups" in fields:
        dataset.groups.set(Group.objects.filter(name__in=fields["groups"]))


def dataset_create(*, account: Any, data: Mapping[str, Any]) -> Dataset:
    """Create a dataset as a draft of its organisation, then publish it unless
    ``state`` is ``"draft"`` (CKAN's ``package_create`` makes active datasets). Its
    ``resources`` (links or metadata) are created in the same transaction."""
    fields = _dataset_fields(data, existing=None, partial=False)
    require_publisher(account, fields["organisation"], what="opendata.dataset.create")
    return _create(actor_of(account), data, fields)


def dataset_create_for_platform(*, actor: Actor, data: Mapping[str, Any]) -> Dataset:
    """:func:`dataset_create` for the platform's own writers (the harvester), which
    authorised the organisation themselves (a harvest source is set up by its admin)."""
    return _create(actor, data, _dataset_fields(data, existing=None, partial=False))


def _create(actor: Actor, data: Mapping[str, Any], fields: Mapping[str, Any]) -> Dataset:
    publish = str(data.get("state") or "active") != "draft"
    now = timezone.now()
    with transaction.atomic():
        dataset = Dataset(created_at=now, modified_at=now)
        _apply(dataset, fields)
        try:
            with transaction.atomic():
                dataset.save()
        except IntegrityError:
            raise Conflict(_("That URL is already in use."), code=DATASET_NAME_TAKEN) from None
        _relations(dataset, fields)
        auditing.record(
            actor=actor, action="opendata.dataset.create",
            subject_type="opendata.dataset", subject=str(dataset.public_id),
            summary={"name": dataset.name, "organisation": fields["organisation"].name},
        )  # fmt: skip
        for position, resource in enumerate(data.get("resources") or []):
            if isinstance(resource, Mapping):
                resource_create_in(actor, dataset, resource, position)
        if publish:
            _transition(actor, dataset, Dataset.State.PUBLISHED)
        dataset_reindex(dataset)
    return dataset


def dataset_update(
    *, account: Any, dataset: Dataset, data: Mapping[str, Any], partial: bool
) -> Dataset:
    """``package_update`` (every field, missing ones reset) or ``package_patch``."""
    require_publisher(account, dataset.organisation, what="opendata.dataset.update")
    fields = _update_fields(dataset, data, partial)
    if "organisation" in fields and fields["organisation"] != dataset.organisation:
        require_publisher(account, fields["organisation"], what="opendata.dataset.move")
    publish = data.get("state") == "active" and dataset.state == Dataset.State.DRAFT
    if publish:
        require_publisher(
            account, dataset.organisation, what="opendata.dataset.published", admin=True
        )
    return _update(actor_of(account), dataset, data, fields)


def dataset_update_for_platform(
    *, actor: Actor, dataset: Dataset, data: Mapping[str, Any]
) -> Dataset:
    """:func:`dataset_update` (every field) for the platform's own writers."""
    return _update(actor, dataset, data, _update_fields(dataset, data, False))


def _update_fields(dataset: Dataset, data: Mapping[str, Any], partial: bool) -> dict[str, Any]:
    if dataset.state == Dataset.State.DELETED:
        raise Conflict(_("A deleted dataset cannot be changed."), code=INVALID_TRANSITION)
    data = dict(data)
    if partial:
        data.pop("id", None)
    elif "name" not in data:
        data["name"] = dataset.name
    return _dataset_fields(data, existing=dataset, partial=partial)


def _update(
    actor: Actor, dataset: Dataset, data: Mapping[str, Any], fields: Mapping[str, Any]
) -> Dataset:
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        _apply(locked, fields)
        locked.modified_at = timezone.now()
        locked.save()
        _relations(locked, fields)
        if "resources" in data and isinstance(data["resources"], list):
            resources_replace(actor, locked, data["resources"])
        auditing.record(
            actor=actor, action="opendata.dataset.update",
            subject_type="opendata.dataset", subject=str(locked.public_id),
            summary={"fields": sorted(fields)},
        )  # fmt: skip
        if data.get("state") == "active" and locked.state == Dataset.State.DRAFT:
            _transition(actor, locked, Dataset.State.PUBLISHED)
        dataset_reindex(locked)
    return locked


def _transition(actor: Actor, dataset: Dataset, to: str) -> None:
    """Move a locked dataset to ``to`` (the caller checked the permission)."""
    if to not in TRANSITIONS[Dataset.State(dataset.state)]:
        raise Conflict(
            _("A %(state)s dataset cannot become %(to)s.") % {"state": dataset.state, "to": to},
            code=INVALID_TRANSITION,
        )
    before = dataset.state
    now = timezone.now()
    dataset.state = to
    dataset.modified_at = now
    if to == Dataset.State.PUBLISHED and dataset.published_at is None:
        dataset.published_at = now
    dataset.save(update_fields=["state", "modified_at", "published_at"])
    auditing.record(
        actor=actor, action=f"opendata.dataset.{to}",
        subject_type="opendata.dataset", subject=str(dataset.public_id),
        summary={"from": before, "to": to},
    )  # fmt: skip


def dataset_transition(*, account: Any, dataset: Dataset, to: str) -> Dataset:
    """Publish, deprecate, re-publish or delete (publisher admins only)."""
    if to not in Dataset.State.values:
        raise Conflict(_("Unknown state."), code=INVALID_TRANSITION)
    require_publisher(account, dataset.organisation, what=f"opendata.dataset.{to}", admin=True)
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        _transition(actor_of(account), locked, to)
    return locked


def dataset_data_updated(*, actor: Actor, dataset: Dataset) -> None:
    """Note that the data changed now (keeps the freshness flag off)."""
    with transaction.atomic():
        now = timezone.now()
        Dataset.objects.filter(pk=dataset.pk).update(data_updated_at=now, modified_at=now)
        auditing.record(
            actor=actor, action="opendata.dataset.data_updated",
            subject_type="opendata.dataset", subject=str(dataset.public_id),
        )  # fmt: skip


def dataset_transition_for_platform(*, actor: Actor, dataset: Dataset, to: str) -> Dataset:
    """:func:`dataset_transition` for the platform's own writers (the harvester
    withdrawing a dataset its source no longer lists)."""
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        _transition(actor, locked, to)
    return locked
