"""Writes of the catalogue: organisations, groups, publishers, API tokens, datasets
(draft → published → deprecated, deleted), resources. Every write checks the actor,
is one transaction and leaves its audit entry inside it.

Dataset input is CKAN-shaped (``package_create``'s dictionary), so the CKAN Action
API, the JSON API and the pages pass what they received; :func:`_dataset_fields`
validates it field by field.
"""

from __future__ import annotations

import datetime
import hashlib
import secrets
from collections.abc import Mapping
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, NotFound
from nentang.kernel.text import clean, fold
from nentang.opendata.models import (
    ApiToken,
    Dataset,
    Group,
    Licence,
    Organisation,
    Publisher,
    Resource,
    Tag,
)
from nentang.opendata.problems import (
    DATASET_NAME_TAKEN,
    GROUP_NOT_FOUND,
    INVALID_TRANSITION,
    ORGANISATION_NOT_FOUND,
)
from nentang.opendata.services.common import SLUG, Errors, actor_of, require_publisher
from nentang.opendata.services.search_index import dataset_reindex

TOKEN_PREFIX = "ntod_"  # noqa: S105 - the visible prefix of every token, no secret
MAX_TAGS = 50
TRANSITIONS = {
    Dataset.State.DRAFT: {Dataset.State.PUBLISHED, Dataset.State.DELETED},
    Dataset.State.PUBLISHED: {Dataset.State.DEPRECATED, Dataset.State.DELETED},
    Dataset.State.DEPRECATED: {Dataset.State.PUBLISHED, Dataset.State.DELETED},
    Dataset.State.DELETED: set(),
}


# --- organisations, groups, publishers, tokens ------------------------------------


def organisation_create(
    *, actor: Actor, name: str, title: str, agency_code: str, description: str = "",
    province_code: str = "",
) -> Organisation:  # fmt: skip
    """A publishing organisation for an agency of the identity context."""
    errors = Errors()
    if not SLUG.fullmatch(name or "") or len(name) > 100:
        errors.add(
            "name", _("Lower-case letters, digits, hyphens and underscores."), "invalid_format"
        )
    title = clean(title or "")
    if not 1 <= len(title) <= 200:
        errors.add("title", _("Give a title of 1 to 200 characters."), "required")
    if not agency_code:
        errors.add("agency_code", _("Choose the agency that publishes."), "required")
    errors.raise_if_any()
    with transaction.atomic():
        if (
            Organisation.objects.filter(name=name).exists()
            or Organisation.objects.filter(agency_code=agency_code).exists()
        ):
            raise Conflict(_("This organisation or agency is already registered."))
        organisation = Organisation.objects.create(
            name=name, title=title, agency_code=agency_code, description=clean(description),
            province_code=province_code, created_at=timezone.now(),
        )  # fmt: skip
        auditing.record(
            actor=actor, action="opendata.organisation.create",
            subject_type="opendata.organisation", subject=str(organisation.public_id),
            summary={"name": name, "agency": agency_code},
        )  # fmt: skip
    return organisation


def group_create(*, actor: Actor, name: str, title: str, description: str = "") -> Group:
    errors = Errors()
    if not SLUG.fullmatch(name or "") or len(name) > 100:
        errors.add(
            "name", _("Lower-case letters, digits, hyphens and underscores."), "invalid_format"
        )
    title = clean(title or "")
    if not 1 <= len(title) <= 200:
        errors.add("title", _("Give a title of 1 to 200 characters."), "required")
    errors.raise_if_any()
    with transaction.atomic():
        if Group.objects.filter(name=name).exists():
            raise Conflict(_("A group with this name exists."))
        group = Group.objects.create(
            name=name, title=title, description=clean(description), created_at=timezone.now()
        )
        auditing.record(
            actor=actor, action="opendata.group.create", subject_type="opendata.group",
            subject=str(group.public_id), summary={"name": name},
        )  # fmt: skip
    return group


def publisher_grant(
    *, actor: Actor, account: Any, organisation_name: str, role: str = "admin"
) -> Publisher:
    """Let an e-ID staff account publish for an organisation."""
    organisation = Organisation.objects.filter(name=organisation_name).first()
    if organisation is None:
        raise NotFound(_("No organisation has this name."), code=ORGANISATION_NOT_FOUND)
    errors = Errors()
    if role not in Publisher.Role.values:
        errors.add("role", _("Unknown role."), "invalid_choice")
    errors.raise_if_any()
    with transaction.atomic():
        publisher, created = Publisher.objects.get_or_create(
            account=account, organisation=organisation,
            defaults={"role": role, "created_at": timezone.now()},
        )  # fmt: skip
        if not created and (publisher.role != role or not publisher.is_active):
            publisher.role, publisher.is_active = role, True
            publisher.save(update_fields=["role", "is_active"])
        auditing.record(
            actor=actor, action="opendata.publisher.grant", subject_type="opendata.publisher",
            subject=str(publisher.id), summary={"organisation": organisation.name, "role": role},
        )  # fmt: skip
    return publisher


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def api_token_create(*, account: Any, name: str) -> tuple[ApiToken, str]:
    """A new API token of a publisher; the plain token is returned once, never stored."""
    errors = Errors()
    label = clean(name or "")
    if not 1 <= len(label) <= 100:
        errors.add("name", _("Give the token a name of 1 to 100 characters."), "required")
    if not Publisher.objects.filter(account=account, is_active=True).exists():
        errors.add("account", _("Only publishers have API tokens."), "not_publisher")
    errors.raise_if_any()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            account=account, name=label, digest=token_digest(plain), created_at=timezone.now()
        )
        auditing.record(
            actor=actor_of(account), action="opendata.token.create",
            subject_type="opendata.token", subject=str(token.public_id), summary={"name": label},
        )  # fmt: skip
    return token, plain


def api_token_revoke(*, account: Any, token_id: str) -> None:
    with transaction.atomic():
        token = (
            ApiToken.objects.select_for_update()
            .filter(public_id=token_id, account=account, revoked_at=None)
            .first()
        )
        if token is None:
            raise NotFound(_("No live token of yours has this id."))
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        auditing.record(
            actor=actor_of(account), action="opendata.token.revoke",
            subject_type="opendata.token", subject=str(token.public_id),
        )  # fmt: skip


# --- datasets ---------------------------------------------------------------------


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
        dataset.province_codes = " ".join(sorted({str(c)[:2] for c in fields["spatial_codes"]}))


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
    organisation = fields["organisation"]
    require_publisher(account, organisation, what="opendata.dataset.create")
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
            actor=actor_of(account), action="opendata.dataset.create",
            subject_type="opendata.dataset", subject=str(dataset.public_id),
            summary={"name": dataset.name, "organisation": organisation.name},
        )  # fmt: skip
        for position, resource in enumerate(data.get("resources") or []):
            if isinstance(resource, Mapping):
                _resource_create(account, dataset, resource, position)
        if publish:
            _transition(account, dataset, Dataset.State.PUBLISHED, admin_check=False)
        dataset_reindex(dataset)
    return dataset


def dataset_update(
    *, account: Any, dataset: Dataset, data: Mapping[str, Any], partial: bool
) -> Dataset:
    """``package_update`` (every field, missing ones reset) or ``package_patch``."""
    require_publisher(account, dataset.organisation, what="opendata.dataset.update")
    if dataset.state == Dataset.State.DELETED:
        raise Conflict(_("A deleted dataset cannot be changed."), code=INVALID_TRANSITION)
    data = dict(data)
    if partial:
        data.pop("id", None)
    elif "name" not in data:
        data["name"] = dataset.name
    fields = _dataset_fields(data, existing=dataset, partial=partial)
    if "organisation" in fields and fields["organisation"] != dataset.organisation:
        require_publisher(account, fields["organisation"], what="opendata.dataset.move")
    with transaction.atomic():
        locked = Dataset.objects.select_for_update().get(pk=dataset.pk)
        _apply(locked, fields)
        locked.modified_at = timezone.now()
        locked.save()
        _relations(locked, fields)
        if "resources" in data and isinstance(data["resources"], list):
            _resources_replace(account, locked, data["resources"])
        auditing.record(
            actor=actor_of(account), action="opendata.dataset.update",
            subject_type="opendata.dataset", subject=str(locked.public_id),
            summary={"fields": sorted(fields)},
        )  # fmt: skip
        state = data.get("state")
        if state == "active" and locked.state == Dataset.State.DRAFT:
            _transition(account, locked, Dataset.State.PUBLISHED, admin_check=True)
        dataset_reindex(locked)
    return locked


def _transition(account: Any, dataset: Dataset, to: str, *, admin_check: bool) -> None:
    if admin_check:
        require_publisher(account, dataset.organisation, what=f"opendata.dataset.{to}", admin=True)
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
        actor=actor_of(account), action=f"opendata.dataset.{to}",
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
        _transition(account, locked, to, admin_check=False)
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


# --- resources --------------------------------------------------------------------


def _resource_fields(data: Mapping[str, Any], errors: Errors, *, partial: bool) -> dict[str, Any]:
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


def _resource_create(
    account: Any, dataset: Dataset, data: Mapping[str, Any], position: int
) -> Resource:
    errors = Errors()
    fields = _resource_fields(data, errors, partial=False)
    errors.raise_if_any()
    now = timezone.now()
    resource = Resource.objects.create(
        dataset=dataset, position=position, created_at=now, modified_at=now, **fields
    )
    auditing.record(
        actor=actor_of(account), action="opendata.resource.create",
        subject_type="opendata.resource", subject=str(resource.public_id),
        summary={"dataset": str(dataset.public_id), "format": resource.format},
    )  # fmt: skip
    _formats_refresh(dataset)
    return resource


def _formats_refresh(dataset: Dataset) -> None:
    formats = sorted({f for f in dataset.resources.values_list("format", flat=True) if f})
    Dataset.objects.filter(pk=dataset.pk).update(formats=" ".join(formats)[:200])


def _resources_replace(account: Any, dataset: Dataset, items: list[Any]) -> None:
    keep: list[int] = []
    for position, item in enumerate(items):
        if not isinstance(item, Mapping):
            continue
        existing = None
        if item.get("id"):
            existing = dataset.resources.filter(public_id=str(item["id"])).first()
        if existing is None:
            keep.append(_resource_create(account, dataset, item, position).pk)
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
        resource = _resource_create(account, dataset, data, position)
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
        resource.delete()
        _formats_refresh(dataset)
        auditing.record(
            actor=actor_of(account), action="opendata.resource.delete",
            subject_type="opendata.resource", subject=public_id,
        )  # fmt: skip
