"""JSON API of the public services, in the shape of the GovStack Registration building
block, mounted at the API root (``/api/v1/services``, ``/api/v1/applications``,
``/api/v1/tasks``).

Applicants call it with an access token of our OpenID provider carrying the scope
``publicservices`` (or their browser session); officers with their session. Each
operation parses, authorises, calls one service or selector and serialises; errors are
problem+json; creating an application honours ``Idempotency-Key``; lists use cursor
pagination.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Status
from ninja.decorators import decorate_view
from ninja.security import APIKeyCookie

from nentang.identity import selectors as identity
from nentang.kernel.api import Problem
from nentang.kernel.errors import BadRequest, FieldError, Unauthorized, ValidationFailed
from nentang.kernel.idempotency import IDEMPOTENCY_OPENAPI, OncePerRequestBearer, idempotent
from nentang.kernel.pagination import CursorQuery, LimitQuery, clamp_limit, paginate
from nentang.kernel.problems import INVALID_CURSOR
from nentang.publicservices import selectors, services
from nentang.publicservices.api_schemas import (
    ApplicationIn,
    ApplicationListOut,
    ApplicationOut,
    ApplicationUpdateIn,
    DocumentIn,
    EFormOut,
    EFormPageOut,
    ResultStatusOut,
    ServiceListOut,
    ServiceOut,
    StatusOut,
    TaskCompleteIn,
    TaskListOut,
    TaskOut,
    TextOut,
)
from nentang.publicservices.services.common import procedure_of
from nentang.publicservices.workflow import allowed_actions

API_PREFIX = "/"
SCOPE = "publicservices"
router = Router(tags=["publicservices"])
# Every operation may answer with these problems (malformed body or cursor, no or bad
# credentials, CSRF, not found, a refused action, invalid fields).
ERRORS: dict[int, Any] = {
    400: Problem,
    401: Problem,
    403: Problem,
    404: Problem,
    409: Problem,
    422: Problem,
}


@dataclass(frozen=True)
class Caller:
    account: Any
    client_id: str = ""
    person: Any = None  # read with the bearer token, in this request

    @property
    def idempotency_scope(self) -> str:
        return f"user:{self.account.pk}"


class TokenAuth(OncePerRequestBearer):
    """A person's access token with the scope ``publicservices``."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller | None:
        held = identity.person_token_caller(token=token, scope=SCOPE)
        if held is None:
            raise Unauthorized(
                _("The access token is unknown, expired, revoked or lacks the scope “%(s)s”.")
                % {"s": SCOPE},
                code="invalid_token",
                headers={"WWW-Authenticate": 'Bearer realm="nentang", error="invalid_token"'},
            )
        return Caller(account=held.account, client_id=held.client_id, person=held.person)


class SessionAuth(APIKeyCookie):
    """The browser session (CSRF-checked on unsafe methods)."""

    param_name: str = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Caller | None:
        user = request.user
        if not user.is_authenticated or not user.is_active or getattr(user, "is_locked", False):
            return None
        return Caller(account=user)


AUTH = [TokenAuth(), SessionAuth()]


def caller(request: HttpRequest) -> Caller:
    return cast(Caller, cast(Any, request).auth)


def _sla(dossier: Any) -> str:
    return selectors.sla_badge(dossier).code


# --- catalogue ----------------------------------------------------------------------------


@router.get("/services", response={200: ServiceListOut, **ERRORS}, summary="The catalogue")
def service_list(
    request: HttpRequest, q: str = "", cursor: CursorQuery = None, limit: LimitQuery = None
) -> ServiceListOut:
    """Procedures in force, by id; ``q`` searches names and codes without marks."""
    size = clamp_limit(limit)
    found = sorted(selectors.procedure_list(query=q[:100]), key=lambda p: p.slug)
    if cursor:
        if not all(ch.isalnum() or ch == "-" for ch in cursor):
            raise BadRequest(_("The cursor is not valid for this list."), code=INVALID_CURSOR)
        found = [p for p in found if p.slug > cursor]
    page = found[:size]
    more = len(found) > size
    return ServiceListOut(
        items=[ServiceOut.build(p) for p in page], next_cursor=page[-1].slug if more else None
    )


@router.get("/services/{service_id}", response={200: ServiceOut, **ERRORS}, summary="A service")
def service_get(request: HttpRequest, service_id: str) -> ServiceOut:
    return ServiceOut.build(selectors.procedure_get(slug=service_id))


@router.get(
    "/services/{service_id}/eforms",
    response={200: list[EFormOut], **ERRORS},
    summary="The service's e-form: JSON Schema and pages",
)
def service_eforms(request: HttpRequest, service_id: str) -> list[EFormOut]:
    procedure = selectors.procedure_get(slug=service_id)
    pages = [
        EFormPageOut(
            field=page.field,
            label=TextOut(vi=page.label.vi, en=page.label.en),
            help=TextOut(vi=page.help.vi, en=page.help.en) if page.help else None,
            prefill=page.prefill,
        )
        for page in procedure.pages
    ]
    return [
        EFormOut(
            id=procedure.slug,
            version=procedure.version,
            data_schema=dict(procedure.form_schema),
            pages=pages,
        )
    ]


# --- applications -------------------------------------------------------------------------


@router.post(
    "/services/{service_id}/applications",
    auth=AUTH,
    response={201: ApplicationOut, **ERRORS},
    openapi_extra=IDEMPOTENCY_OPENAPI,
    summary="Submit an application (a dossier)",
)
@decorate_view(idempotent)
def application_create(
    request: HttpRequest, service_id: str, payload: ApplicationIn
) -> Status[ApplicationOut]:
    """Every answer is checked against the e-form (422 with field errors, nothing
    saved); a level-1 account is refused a level-2 service (403 ``eid_level_too_low``)."""
    who = caller(request)
    dossier = services.dossier_submit(
        actor=who.account,
        procedure_slug=service_id,
        agency_code=payload.agency,
        data=payload.data,
        person=who.person,
        documents=_uploads(payload.documents),
    )
    return Status(201, ApplicationOut.build(dossier, sla=_sla(dossier)))


def _uploads(documents: list[DocumentIn]) -> list[services.DocumentUpload]:
    """The inline documents, decoded: each gives its base64 content or the id of a
    file to reuse, not both (field errors on ``documents.<i>.content``)."""
    uploads: list[services.DocumentUpload] = []
    errors: list[FieldError] = []
    for index, given in enumerate(documents):
        field = f"documents.{index}.content"
        if (given.content is None) == (given.reuse is None):
            errors.append(
                FieldError(
                    field, _("Give either the file's content or a file to reuse."), "invalid"
                )
            )
            continue
        try:
            content = base64.b64decode(given.content, validate=True) if given.content else b""
        except (binascii.Error, ValueError):
            errors.append(FieldError(field, _("The content is not valid base64."), "invalid"))
            continue
        uploads.append(
            services.DocumentUpload(
                document=given.document, name=given.name, content=content, reuse=given.reuse
            )
        )
    if errors:
        raise ValidationFailed(_("Some fields are invalid."), errors=errors)
    return uploads


@router.get(
    "/applications",
    auth=AUTH,
    response={200: ApplicationListOut, **ERRORS},
    summary="The caller's applications, newest first",
)
def application_list(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = None
) -> ApplicationListOut:
    page = paginate(
        selectors.dossiers_of_applicant(actor=caller(request).account),
        order=("-created_at", "-id"),
        cursor=cursor,
        limit=limit,
    )
    return ApplicationListOut(
        items=[ApplicationOut.build(d, sla=_sla(d)) for d in page.items],
        next_cursor=page.next_cursor,
    )


@router.get(
    "/applications/{application_id}",
    auth=AUTH,
    response={200: ApplicationOut, **ERRORS},
    summary="One of the caller's applications",
)
def application_get(request: HttpRequest, application_id: str) -> ApplicationOut:
    dossier = selectors.dossier_for_applicant(
        actor=caller(request).account, dossier_id=application_id
    )
    return ApplicationOut.build(dossier, sla=_sla(dossier))


@router.put(
    "/applications/{application_id}",
    auth=AUTH,
    response={200: ApplicationOut, **ERRORS},
    summary="Change the answers: a draft, or a resubmission after supplementation",
)
def application_update(
    request: HttpRequest, application_id: str, payload: ApplicationUpdateIn
) -> ApplicationOut:
    account = caller(request).account
    dossier = selectors.dossier_for_applicant(actor=account, dossier_id=application_id)
    if dossier.state == "draft":
        dossier = services.dossier_draft_save(
            actor=account,
            procedure_slug=dossier.procedure_slug,
            data=payload.data,
            dossier_id=dossier.pk,
        )
    else:
        dossier = services.dossier_resubmit(actor=account, dossier_id=dossier.pk, data=payload.data)
    return ApplicationOut.build(dossier, sla=_sla(dossier))


@router.get(
    "/dossier-status/{receipt_code}",
    response={200: StatusOut, **ERRORS},
    summary="A dossier's status by its receipt code (nothing personal)",
)
def status_get(request: HttpRequest, receipt_code: str) -> StatusOut:
    code, state, label = selectors.dossier_public_status(receipt_code=receipt_code)
    return StatusOut(receipt_code=code, state=state, label=label)


@router.get(
    "/result-status/{receipt_code}",
    response={200: ResultStatusOut, **ERRORS},
    summary="A signed result's status by its code (what its QR code opens; nothing personal)",
)
def result_status_get(request: HttpRequest, receipt_code: str, issuer: str = "") -> ResultStatusOut:
    """The receiving agency's result of the dossier, or with ``issuer`` (an agency's
    code) a partner agency's own result of an interconnected dossier."""
    check = selectors.result_status(receipt_code=receipt_code, issuer=issuer[:64])
    return ResultStatusOut(
        receipt_code=check.receipt_code,
        status=check.status,
        label=check.label,
        issuer=check.issuer,
        issuer_name=check.issuer_name,
    )


# --- officers' tasks ----------------------------------------------------------------------


@router.get(
    "/tasks",
    auth=AUTH,
    response={200: TaskListOut, **ERRORS},
    summary="The officer's work queue (GovStack tasks), earliest deadline first",
)
def task_list(
    request: HttpRequest,
    role: str = "",
    sla: str = "",
    cursor: CursorQuery = None,
    limit: LimitQuery = None,
) -> TaskListOut:
    page = paginate(
        selectors.officer_queue(actor=caller(request).account, role=role[:20], sla=sla[:20]),
        order=selectors.QUEUE_ORDER,
        cursor=cursor,
        limit=limit,
    )
    items = []
    for dossier in page.items:
        workflow = procedure_of(dossier).workflow
        items.append(
            TaskOut(
                id=dossier.pk,
                service=dossier.procedure_slug,
                state=dossier.state,
                role=dossier.step_role,
                receipt_code=dossier.receipt_code,
                step_due_date=dossier.step_due_date,
                sla=_sla(dossier),
                actions=sorted(allowed_actions(workflow, dossier.state) - {"withdraw"}),
            )
        )
    return TaskListOut(items=items, next_cursor=page.next_cursor)


@router.post(
    "/tasks/{task_id}/complete",
    auth=AUTH,
    response={200: ApplicationOut, **ERRORS},
    summary="Act on a dossier's current step",
)
def task_complete(request: HttpRequest, task_id: str, payload: TaskCompleteIn) -> ApplicationOut:
    account = caller(request).account
    simple: dict[str, Callable[..., Any]] = {
        "receive": services.dossier_receive,
        "process": services.dossier_process,
        "approve": services.dossier_approve,
        "issue_result": services.dossier_issue_result,
        "return_result": services.dossier_return_result,
    }
    if payload.action in simple:
        simple[payload.action](actor=account, dossier_id=task_id)
    elif payload.action == "reject":
        services.dossier_reject(actor=account, dossier_id=task_id, reason=payload.reason)
    elif payload.action == "hand_off":
        services.dossier_hand_off(actor=account, dossier_id=task_id, reason=payload.reason)
    elif payload.action == "refuse_part":
        services.dossier_refuse_part(actor=account, dossier_id=task_id, reason=payload.reason)
    elif payload.action == "request_supplement":
        services.dossier_request_supplement(
            actor=account, dossier_id=task_id, reasons=payload.reasons or [payload.reason]
        )
    elif payload.action == "comment":
        services.dossier_comment(actor=account, dossier_id=task_id, text=payload.reason)
    elif payload.action == "revoke_result":
        services.dossier_result_revoke(actor=account, dossier_id=task_id, reason=payload.reason)
    else:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError("action", _("Choose one of the actions."), "invalid_choice")],
        )
    dossier = selectors.dossier_for_officer(actor=account, dossier_id=task_id)
    return ApplicationOut.build(dossier, sla=_sla(dossier))
