"""Input and output schemas of the public-services API (GovStack Registration building
block shape): one per operation; money in đồng, durations in working days."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from ninja import Field, Schema

from nentang.publicservices.catalogue import Procedure
from nentang.publicservices.models import Dossier


class TextOut(Schema):
    vi: str
    en: str


class ServiceOut(Schema):
    id: str = Field(description="The procedure's id in the catalogue (its slug).")
    version: int
    code: str = Field(description="National procedure code; '(verify)' until checked.")
    name: TextOut
    field: TextOut
    agency_level: str
    online_level: str = Field(description="toan_trinh or mot_phan (Decree 42/2022/NĐ-CP).")
    processing_days: int = Field(description="Processing time in working days.")
    eid_level: int
    result: str
    fee_base: int = Field(description="Base fee in đồng (the answers may change it).")
    legal_basis: list[str]

    @staticmethod
    def build(procedure: Procedure) -> ServiceOut:
        return ServiceOut(
            id=procedure.slug,
            version=procedure.version,
            code=procedure.display_code,
            name=TextOut(vi=procedure.name.vi, en=procedure.name.en),
            field=TextOut(vi=procedure.sector.vi, en=procedure.sector.en),
            agency_level=procedure.agency_level,
            online_level=procedure.online_level,
            processing_days=procedure.processing_days,
            eid_level=procedure.eid_level,
            result=procedure.result,
            fee_base=int(procedure.fee["base"]),
            legal_basis=list(procedure.legal_basis),
        )


class ServiceListOut(Schema):
    items: list[ServiceOut]
    next_cursor: str | None = None


class EFormPageOut(Schema):
    field: str
    label: TextOut
    help: TextOut | None = None
    prefill: str = ""


class EFormOut(Schema):
    id: str
    version: int
    data_schema: dict[str, Any] = Field(description="JSON Schema 2020-12 of the data.")
    pages: list[EFormPageOut] = Field(description="UI schema: one question per page, in order.")


class DocumentIn(Schema):
    document: int = Field(
        ge=0, le=99, description="Position of the document in the service's list."
    )
    name: str = Field(
        default="", max_length=255, description="The file's name, as the applicant knows it."
    )
    content: str | None = Field(
        default=None,
        max_length=7_000_000,
        description="The file, base64: a PDF, JPEG or PNG (decided by its content), at most 5 MB.",
    )
    reuse: uuid.UUID | None = Field(
        default=None,
        description="Instead of content: the id of the applicant's file in an earlier "
        "application, where the service allows that paper to be reused.",
    )


class ApplicationIn(Schema):
    agency: str = Field(max_length=60, description="Code of the receiving agency.")
    data: dict[str, Any] = Field(description="Answers to the e-form.")
    documents: list[DocumentIn] = Field(
        default_factory=list,
        max_length=20,
        description="The service's documents: every required one must be given.",
    )


class ApplicationUpdateIn(Schema):
    data: dict[str, Any] = Field(
        description="Answers to change: saved to a draft, or resubmitted after supplementation."
    )


class ApplicationOut(Schema):
    id: uuid.UUID
    service: str
    version: int
    state: str
    receipt_code: str | None
    agency: str | None
    handler: str | None = Field(None, description="The agency working on it now.")
    data: dict[str, Any]
    fee: int
    fee_paid: bool
    result_delivery: str
    due_date: datetime.date | None
    sla: str
    created_at: datetime.datetime
    submitted_at: datetime.datetime | None

    @staticmethod
    def build(dossier: Dossier, *, sla: str) -> ApplicationOut:
        return ApplicationOut(
            id=dossier.pk,
            service=dossier.procedure_slug,
            version=dossier.procedure_version,
            state=dossier.state,
            receipt_code=dossier.receipt_code,
            agency=dossier.agency_id,
            handler=dossier.handler_id,
            data=dossier.data,
            fee=dossier.fee_amount,
            fee_paid=dossier.fee_paid_at is not None,
            result_delivery=dossier.result_delivery,
            due_date=dossier.due_date,
            sla=sla,
            created_at=dossier.created_at,
            submitted_at=dossier.submitted_at,
        )


class ApplicationListOut(Schema):
    items: list[ApplicationOut]
    next_cursor: str | None = None


class TaskOut(Schema):
    id: uuid.UUID = Field(description="The dossier's id: a task is its current step.")
    service: str
    state: str
    role: str
    receipt_code: str | None
    step_due_date: datetime.date | None
    sla: str
    actions: list[str]


class TaskListOut(Schema):
    items: list[TaskOut]
    next_cursor: str | None = None


class TaskCompleteIn(Schema):
    action: str = Field(
        max_length=30,
        description="receive, request_supplement, process, approve, reject, issue_result, "
        "return_result, hand_off, refuse_part (a partner agency refuses its part of an "
        "interconnected group; the rest goes on), comment or revoke_result (reason required "
        "for reject, hand_off, refuse_part, comment and revoke_result).",
    )
    reason: str = Field("", max_length=2000, description="Reasons (reject: required).")
    reasons: list[str] = Field(default_factory=list, description="request_supplement: each reason.")


class ResultStatusOut(Schema):
    receipt_code: str
    status: str = Field(description="valid, revoked or not_issued")
    label: str
    issuer: str = Field("", description="A partner agency's code (its own result), or empty")
    issuer_name: str = ""


class StatusOut(Schema):
    receipt_code: str
    state: str
    label: str
