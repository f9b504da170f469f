"""JSON API of the smartcity context at ``/api/v1/smartcity/`` (mounted by config/urls.py):
citizen reports ("phản ánh hiện trường") for the cities' mobile apps.

A citizen's app calls it with an access token of our OpenID provider issued for the
person (authorization-code grant) with the scope ``smartcity.reports``: report a problem
with a photo and a place, list their reports, follow one and rate the city's answer.
A report of anyone else is the same 404 ``city_report_not_found`` as one that does not
exist. Each operation parses, authorises, calls one service or selector and serialises;
errors are problem+json (``kernel.errors``); the create honours ``Idempotency-Key``
(``kernel.idempotency``), whose key is also the report's own key, so a retry after a
lost answer finds the first report even once the kernel's record has expired; lists use
cursor pagination (``kernel.pagination``). The cities, categories and wards an app
offers are public (no token).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Router, Schema, Status
from ninja.decorators import decorate_view
from pydantic import Field

from nentang.identity import selectors as identity
from nentang.kernel.api import Problem
from nentang.kernel.errors import FieldError, Unauthorized, ValidationFailed
from nentang.kernel.idempotency import (
    HEADER,
    IDEMPOTENCY_OPENAPI,
    OncePerRequestBearer,
    idempotent,
    parse_key,
)
from nentang.kernel.pagination import CursorQuery, LimitQuery, paginate
from nentang.smartcity import services
from nentang.smartcity.models import Report
from nentang.smartcity.selectors import reports as selectors
from nentang.smartcity.services.ratings import CLOSED
from nentang.smartcity.services.reports import MAX_PHOTO_BYTES, city_bounds
from nentang.smartcity.views.reports import STATES, STEP_TITLES, category_label

SCOPE = "smartcity.reports"
router = Router(tags=["smartcity"])
ERRORS: dict[int, Any] = {400: Problem, 401: Problem, 404: Problem, 409: Problem, 422: Problem}
# base64 of a 5 MB photo, with room for a data: URL prefix.
MAX_PHOTO_TEXT = (MAX_PHOTO_BYTES + 2) // 3 * 4 + 100


@dataclass(frozen=True)
class Citizen:
    account: Any
    client_id: str


class CitizenAuth(OncePerRequestBearer):
    """A person's access token with the scope ``smartcity.reports``."""

    def authenticate(self, request: HttpRequest, token: str) -> Citizen | None:
        held = identity.person_token_caller(token=token, scope=SCOPE)
        if held is None:
            raise Unauthorized(
                _("The access token is unknown, expired, revoked or lacks the scope “%(s)s”.")
                % {"s": SCOPE},
                code="invalid_token",
                headers={"WWW-Authenticate": 'Bearer realm="nentang", error="invalid_token"'},
            )
        return Citizen(account=held.account, client_id=held.client_id)


AUTH = [CitizenAuth()]


def citizen(request: HttpRequest) -> Citizen:
    return cast(Citizen, cast(Any, request).auth)


# ----------------------------------------------------------------------------- schemas


class CategoryOut(Schema):
    code: str
    title: str
    sla_hours: int = Field(description="The hours the city answers in.")


class BoundsOut(Schema):
    min_latitude: float
    max_latitude: float
    min_longitude: float
    max_longitude: float


class CityOut(Schema):
    id: str = Field(description="The city's name in the API (its NGSI-LD tenant).")
    title: str
    bounds: BoundsOut | None = Field(
        None, description="Coordinates a report's place must fall within."
    )


class WardOut(Schema):
    code: str
    name: str


class ReportIn(Schema):
    city: str = Field(max_length=40, examples=["hue"])
    category: str = Field(max_length=40, examples=["streetlight"])
    description: str = Field(max_length=20_000, description="10 to 2,000 characters.")
    ward_code: str = Field("", max_length=10, description="A ward of the city, or coordinates.")
    latitude: float | None = None
    longitude: float | None = None
    photo: str | None = Field(
        None,
        max_length=MAX_PHOTO_TEXT,
        description="A JPEG or PNG photo of at most 5 MB, base64 (a `data:` URL is accepted).",
    )


class RatingIn(Schema):
    rating: int = Field(description="1 to 5 stars.")
    comment: str = Field("", max_length=5000, description="At most 1,000 characters.")


class StepOut(Schema):
    action: str
    title: str
    state: str
    at: datetime
    answer: str | None = Field(None, description="The public answer (resolve, reject).")


class ReportSummaryOut(Schema):
    id: uuid.UUID
    city: str
    category: str
    category_title: str
    status: str
    status_title: str
    created_at: datetime
    due_at: datetime
    closed_at: datetime | None


class ReportOut(ReportSummaryOut):
    description: str
    ward_code: str
    ward_name: str
    latitude: float | None
    longitude: float | None
    photo_url: str | None
    answer: str | None
    answer_photo_url: str | None
    updated_at: datetime
    can_rate: bool
    rating: int | None
    rating_comment: str
    steps: list[StepOut]


class ReportListOut(Schema):
    items: list[ReportSummaryOut]
    next_cursor: str | None


def _summary(report: Report) -> dict[str, Any]:
    return {
        "id": report.public_id,
        "city": report.tenant.name,
        "category": report.category_id,
        "category_title": category_label(report.category),
        "status": report.state,
        "status_title": str(STATES[report.state][0]),
        "created_at": report.created_at,
        "due_at": report.due_at,
        "closed_at": report.closed_at,
    }


def _report_out(report: Report) -> ReportOut:
    base = f"/api/v1/smartcity/reports/{report.public_id}"
    closed = report.state in CLOSED
    steps = [
        StepOut(
            action=step.action,
            title=str(STEP_TITLES.get(step.action, step.action)),
            state=step.state,
            at=step.at,
            # An officer's working notes stay inside the city; the answer is public.
            answer=step.note if step.action in ("resolve", "reject") else None,
        )
        for step in selectors.report_steps(report=report)
    ]
    return ReportOut(
        **_summary(report),
        description=report.description,
        ward_code=report.ward_code,
        ward_name=report.ward_name,
        latitude=report.latitude,
        longitude=report.longitude,
        photo_url=f"{base}/photo" if report.photo else None,
        answer=report.answer if closed else None,
        answer_photo_url=f"{base}/answer-photo" if report.answer_photo else None,
        updated_at=report.updated_at,
        can_rate=closed and report.rating is None,
        rating=report.rating,
        rating_comment=report.rating_comment,
        steps=steps,
    )


def _photo_bytes(text: str | None) -> bytes | None:
    """The photo sent as base64 (or a ``data:`` URL); a field error when it is not."""
    if not text:
        return None
    if text.startswith("data:"):
        _prefix, _comma, text = text.partition(",")
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError("photo", _("The photo must be sent as base64."), "invalid_base64")],
        ) from None


def _report_key(request: HttpRequest) -> str:
    """The report's own key (``Report.idempotency_key``, 100 characters): the
    Idempotency-Key when sent (checked by the kernel's wrapper already; a longer one by
    its digest, so two keys never meet in a shared prefix), else a fresh one."""
    raw = request.headers.get(HEADER)
    if not raw:
        return uuid.uuid4().hex
    key = parse_key(raw)
    return key if len(key) <= 100 else "sha256:" + hashlib.sha256(key.encode()).hexdigest()


# ------------------------------------------------------------------------- public lists


@router.get(
    "/cities",
    auth=None,
    response={200: list[CityOut]},
    summary=gettext_noop("The cities that take citizen reports"),
)
def city_list(request: HttpRequest) -> list[CityOut]:
    found = []
    for desk in selectors.desks():
        bounds = city_bounds(desk.tenant.name)
        found.append(
            CityOut(
                id=desk.tenant.name,
                title=desk.tenant.title,
                bounds=BoundsOut(
                    min_latitude=bounds[0],
                    max_latitude=bounds[1],
                    min_longitude=bounds[2],
                    max_longitude=bounds[3],
                )
                if bounds
                else None,
            )
        )
    return found


@router.get(
    "/cities/{city}/wards",
    auth=None,
    response={200: list[WardOut], 404: Problem},
    summary=gettext_noop("The wards and communes a report in this city may name"),
)
def ward_list(request: HttpRequest, city: str) -> list[WardOut]:
    return [WardOut(code=c.code, name=c.name) for c in selectors.city_wards(tenant=city[:40])]


@router.get(
    "/report-categories",
    auth=None,
    response={200: list[CategoryOut]},
    summary=gettext_noop("What a citizen may report, with the hours the city answers in"),
)
def category_list(request: HttpRequest) -> list[CategoryOut]:
    return [
        CategoryOut(code=c.code, title=category_label(c), sla_hours=c.sla_hours)
        for c in selectors.categories()
    ]


# ------------------------------------------------------------------------------ reports


@router.post(
    "/reports",
    auth=AUTH,
    response={201: ReportOut, **ERRORS},
    openapi_extra=IDEMPOTENCY_OPENAPI,
    summary=gettext_noop("Report a problem in a city"),
)
@decorate_view(idempotent)
def report_create(request: HttpRequest, payload: ReportIn) -> Status[ReportOut]:
    """The place is a ward of the city or coordinates inside it (the ward is then found
    from them); the report is routed to the agency responsible for that ward and
    category. Bad fields are a 422 with field errors and nothing is saved."""
    report = services.report_create(
        actor=citizen(request).account,
        tenant=payload.city,
        category=payload.category,
        description=payload.description,
        idempotency_key=_report_key(request),
        ward_code=payload.ward_code,
        latitude=payload.latitude,
        longitude=payload.longitude,
        photo=_photo_bytes(payload.photo),
    )
    return Status(201, _report_out(report))


@router.get(
    "/reports",
    auth=AUTH,
    response={200: ReportListOut, **ERRORS},
    summary=gettext_noop("The caller's reports, newest first"),
)
def report_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = None
) -> ReportListOut:
    page = paginate(
        selectors.reports_mine(actor=citizen(request).account),
        order=("-created_at", "-id"),
        cursor=cursor,
        limit=limit,
    )
    return ReportListOut(
        items=[ReportSummaryOut(**_summary(r)) for r in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/reports/{report_id}",
    auth=AUTH,
    response={200: ReportOut, **ERRORS},
    summary=gettext_noop("One of the caller's reports: its steps and the city's answer"),
)
def report_get(request: HttpRequest, report_id: str) -> ReportOut:
    return _report_out(selectors.report_own(actor=citizen(request).account, report_id=report_id))


@router.post(
    "/reports/{report_id}/rating",
    auth=AUTH,
    response={200: ReportOut, **ERRORS},
    openapi_extra=IDEMPOTENCY_OPENAPI,
    summary=gettext_noop("Rate the city's answer (once, after it answered)"),
)
@decorate_view(idempotent)
def report_rate(request: HttpRequest, report_id: str, payload: RatingIn) -> ReportOut:
    """The same rating again changes nothing; another one, or rating an open report, is
    a 409 ``city_report_rating_not_allowed``."""
    report = services.report_rate(
        actor=citizen(request).account,
        report_id=report_id,
        rating=payload.rating,
        comment=payload.comment,
    )
    return _report_out(report)


_IMAGE = {
    "responses": {
        "200": {
            "description": "OK",
            "content": {
                "image/jpeg": {"schema": {"type": "string", "format": "binary"}},
                "image/png": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


def _photo(request: HttpRequest, report_id: str, *, answer: bool) -> FileResponse:
    name = selectors.photo_for(actor=citizen(request).account, report_id=report_id, answer=answer)
    response = FileResponse(default_storage.open(name, "rb"))
    response["Content-Type"] = "image/png" if name.endswith(".png") else "image/jpeg"
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get(
    "/reports/{report_id}/photo",
    auth=AUTH,
    response={404: Problem, 401: Problem},
    openapi_extra=_IMAGE,
    summary=gettext_noop("The photo sent with the caller's report"),
)
def report_photo(request: HttpRequest, report_id: str) -> FileResponse:
    return _photo(request, report_id, answer=False)


@router.get(
    "/reports/{report_id}/answer-photo",
    auth=AUTH,
    response={404: Problem, 401: Problem},
    openapi_extra=_IMAGE,
    summary=gettext_noop("The photo of the work done, sent with the city's answer"),
)
def report_answer_photo(request: HttpRequest, report_id: str) -> FileResponse:
    return _photo(request, report_id, answer=True)
