"""Harvesting other catalogues (CKAN's harvester, without its gather/fetch/import
queues): a source names a CKAN site or a DCAT file and the organisation of ours that
republishes its datasets; a run reads the source and creates, updates or withdraws
the copies.

* **Idempotent**: each copy has a :class:`HarvestRecord` (source, remote id) — unique,
  so a dataset is never copied twice — holding the hash of what was read; an unchanged
  dataset is not touched, a changed one is updated, one the source no longer lists is
  withdrawn (deleted, as CKAN's harvester does).
* **One run per source at a time**: a lease on the source (``running_since``) taken
  with a conditional UPDATE, so two workers never harvest the same source together.
* **Provenance**: the record, the run, the ``harvest_*`` extras shown by
  ``package_show`` and the audit entries of every write (actor ``opendata-harvest``).
* **Scheduled** through the kernel's tasks: ``tasks.harvest_due`` runs the sources
  that are due and queues itself again (see :func:`harvest_schedule`).
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, NotFound, ProblemError
from nentang.kernel.outbound import OutboundError, check_url
from nentang.kernel.scheduling import task_enqueue_unless_waiting
from nentang.kernel.text import clean
from nentang.opendata.models import (
    Dataset,
    HarvestRecord,
    HarvestRun,
    HarvestSource,
    Licence,
    Organisation,
)
from nentang.opendata.problems import HARVEST_SOURCE_TAKEN, ORGANISATION_NOT_FOUND
from nentang.opendata.services.catalogue import (
    dataset_create_for_platform,
    dataset_transition_for_platform,
    dataset_update_for_platform,
)
from nentang.opendata.services.common import SLUG, Errors, actor_of, require_publisher

if TYPE_CHECKING:
    # Its DCAT half imports rdflib (~0.3 s of a core): loaded when a harvest runs.
    from nentang.opendata.services import harvest_read

logger = logging.getLogger("nentang.opendata.harvest")
HARVESTER = Actor.system("opendata-harvest")
INTERVALS = {"daily": datetime.timedelta(days=1), "weekly": datetime.timedelta(days=7),
             "monthly": datetime.timedelta(days=30)}  # fmt: skip
LEASE = datetime.timedelta(hours=2)
SCHEDULE_EVERY = datetime.timedelta(hours=1)
MAX_ERRORS = 50
# The fields a harvested dataset can be refused on, as the publisher reads them.
FIELD_LABELS = {
    "name": gettext_lazy("Name"), "title": gettext_lazy("Title"),
    "notes": gettext_lazy("Description"), "license_id": gettext_lazy("Licence"),
    "tags": gettext_lazy("Keywords"), "groups": gettext_lazy("Themes"),
    "version": gettext_lazy("Version"), "frequency": gettext_lazy("Update frequency"),
    "maintainer": gettext_lazy("Contact name"), "maintainer_email": gettext_lazy("Contact e-mail"),
    "owner_org": gettext_lazy("Organisation"), "spatial": gettext_lazy("Spatial coverage"),
    "temporal_start": gettext_lazy("Start of the period covered"),
    "temporal_end": gettext_lazy("End of the period covered"),
    "extras": gettext_lazy("Extra fields"), "resources": gettext_lazy("Data and files"),
    "url": gettext_lazy("Link"), "format": gettext_lazy("Format"),
    "size": gettext_lazy("Size"),
}  # fmt: skip


def field_label(field: str) -> str:
    """A field of a refused dataset as the publisher reads it (``resources[2].url`` →
    "Link")."""
    key = field.rsplit(".", 1)[-1].split("[", 1)[0]
    label = FIELD_LABELS.get(key)
    return str(label) if label is not None else field


def _dataset_failure(remote_id: str, error: ProblemError | DatabaseError) -> dict[str, Any]:
    """One refused dataset of a run: a Vietnamese message, field by field when our
    validation refused it."""
    if isinstance(error, DatabaseError):
        logger.warning("harvested dataset %s not saved", remote_id, exc_info=error)
        return {
            "remote_id": remote_id, "code": "not_saved",
            "error": _("The dataset could not be saved; the next harvest tries again."),
        }  # fmt: skip
    fields = [
        {"field": e.field, "label": field_label(e.field), "message": str(e.message)}
        for e in getattr(error, "errors", ())
    ]
    summary = "; ".join(f"{f['label']}: {f['message']}" for f in fields)
    failure: dict[str, Any] = {
        "remote_id": remote_id, "code": error.code,
        "error": summary or str(error.detail or _("The dataset was refused."))[:500],
    }  # fmt: skip
    if fields:
        failure["fields"] = fields
    return failure


def harvest_source_create(
    *, account: Any, name: str, title: str, url: str, kind: str, organisation_name: str,
    frequency: str = "daily",
) -> HarvestSource:  # fmt: skip
    """A source harvested into ``organisation_name`` (its publisher admins only). The
    URL must be one the outbound client may reach (no private address: SSRF)."""
    organisation = Organisation.objects.filter(name=organisation_name or "").first()
    if organisation is None:
        raise NotFound(_("No organisation has this name."), code=ORGANISATION_NOT_FOUND)
    require_publisher(account, organisation, what="opendata.harvest.create", admin=True)
    errors = Errors()
    if not SLUG.fullmatch(name or "") or len(name) > 100:
        errors.add(
            "name", _("Lower-case letters, digits, hyphens and underscores."), "invalid_format"
        )
    title = clean(title or "")
    if not 1 <= len(title) <= 200:
        errors.add("title", _("Give a title of 1 to 200 characters."), "required")
    if kind not in HarvestSource.Kind.values:
        errors.add("kind", _("Choose CKAN or DCAT."), "invalid_choice")
    if frequency not in HarvestSource.Frequency.values:
        errors.add("frequency", _("Unknown harvest frequency."), "invalid_choice")
    url = (url or "").strip()
    if len(url) > 1000 or not url.startswith(("http://", "https://")):
        errors.add("url", _("A link starts with http:// or https://."), "invalid_url")
    else:
        try:
            check_url(url)
        except OutboundError:
            errors.add("url", _("This address may not be reached from the platform."), "blocked")
    errors.raise_if_any()
    now = timezone.now()
    with transaction.atomic():
        try:
            with transaction.atomic():
                source = HarvestSource.objects.create(
                    name=name, title=title, url=url, kind=kind, organisation=organisation,
                    frequency=frequency, created_at=now,
                    next_run_at=None if frequency == "manual" else now,
                )  # fmt: skip
        except IntegrityError:
            raise Conflict(
                _("A harvest source with this name exists."), code=HARVEST_SOURCE_TAKEN
            ) from None
        auditing.record(
            actor=actor_of(account), action="opendata.harvest.create",
            subject_type="opendata.harvest_source", subject=str(source.public_id),
            summary={"name": name, "kind": kind, "organisation": organisation.name},
        )  # fmt: skip
        transaction.on_commit(harvest_schedule)
    return source


def harvest_queue(*, account: Any, source: HarvestSource) -> None:
    """Queue a run of ``source`` now (its organisation's publisher admins)."""
    require_publisher(account, source.organisation, what="opendata.harvest.run", admin=True)
    from nentang.opendata.tasks import harvest  # a task module: no UI import

    with transaction.atomic():
        auditing.record(
            actor=actor_of(account), action="opendata.harvest.queue",
            subject_type="opendata.harvest_source", subject=str(source.public_id),
        )  # fmt: skip
        transaction.on_commit(lambda: harvest.enqueue(str(source.public_id)))


def _take_lease(source: HarvestSource, now: datetime.datetime) -> bool:
    free = Q(running_since__isnull=True) | Q(running_since__lt=now - LEASE)
    return bool(HarvestSource.objects.filter(free, pk=source.pk).update(running_since=now))


def _input(source: HarvestSource, entry: harvest_read.Entry, licences: set[str]) -> dict[str, Any]:
    data = dict(entry.data)
    remote_modified = data.pop("remote_modified", "")
    data["owner_org"] = source.organisation.name
    if data.get("license_id") not in licences:
        data["license_id"] = "notspecified"
    data["extras"] = {
        "harvest_source": source.name, "harvest_source_title": source.title,
        "harvest_url": entry.remote_url, "harvest_remote_id": entry.remote_id,
        "harvest_remote_modified": remote_modified,
    }  # fmt: skip
    return data


def _free_name(source: HarvestSource, wanted: str) -> str:
    """The remote name, unless one of our own datasets has it."""
    taken = Dataset.objects.filter(name=wanted).exclude(harvest__source=source).exists()
    return f"{source.name}-{wanted}"[:100].rstrip("-_") if taken else wanted


def _harvest_one(
    source: HarvestSource, run: HarvestRun, entry: harvest_read.Entry, licences: set[str]
) -> str:
    """Create, update or leave one dataset; returns which (one transaction)."""
    digest = entry.content_hash
    now = timezone.now()
    with transaction.atomic():
        record = (
            HarvestRecord.objects.select_for_update()
            .select_related("dataset")
            .filter(source=source, remote_id=entry.remote_id)
            .first()
        )
        if (
            record is not None
            and record.content_hash == digest
            and record.dataset.state != Dataset.State.DELETED
        ):
            return "unchanged"
        data = _input(source, entry, licences)
        if record is None or record.dataset.state == Dataset.State.DELETED:
            data["name"] = _free_name(source, str(data["name"]))
            if record is not None:  # withdrawn earlier, listed again: a new copy
                record.dataset.name = f"{record.dataset.name}-{record.dataset.pk}"[:100]
                Dataset.objects.filter(pk=record.dataset.pk).update(name=record.dataset.name)
            dataset = dataset_create_for_platform(actor=HARVESTER, data=data)
            HarvestRecord.objects.update_or_create(
                source=source, remote_id=entry.remote_id,
                defaults={"dataset": dataset, "remote_url": entry.remote_url,
                          "content_hash": digest, "harvested_at": now, "run": run},
            )  # fmt: skip
            return "created"
        data["name"] = record.dataset.name
        dataset_update_for_platform(actor=HARVESTER, dataset=record.dataset, data=data)
        record.content_hash, record.harvested_at, record.run = digest, now, run
        record.remote_url = entry.remote_url
        record.save(update_fields=["content_hash", "harvested_at", "run", "remote_url"])
        return "updated"


def _withdraw(source: HarvestSource, seen: set[str]) -> int:
    gone = HarvestRecord.objects.filter(source=source).exclude(remote_id__in=seen)
    count = 0
    for record in gone.select_related("dataset").exclude(dataset__state=Dataset.State.DELETED):
        dataset_transition_for_platform(
            actor=HARVESTER, dataset=record.dataset, to=Dataset.State.DELETED
        )
        count += 1
    return count


def _entries(source: HarvestSource) -> Iterable[harvest_read.Entry]:
    from nentang.opendata.services import harvest_read

    if source.kind == HarvestSource.Kind.CKAN:
        return harvest_read.read_ckan(source.url)
    return harvest_read.read_dcat(source.url)


def harvest_run(*, source_id: str) -> HarvestRun | None:
    """Harvest one source now; ``None`` when another run of it holds the lease. Its
    errors are kept in the platform's language (Vietnamese), whoever started it."""
    with translation.override(settings.LANGUAGE_CODE):
        return _harvest_run(source_id)


def _harvest_run(source_id: str) -> HarvestRun | None:
    from nentang.opendata.services import harvest_read

    source = HarvestSource.objects.select_related("organisation").get(public_id=source_id)
    now = timezone.now()
    if not _take_lease(source, now):
        return None
    run = HarvestRun.objects.create(source=source, started_at=now)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    errors: list[dict[str, str]] = []
    seen: set[str] = set()
    licences = set(Licence.objects.values_list("id", flat=True))
    status = HarvestRun.Status.DONE
    try:
        for entry in _entries(source):
            seen.add(entry.remote_id)
            try:
                counts[_harvest_one(source, run, entry, licences)] += 1
            except (ProblemError, DatabaseError) as error:
                counts["failed"] += 1
                if len(errors) < MAX_ERRORS:
                    errors.append(_dataset_failure(entry.remote_id, error))
        withdrawn = _withdraw(source, seen)
    except harvest_read.HarvestReadError as error:
        # Nothing is withdrawn when the source could not be read to its end.
        status, withdrawn = HarvestRun.Status.FAILED, 0
        errors.append({"remote_id": "", "code": error.code, "error": str(error)[:500]})
    finished = timezone.now()
    with transaction.atomic():
        HarvestRun.objects.filter(pk=run.pk).update(
            status=status, finished_at=finished, withdrawn=withdrawn, errors=errors, **counts
        )
        interval = INTERVALS.get(source.frequency)
        HarvestSource.objects.filter(pk=source.pk).update(
            running_since=None, next_run_at=finished + interval if interval else None
        )
        auditing.record(
            actor=HARVESTER, action="opendata.harvest.run",
            subject_type="opendata.harvest_source", subject=str(source.public_id),
            summary={"run": str(run.public_id), "status": status, "withdrawn": withdrawn,
                     **counts},
        )  # fmt: skip
    run.refresh_from_db()
    return run


def harvest_run_due(*, now: datetime.datetime | None = None) -> list[HarvestRun]:
    """Harvest every active source whose next run is due (the scheduled task)."""
    now = now or timezone.now()
    due = HarvestSource.objects.filter(is_active=True, next_run_at__lte=now).order_by("name")
    runs = []
    for source_id in list(due.values_list("public_id", flat=True)):
        try:
            run = harvest_run(source_id=str(source_id))
        except DatabaseError:
            logger.exception("harvest of %s failed", source_id)
            continue
        if run is not None:
            runs.append(run)
    return runs


def harvest_schedule(*, run_after: datetime.datetime | None = None) -> bool:
    """Queue the harvest task unless one is waiting already; True when queued."""
    from nentang.opendata.tasks import harvest_due

    return task_enqueue_unless_waiting(harvest_due, run_after=run_after)
