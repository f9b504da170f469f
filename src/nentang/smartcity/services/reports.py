"""Citizen reports ("phản ánh hiện trường", as Huế-S and Đà Nẵng's 1022): a citizen
reports a problem in a city; the officers of the city's agency (its ``CityDesk``)
triage, assign, work on and resolve or reject it with a public answer.

Every write is one transaction with its audit entry, and keeps the report's NGSI-LD
``IssueReporting`` entity (Smart Data Models naming) in the city's tenant up to date;
that entity carries no personal data (no reporter, no description, no photo).
Object-level rules: a report is seen by its reporter and the officers of its city's
agency only; anyone else gets a 404.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.addresses import selectors as addresses
from nentang.identity import selectors as identity
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from nentang.kernel.throttle import throttle_take
from nentang.smartcity.models import CityDesk, Report, ReportCategory, ReportStep, Tenant
from nentang.smartcity.ngsild.contexts import core_terms
from nentang.smartcity.problems import (
    REPORT_ACTION_NOT_ALLOWED,
    REPORT_CITY_NOT_FOUND,
    REPORT_NOT_FOUND,
)
from nentang.smartcity.services import routing
from nentang.smartcity.services.common import Caller
from nentang.smartcity.services.routing import staff_of

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_DESCRIPTION = 2000
# Valid new reports per person per hour (a replay of a key is not counted): a citizen
# reports a few problems on a walk; a script flooding the city's desk meets the limit.
REPORTS_PER_HOUR = 10
PHOTOS = "city-reports"
_PHOTO_TYPES = ((b"\xff\xd8\xff", "jpg"), (b"\x89PNG\r\n\x1a\n", "png"))
SYSTEM = Caller.system("smartcity-reports")

# action → (states it starts from, state it leads to)
ACTIONS: dict[str, tuple[frozenset[str], str]] = {
    "triage": (frozenset({"received"}), "triaged"),
    "assign": (frozenset({"triaged", "assigned"}), "assigned"),
    "start": (frozenset({"assigned"}), "in_progress"),
    "resolve": (frozenset({"triaged", "assigned", "in_progress"}), "resolved"),
    "reject": (frozenset({"received", "triaged", "assigned", "in_progress"}), "rejected"),
}
OPEN_STATES = ("received", "triaged", "assigned", "in_progress")
# Report states → the ``status`` of a Smart Data Models IssueReporting.
NGSI_STATUS = {
    "received": "open",
    "triaged": "acknowledged",
    "assigned": "acknowledged",
    "in_progress": "inProgress",
    "resolved": "closed",
    "rejected": "rejected",
}


class _Errors:
    def __init__(self) -> None:
        self.items: list[FieldError] = []

    def add(self, name: str, message: str, code: str = "invalid") -> None:
        self.items.append(FieldError(field=name, message=message, code=code))

    def raise_if_any(self) -> None:
        if self.items:
            raise ValidationFailed(_("Some fields are invalid."), errors=self.items)


def desk_set(*, actor: Actor, tenant: str, agency_code: str, province_code: str) -> CityDesk:
    """Name the agency that answers a city's reports (idempotent)."""
    with transaction.atomic():
        row = Tenant.objects.get(name=tenant)
        agency = identity.agency_get(code=agency_code)
        desk = CityDesk.objects.filter(tenant=row).first()
        if (
            desk is not None
            and desk.agency_id == agency.code
            and desk.province_code == province_code
        ):
            return desk
        desk, _created = CityDesk.objects.update_or_create(
            tenant=row, defaults={"agency": agency, "province_code": province_code}
        )
        auditing.record(
            actor=actor,
            action="smartcity.desk.set",
            subject_type="smartcity.tenant",
            subject=tenant,
            summary={"agency": agency.code, "province": province_code},
        )
    return desk


def _photo_type(errors: _Errors, content: bytes | None) -> str:
    if not content:
        return ""
    if len(content) > MAX_PHOTO_BYTES:
        errors.add("photo", _("The photo is larger than 5 MB."), "too_large")
        return ""
    for magic, extension in _PHOTO_TYPES:
        if content.startswith(magic):
            return extension
    errors.add("photo", _("The photo must be a JPEG or PNG image."), "invalid_type")
    return ""


def _store_photo(photo: bytes | None, extension: str) -> str:
    """Save a checked photo in private storage (mode 0600); its storage name, or ""."""
    if not photo or not extension:
        return ""
    today = timezone.localdate()
    name = f"{PHOTOS}/{today:%Y/%m}/{uuid.uuid4().hex}.{extension}"
    return str(default_storage.save(name, ContentFile(photo)))


def _coordinate(errors: _Errors, name: str, raw: Any, low: float, high: float) -> float | None:
    text = str(raw if raw is not None else "").strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        errors.add(name, _("Enter a number, e.g. 16.4637."), "invalid")
        return None
    if not low <= value <= high:
        errors.add(name, _("This place is outside the city."), "outside_city")
        return None
    return value


def city_bounds(tenant: str) -> tuple[float, float, float, float] | None:
    """(min_lat, max_lat, min_lon, max_lon) of a demo city, from its sensors' spread."""
    from nentang.smartcity import simulate

    city = simulate.CITIES.get(tenant)
    if city is None:
        return None
    _title, lon, lat, spread = city
    margin = spread * 4
    return (lat - margin, lat + margin, lon - margin, lon + margin)


def report_create(
    *,
    actor: Any,
    tenant: str,
    category: str,
    description: str,
    idempotency_key: str,
    ward_code: str = "",
    latitude: Any = None,
    longitude: Any = None,
    photo: bytes | None = None,
) -> Report:
    """A citizen reports a problem. The same ``idempotency_key`` from the same person
    returns the first report (a retried form submission creates nothing)."""
    person = identity.person_own(actor=actor)
    desk = CityDesk.objects.select_related("tenant").filter(tenant__name=tenant).first()
    if desk is None:
        raise NotFound(_("No city takes reports under this name."), code=REPORT_CITY_NOT_FOUND)
    key = (idempotency_key or "").strip()[:100]
    if key:
        existing = Report.objects.filter(reporter=person, idempotency_key=key).first()
        if existing is not None:
            return existing
    errors = _Errors()
    if not key:
        errors.add("idempotency_key", _("The form is missing its key; reload the page."))
    chosen = ReportCategory.objects.filter(code=category or "", is_active=True).first()
    if chosen is None:
        errors.add("category", _("Choose what the problem is."), "required")
    text = " ".join((description or "").split())
    if len(text) < 10:
        errors.add("description", _("Describe the problem in at least 10 characters."), "short")
    elif len(text) > MAX_DESCRIPTION:
        errors.add(
            "description", _("At most %(n)s characters.") % {"n": MAX_DESCRIPTION}, "too_long"
        )
    ward_name = ""
    ward = (ward_code or "").strip()
    if ward:
        commune = addresses.commune_list(province_code=desk.province_code).filter(code=ward).first()
        if commune is None:
            errors.add("ward_code", _("Choose a ward of this city."), "invalid_choice")
        else:
            ward_name = commune.name
    bounds = city_bounds(tenant) or (-90.0, 90.0, -180.0, 180.0)
    lat = _coordinate(errors, "latitude", latitude, bounds[0], bounds[1])
    lon = _coordinate(errors, "longitude", longitude, bounds[2], bounds[3])
    if (lat is None) != (lon is None) and not errors.items:
        errors.add("longitude", _("Enter both the latitude and the longitude."), "required")
    if (
        not ward
        and lat is None
        and lon is None
        and not any(e.field in ("latitude", "longitude") for e in errors.items)
    ):
        errors.add(
            "ward_code", _("Choose the ward, or type the coordinates of the place."), "required"
        )
    extension = _photo_type(errors, photo)
    errors.raise_if_any()
    assert chosen is not None
    throttle_take(
        "smartcity.report", str(person.id), limit=REPORTS_PER_HOUR, window=timedelta(hours=1),
        message=_("You have sent too many reports."),
    )  # fmt: skip
    if not ward and lat is not None and lon is not None:
        ward, ward_name = routing.ward_at(
            province_code=desk.province_code, latitude=lat, longitude=lon
        )
    route = routing.route_for(desk=desk, ward_code=ward, category=chosen.code)
    stored = _store_photo(photo, extension)
    moment = timezone.now()
    try:
        with transaction.atomic():
            report = Report.objects.create(
                tenant=desk.tenant,
                reporter=person,
                category=chosen,
                description=text,
                ward_code=ward,
                ward_name=ward_name,
                latitude=lat if lon is not None else None,
                longitude=lon if lat is not None else None,
                photo=stored,
                agency=route.agency,
                routed_by=route.how,
                idempotency_key=key,
                created_at=moment,
                updated_at=moment,
                due_at=moment + timedelta(hours=chosen.sla_hours),
            )
            ReportStep.objects.create(report=report, action="create", state="received", at=moment)
            auditing.record(
                actor=Actor.person(str(person.id)),
                action="smartcity.report.create",
                subject_type="smartcity.report",
                subject=str(report.public_id),
                summary={
                    "tenant": tenant,
                    "category": chosen.code,
                    "photo": bool(stored),
                    "agency": route.agency.code,
                    "routed_by": route.how,
                },
            )
            _publish(report)
    except IntegrityError:
        if stored:
            default_storage.delete(stored)
        existing = Report.objects.filter(reporter=person, idempotency_key=key).first()
        if existing is None:
            raise
        return existing
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    if stored:
        _sweep_later()
    return report


def _sweep_later() -> None:
    """A stored photo: make sure the daily sweeper of orphan photos is queued."""
    from nentang.smartcity.services.photos import SWEEP_INTERVAL, photos_sweep_schedule

    transaction.on_commit(
        lambda: photos_sweep_schedule(run_after=timezone.now() + SWEEP_INTERVAL), robust=True
    )


def entity_id(report: Report) -> str:
    return f"urn:ngsi-ld:IssueReporting:{report.public_id}"


def entity_of(report: Report) -> dict[str, Any]:
    """The report as an NGSI-LD IssueReporting entity: no personal data."""
    entity: dict[str, Any] = {
        "id": entity_id(report),
        "type": "IssueReporting",
        "category": {"type": "Property", "value": report.category_id},
        "status": {"type": "Property", "value": NGSI_STATUS[report.state]},
        "dateCreated": {"type": "Property", "value": report.created_at.isoformat()},
        "dateModified": {"type": "Property", "value": report.updated_at.isoformat()},
    }
    if report.ward_code:
        entity["address"] = {
            "type": "Property",
            "value": {"addressLocality": report.ward_name, "addressRegion": report.tenant.title},
        }
    if report.latitude is not None and report.longitude is not None:
        entity["location"] = {
            "type": "GeoProperty",
            "value": {"type": "Point", "coordinates": [report.longitude, report.latitude]},
        }
    if report.state in ("resolved", "rejected"):
        entity["resolution"] = {"type": "Property", "value": report.answer}
    return entity


def _publish(report: Report) -> None:
    from nentang.smartcity.services.entities import batch_write

    result = batch_write(
        caller=SYSTEM,
        tenant=report.tenant.name,
        payload=[entity_of(report)],
        terms=core_terms(),
        mode="upsert",
    )
    if result.errors:  # our own entity must always be valid
        raise RuntimeError(f"IssueReporting refused: {result.errors}")


def _officer(actor: Any) -> Any:
    officer = identity.officer_for_account(account=actor)
    if officer is None or not officer.is_active or not actor.is_active:
        return None
    return officer


def report_act(
    *,
    actor: Any,
    report_id: str,
    action: str,
    answer: str = "",
    note: str = "",
    assignee_username: str = "",
    photo: bytes | None = None,
) -> Report:
    """An officer of the city's agency moves a report on (``ACTIONS``); a resolution may
    carry a photo of the work done (JPEG/PNG, private like the report's own photo)."""
    officer = _officer(actor)
    not_found = NotFound(_("No report you may see has this id."), code=REPORT_NOT_FOUND)
    if officer is None:
        raise not_found
    try:
        public = uuid.UUID(str(report_id))
    except ValueError:
        raise not_found from None
    errors = _Errors()
    if action not in ACTIONS:
        errors.add("action", _("Choose an action."), "invalid_choice")
    text = (answer or "").strip()
    if action in ("resolve", "reject") and len(text) < 5:
        errors.add(
            "answer", _("Write the answer the citizen and the public will read."), "required"
        )
    if len(text) > MAX_DESCRIPTION:
        errors.add("answer", _("At most %(n)s characters.") % {"n": MAX_DESCRIPTION}, "too_long")
    assignee: Any = None
    if action == "assign":
        assignee = (
            identity.agency_officers(agency_code=officer.agency_id)
            .filter(account__username=(assignee_username or "").strip())
            .first()
        )
        if assignee is None:
            errors.add("assignee", _("Choose an officer of your agency."), "invalid_choice")
    extension = _photo_type(errors, photo)
    if photo and action != "resolve":
        errors.add("photo", _("A photo goes with the resolution only."), "invalid")
    stored = ""
    try:
        with transaction.atomic():
            report = _act(
                officer, actor, public, action, text, note, assignee, errors, bool(extension)
            )
            if extension and action == "resolve":
                stored = _store_photo(photo, extension)
                report.answer_photo = stored
                report.save(update_fields=["answer_photo"])
            _publish(report)
    except BaseException:
        if stored:
            default_storage.delete(stored)
        raise
    if stored:
        _sweep_later()
    return report


def _act(
    officer: Any,
    actor: Any,
    public: uuid.UUID,
    action: str,
    text: str,
    note: str,
    assignee: Any,
    errors: _Errors,
    with_photo: bool,
) -> Report:
    not_found = NotFound(_("No report you may see has this id."), code=REPORT_NOT_FOUND)
    report = (
        Report.objects.select_for_update(of=("self",))
        .select_related("tenant", "category")
        .filter(staff_of(officer.agency_id), public_id=public)
        .first()
    )
    if report is None:
        raise not_found
    errors.raise_if_any()
    starts, target = ACTIONS[action]
    if report.state not in starts:
        raise Conflict(
            _("This action is not possible in the report's current state."),
            code=REPORT_ACTION_NOT_ALLOWED,
        )
    moment = timezone.now()
    report.state = target
    report.updated_at = moment
    if assignee is not None:
        report.assignee = assignee
    if action in ("resolve", "reject"):
        report.answer = text
        report.closed_at = moment
    report.save()
    ReportStep.objects.create(
        report=report,
        action=action,
        state=target,
        officer=officer,
        note=text or (note or "").strip()[:MAX_DESCRIPTION],
        at=moment,
    )
    auditing.record(
        actor=Actor.officer(actor.username),
        action=f"smartcity.report.{action}",
        subject_type="smartcity.report",
        subject=str(report.public_id),
        summary={"state": target, "agency": officer.agency_id}
        | ({"assignee": assignee.pk} if assignee else {})
        | ({"photo": True} if with_photo and action == "resolve" else {}),
    )
    return report
