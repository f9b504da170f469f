"""What an applicant does: save a draft, submit, resubmit after a request for
supplementation, withdraw before approval."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.apps import apps
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, Forbidden, NotFound, ValidationFailed
from nentang.kernel.prepared import fixed_cursor
from nentang.kernel.text import clean
from nentang.publicservices.catalogue import Procedure, catalogue
from nentang.publicservices.models import Dossier, ReceivingUnit
from nentang.publicservices.problems import (
    AGENCY_NOT_RECEIVING,
    APPLICANT_NOT_ALLOWED,
    EID_LEVEL_TOO_LOW,
    PROCEDURE_NOT_FOUND,
)
from nentang.publicservices.services.common import (
    Acting,
    as_applicant,
    gate,
    lock,
    person_of,
    record,
)
from nentang.publicservices.services.documents import (
    DocumentUpload,
    documents_attach,
    documents_given,
    documents_required,
    uploads_checked,
)
from nentang.publicservices.services.files import removed_on_failure
from nentang.publicservices.workflow import DRAFT

MAX_REASON = 2000


def procedure_in_force(slug: str) -> Procedure:
    procedure = catalogue().current(slug or "")
    if procedure is None:
        raise NotFound(_("No procedure in force has this id."), code=PROCEDURE_NOT_FOUND)
    return procedure


def applicant_check(actor: Any, procedure: Procedure, *, person: Any = None) -> Any:
    """The applying person, when they may apply: a person's account (not staff, not an
    organisation) at the e-ID level the procedure needs (Decree 69/2024/NĐ-CP).
    ``person``: the actor's person as the caller read it in this request (the bearer
    token's check reads it with the account), saving a query."""
    if person is None or person.account_id != actor.pk or not actor.is_active or actor.is_locked:
        person = person_of(actor)
    if person is None or not ({"citizen", "guardian"} & set(procedure.applicants)):
        raise Forbidden(
            _("This procedure is applied for from a person's e-ID account."),
            code=APPLICANT_NOT_ALLOWED,
        )
    if person.level < procedure.eid_level:
        auditing.security_event(
            kind="authz.denied",
            outcome="denied",
            severity="info",
            actor=Actor.person(str(person.pk)),
            subject="publicservices.dossier.submit",
            detail={"reason": "eid_level", "procedure": procedure.slug},
        )
        raise Forbidden(
            _(
                "This procedure needs a level-2 electronic identification account. Bring "
                "your citizen identity card to the police of your ward to reach level 2."
            ),
            code=EID_LEVEL_TOO_LOW,
        )
    return person


def receiving_agency(procedure: Procedure, agency_code: str) -> Any:
    """The chosen agency, when it has a one-stop-shop unit at the procedure's level."""
    agency = _receiving(agency_code or "")
    at_level = agency is not None and (
        bool(agency.commune_code)
        if procedure.agency_level == "commune"
        else not agency.commune_code
    )
    if agency is None or not agency.is_active or not at_level:
        raise ValidationFailed(
            _("Some fields are invalid."),
            code=AGENCY_NOT_RECEIVING,
            errors=[
                FieldError(
                    "agency",
                    _("Choose an agency that receives this procedure."),
                    "agency_not_receiving",
                )
            ],
        )
    return agency


def _receiving(agency_code: str) -> Any:
    """The agency with this code, if it has a one-stop-shop unit. Asked on every
    submission: a fixed statement (its text built once per database vendor) read into
    identity's model, not an ORM join compiled each time."""
    if not agency_code or "\x00" in agency_code:  # no text column takes a NUL
        return None
    agency_model = apps.get_model("identity", "Agency")
    fields = agency_model._meta.concrete_fields
    sql = _RECEIVING.get(connection.vendor)
    if sql is None:
        quote = connection.ops.quote_name
        table = quote(agency_model._meta.db_table)
        pk = quote(str(agency_model._meta.pk.column))
        columns = ", ".join(f"{table}.{quote(f.column)}" for f in fields)
        unit = ReceivingUnit._meta
        sql = (
            f"SELECT {columns} FROM {table} WHERE {table}.{pk} = %s AND EXISTS "  # noqa: S608 - metadata only
            f"(SELECT 1 FROM {quote(unit.db_table)} WHERE "
            f"{quote(unit.get_field('agency').column)} = {table}.{pk})"
        )
        _RECEIVING[connection.vendor] = sql
    with fixed_cursor() as cursor:
        cursor.execute(sql, [agency_code[:60]])
        row = cursor.fetchone()
    if row is None:
        return None
    # Text and boolean columns only (SQLite gives a boolean as 0/1: to_python fixes it).
    values = [field.to_python(value) for field, value in zip(fields, row, strict=True)]
    return agency_model.from_db(connection.alias, [f.attname for f in fields], values)


_RECEIVING: dict[str, str] = {}


def _answers(procedure: Procedure, data: Any, *, partial: bool) -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError("data", _("The answers must be an object of fields."), "invalid")],
        )
    answers = {
        key: clean(value.replace("\x00", "")) if isinstance(value, str) else value
        for key, value in data.items()
        if not (partial and value in ("", None))
    }
    errors = procedure.validate_answers(answers, only=answers.keys() if partial else None)
    if errors:
        raise ValidationFailed(_("Some answers need correcting."), errors=errors)
    return answers


def _delivery(procedure: Procedure, answers: Mapping[str, Any]) -> str:
    chosen = answers.get("result_delivery")
    if isinstance(chosen, str) and chosen in Dossier.Delivery.values:
        return chosen
    return "online" if procedure.result == "digital" else "counter"


def dossier_draft_save(
    *,
    actor: Any,
    procedure_slug: str,
    data: Mapping[str, Any],
    dossier_id: Any = None,
) -> Dossier:
    """Save answers to a draft (GOV.UK Forms: each page is checked as it is answered).
    Only the answers given are checked; invalid ones save nothing."""
    procedure = procedure_in_force(procedure_slug)
    person = applicant_check(actor, procedure)
    answers = _answers(procedure, data, partial=True)
    now = timezone.now()
    if dossier_id is not None:
        gate(actor, dossier_id, what="publicservices.dossier.save_draft", applicant=True)
    with transaction.atomic():
        if dossier_id is None:
            dossier = Dossier.objects.create(
                procedure_slug=procedure.slug,
                procedure_version=procedure.version,
                applicant=person,
                state=DRAFT,
                data=answers,
                created_at=now,
                updated_at=now,
            )
            acting = Acting("applicant", Actor.person(str(person.pk)), person=person)
        else:
            dossier = lock(dossier_id)  # type: ignore[assignment]
            acting = as_applicant(
                actor, dossier, what="publicservices.dossier.save_draft", dossier_id=dossier_id
            )
            dossier.data = {**dossier.data, **answers}
        record(dossier, acting=acting, action="save_draft", payload={"fields": sorted(answers)})
    return dossier


def dossier_submit(
    *,
    actor: Any,
    procedure_slug: str,
    agency_code: str,
    data: Mapping[str, Any] | None = None,
    dossier_id: Any = None,
    channel: str = "online",
    person: Any = None,
    documents: Sequence[DocumentUpload] = (),
) -> Dossier:
    """Submit a dossier to an agency: every answer checked against the e-form, the
    applicant's e-ID level checked, every document the procedure requires given (a
    file attached to the draft or in ``documents``, or an earlier file reused where
    the catalogue allows; Decree 61/2018/NĐ-CP, Art. 15), the procedure's version kept
    with the dossier. Submitting a draft (``dossier_id``) merges ``data`` into its
    answers. ``person``: the actor's person if the caller read it in this request."""
    procedure = procedure_in_force(procedure_slug)
    person = applicant_check(actor, procedure, person=person)
    agency = receiving_agency(procedure, agency_code)
    uploads_checked(procedure.documents, documents)
    now = timezone.now()
    if dossier_id is not None:
        gate(actor, dossier_id, what="publicservices.dossier.submit", applicant=True)
    with removed_on_failure(), transaction.atomic():
        if dossier_id is None:
            answers = _answers(procedure, data or {}, partial=False)
            dossier = Dossier(
                procedure_slug=procedure.slug,
                procedure_version=procedure.version,
                applicant=person,
                state=DRAFT,
                created_at=now,
                updated_at=now,
            )
            acting = Acting("applicant", Actor.person(str(person.pk)), person=person)
        else:
            locked = lock(dossier_id)
            acting = as_applicant(
                actor, locked, what="publicservices.dossier.submit", dossier_id=dossier_id
            )
            assert locked is not None
            dossier = locked
            if dossier.procedure_slug != procedure.slug:
                raise NotFound(_("No procedure in force has this id."), code=PROCEDURE_NOT_FOUND)
            answers = _answers(procedure, {**dossier.data, **(data or {})}, partial=False)
        documents_required(
            procedure.documents, documents_given(dossier) | {d.document for d in documents}
        )
        dossier.data = answers
        dossier.agency = agency
        dossier.handler = agency
        dossier.channel = channel if channel in ("online", "counter", "post") else "online"
        dossier.result_delivery = _delivery(procedure, answers)
        dossier.submitted_at = now
        record(
            dossier,
            acting=acting,
            action="submit",
            payload={"agency": agency.code, "version": procedure.version},
            attach=lambda row: documents_attach(dossier=row, uploads=documents),
        )
    return dossier


def dossier_resubmit(*, actor: Any, dossier_id: Any, data: Mapping[str, Any]) -> Dossier:
    """The applicant answers a request for supplementation: corrected answers, checked
    in full, and the dossier goes back to reception."""
    gate(actor, dossier_id, what="publicservices.dossier.resubmit", applicant=True)
    with transaction.atomic():
        dossier = lock(dossier_id)
        acting = as_applicant(
            actor, dossier, what="publicservices.dossier.resubmit", dossier_id=dossier_id
        )
        assert dossier is not None
        from nentang.publicservices.services.common import procedure_of

        procedure = procedure_of(dossier)
        answers = _answers(procedure, {**dossier.data, **dict(data)}, partial=False)
        changed = sorted(k for k in answers if answers.get(k) != dossier.data.get(k))
        if changed and procedure.workflow.holder(dossier.state) is not None:
            # A partner agency asked (liên thông): the answers were approved and signed
            # with the first result; only the documents it asked for may be added.
            raise ValidationFailed(
                _("Some answers need correcting."),
                errors=[
                    FieldError(
                        field,
                        _("This answer was approved already: add the documents asked for."),
                        "approved",
                    )
                    for field in changed
                ],
            )

        def apply_answers(row: Dossier, _state: str) -> None:
            row.data = answers
            row.result_delivery = _delivery(procedure, answers)

        record(
            dossier,
            acting=acting,
            action="resubmit",
            payload={"fields": changed},
            change=apply_answers,
        )
    return dossier


def dossier_withdraw(*, actor: Any, dossier_id: Any, reason: str = "") -> Dossier:
    """The applicant withdraws the dossier, at any time before its approval."""
    text = clean((reason or "").replace("\x00", ""))[:MAX_REASON]
    gate(actor, dossier_id, what="publicservices.dossier.withdraw", applicant=True)
    with transaction.atomic():
        dossier = lock(dossier_id)
        acting = as_applicant(
            actor, dossier, what="publicservices.dossier.withdraw", dossier_id=dossier_id
        )
        assert dossier is not None
        record(dossier, acting=acting, action="withdraw", reason=text)
    return dossier
