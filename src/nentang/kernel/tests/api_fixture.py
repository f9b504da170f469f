"""A small API mounted only by the kernel's tests: it exercises the error handlers,
the idempotency helper and pagination through the real request stack."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.http import HttpRequest
from django.urls import path
from ninja import Field, Router, Schema, Status
from ninja.decorators import decorate_view
from ninja.errors import AuthenticationError, Throttled
from ninja.security import HttpBearer

from nentang.kernel.api import Problem, create_api
from nentang.kernel.errors import Conflict, FieldError, Forbidden, NotFound, ValidationFailed
from nentang.kernel.idempotency import IDEMPOTENCY_OPENAPI, idempotent
from nentang.kernel.models import CalendarDay
from nentang.kernel.pagination import PageOut, paginate

router = Router()


class DayIn(Schema):
    date: datetime.date
    name: str = Field(min_length=2, max_length=200)
    weight: int = Field(default=1, ge=1, le=10)


class DayOut(Schema):
    id: int
    date: datetime.date
    name: str


@router.post("/days", response={201: DayOut, 409: Problem}, openapi_extra=IDEMPOTENCY_OPENAPI)
@decorate_view(idempotent)
def day_create(request: HttpRequest, payload: DayIn) -> Status[CalendarDay]:
    with transaction.atomic():
        if CalendarDay.objects.filter(date=payload.date).exists():
            raise Conflict("That day is already in the calendar.", code="day_exists")
        if payload.name == "invalid-by-rule":
            raise ValidationFailed(errors=[FieldError("name", "Broken rule.", "rule")])
        day = CalendarDay.objects.create(date=payload.date, kind="holiday", name=payload.name)
    return Status(201, day)


class Holder:
    """A token's holder: who owns the Idempotency-Keys it sends."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.idempotency_scope = f"holder:{name}"


class FixtureTokens(HttpBearer):
    TOKENS = {"token-an": "an", "token-binh": "binh"}

    def authenticate(self, request: HttpRequest, token: str) -> Holder | None:
        name = self.TOKENS.get(token)
        return Holder(name) if name else None


class NoteIn(Schema):
    text: str


@router.post("/notes", auth=FixtureTokens(), response={201: dict[str, str]})
@decorate_view(idempotent)
def note_create(request: HttpRequest, payload: NoteIn) -> Status[dict[str, str]]:
    holder: Holder = request.auth  # type: ignore[attr-defined]
    return Status(201, {"owner": holder.name, "text": payload.text})


@router.get("/days", response=PageOut[DayOut])
def day_list(request: HttpRequest, cursor: str | None = None, limit: int | None = None) -> object:
    return paginate(CalendarDay.objects.all(), order=("-date", "id"), cursor=cursor, limit=limit)


@router.get("/fail/{kind}")
def fail(request: HttpRequest, kind: str) -> dict[str, str]:
    if kind == "not-found":
        raise NotFound("No such thing.", code="thing_not_found")
    if kind == "forbidden":
        raise Forbidden("Not yours.")
    if kind == "unauthenticated":
        raise AuthenticationError()
    if kind == "throttled":
        raise Throttled(wait=30)
    if kind == "crash":
        raise RuntimeError("secret internal detail")
    return {"kind": kind}


api = create_api(namespace="kernel-test-api")
api.add_router("/test/", router)

urlpatterns = [path("api/v1/", api.urls)]
handler404 = "nentang.kernel.errors.pages.handler404"
handler500 = "nentang.kernel.errors.pages.handler500"
