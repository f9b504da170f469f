"""What officers do at the one-stop shop and behind it: receive (the receipt code and
the due date), ask once for supplementation, process a step, approve, refuse with
reasons, issue and hand over the result, assign, comment. Each action is allowed only
to an officer of the dossier's agency holding the role of the dossier's current step."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity import selectors as identity
from nentang.kernel import events
from nentang.kernel.errors import Conflict, FieldError, ValidationFailed
from nentang.kernel.text import clean
from nentang.kernel.workdays import current_calendar
from nentang.publicservices.models import Dossier, DossierAction, DossierFile, ReceivingUnit
from nentang.publicservices.problems import HANDOFF_AGENCY_MISSING, SUPPLEMENT_LIMIT_REACHED
from nentang.publicservices.services.common import (
    OFFICER_ROLES,
    Acting,
    applicant_tell,
    as_officer,
    current_agency,
    gate,
    lock,
    parse_uuid,
    procedure_of,
    record,
    refused,
    state_label,
)
from nentang.publicservices.services.files import removed_on_failure
from nentang.publicservices.services.receipts import receipt_code_allocate
from nentang.publicservices.services.results import (
    child_issue,
    partner_result_issue,
    result_issue,
)
from nentang.publicservices.workflow import (
    HAND_OFF,
    REFUSE_PART,
    REVOKE,
    AgencySpec,
    allowed_actions,
)

MAX_TEXT = 2000


def _reason(text: str, *, field: str = "reason", required: bool = True) -> str:
    value = clean(text or "")
    if required and len(value) < 3:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError(field, _("Write the reasons: the applicant reads them."), "required")
            ],
        )
    if len(value) > MAX_TEXT:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError(field, _("At most %(n)s characters.") % {"n": MAX_TEXT}, "too_long")
            ],
        )
    if "\x00" in value:  # no text column takes it (PostgreSQL: a 500 before)
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError(field, _("Write the reasons: the applicant reads them."), "invalid")
            ],
        )
    return value


def _gate(actor: Any, dossier_id: Any, action: str) -> None:
    """Before the transaction: the officer's agency, then the step's role, with their
    security events (which must not roll back with the refused action)."""
    key = parse_uuid(dossier_id)
    dossier = Dossier.objects.filter(pk=key).first() if key else None
    what = f"publicservices.dossier.{action}"
    as_officer(actor, dossier, what=what, dossier_id=dossier_id, roles=None)
    assert dossier is not None
    workflow = procedure_of(dossier).workflow
    if action in allowed_actions(workflow, dossier.state):
        role = workflow.state(dossier.state).role or "reception"
        as_officer(actor, dossier, what=what, dossier_id=dossier_id, roles=(role,))


def _step(actor: Any, dossier_id: Any, action: str) -> tuple[Dossier, Acting]:
    """Lock the dossier and check the officer: same agency, the current step's role,
    and an action the step allows (in that order: no oracle for other agencies)."""
    dossier = lock(dossier_id)
    what = f"publicservices.dossier.{action}"
    acting = as_officer(actor, dossier, what=what, dossier_id=dossier_id, roles=None)
    assert dossier is not None
    workflow = procedure_of(dossier).workflow
    if action not in allowed_actions(workflow, dossier.state):
        raise refused(action, dossier.state)
    role = workflow.state(dossier.state).role or "reception"
    as_officer(actor, dossier, what=what, dossier_id=dossier_id, roles=(role,))
    return dossier, acting


def dossier_receive(*, actor: Any, dossier_id: Any) -> Dossier:
    """Receive a complete dossier (Decree 61/2018/NĐ-CP): allocate its receipt code
    (Circular 01/2018/TT-VPCP), fix its due date in working days from today, and ask for
    the fee when the procedure charges one (``publicservices.dossier.fee_requested``)."""
    _gate(actor, dossier_id, "receive")
    with transaction.atomic():
        dossier, acting = _step(actor, dossier_id, "receive")
        procedure = procedure_of(dossier)
        unit = ReceivingUnit.objects.get(agency_id=dossier.agency_id)
        today = timezone.localdate()
        fee = procedure.fee_for(dossier.data)

        def received(row: Dossier, state: str) -> None:
            row.receipt_code = row.receipt_code or receipt_code_allocate(unit=unit, day=today)
            row.received_at = timezone.now()
            row.fee_amount = fee
            row.due_date = current_calendar().add_working_days(today, procedure.processing_days)

        record(dossier, acting=acting, action="receive", payload={"fee": fee}, change=received)
        if dossier.state == "fee_due":
            events.emit(
                "publicservices.dossier.fee_requested",
                {
                    "dossier": str(dossier.pk),
                    "reference": dossier.receipt_code or "",
                    "amount": fee,
                    "currency": "VND",
                    "payer": str(dossier.applicant_id),
                    "procedure": procedure.slug,
                },
            )
    return dossier


def dossier_request_supplement(*, actor: Any, dossier_id: Any, reasons: Sequence[str]) -> Dossier:
    """Ask the applicant, once and with every reason at once, to complete the dossier
    (Decree 61/2018/NĐ-CP: a single request for supplementation)."""
    items = [clean(r) for r in reasons or [] if clean(r or "")]
    if not items or any(len(r) > MAX_TEXT or "\x00" in r for r in items):
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError("reasons", _("List what the applicant must add or correct."), "required")
            ],
        )
    _gate(actor, dossier_id, "request_supplement")
    with transaction.atomic():
        dossier, acting = _step(actor, dossier_id, "request_supplement")
        # Once per step (Decree 61/2018/NĐ-CP): the one-stop shop at reception, and
        # each partner agency at its own step of an interconnected group.
        asked = DossierAction.objects.filter(
            dossier=dossier, action="request_supplement", from_state=dossier.state
        ).count()
        if asked >= procedure_of(dossier).max_supplements:
            raise Conflict(
                _("Supplementation was already requested for this dossier."),
                code=SUPPLEMENT_LIMIT_REACHED,
            )

        def counted(row: Dossier, state: str) -> None:
            row.supplement_count += 1

        record(
            dossier,
            acting=acting,
            action="request_supplement",
            payload={"reasons": items},
            reason="; ".join(items),
            change=counted,
            notice=_(
                "%(agency)s asks you to complete your dossier %(reference)s (%(procedure)s): "
                "%(reasons)s"
            )
            % {
                "agency": acting.officer.agency.name,
                "reference": dossier.receipt_code or "",
                "procedure": procedure_of(dossier).name.vi,
                "reasons": "; ".join(items),
            },
        )
    return dossier


def dossier_process(*, actor: Any, dossier_id: Any, note: str = "") -> Dossier:
    """The processing officer completes the current step and hands the dossier on."""
    text = _reason(note, field="note", required=False)
    _gate(actor, dossier_id, "process")
    with transaction.atomic():
        dossier, acting = _step(actor, dossier_id, "process")
        record(dossier, acting=acting, action="process", reason=text)
    return dossier


def dossier_approve(*, actor: Any, dossier_id: Any, note: str = "") -> Dossier:
    """The head of the agency approves; from here the applicant can no longer withdraw.
    A digital result is made now, signed with PAdES (``services.results``); a birth
    registration first registers the child, who gets a personal ID number."""
    text = _reason(note, field="note", required=False)
    _gate(actor, dossier_id, "approve")
    with removed_on_failure(), transaction.atomic():
        dossier, acting = _step(actor, dossier_id, "approve")
        procedure = procedure_of(dossier)
        payload: dict[str, str] = {}
        extra: list[tuple[str, str]] = []
        if procedure.issues_child_id:
            payload["child"], extra = child_issue(dossier, acting)

        def approved(row: Dossier, state: str) -> None:
            row.approved_at = timezone.now()

        record(
            dossier, acting=acting, action="approve", payload=payload, reason=text, change=approved
        )
        if procedure.result in ("digital", "both"):
            result_issue(dossier, procedure, acting, extra=extra)
    return dossier


def dossier_reject(*, actor: Any, dossier_id: Any, reason: str) -> Dossier:
    """Refuse the dossier, with the reasons in writing (required), which the applicant
    is sent: the dossier ends refused. (A partner agency of an interconnected group
    refuses only its own part: :func:`dossier_refuse_part`.)"""
    text = _reason(reason)
    _gate(actor, dossier_id, "reject")
    with transaction.atomic():
        dossier, acting = _step(actor, dossier_id, "reject")
        agency = acting.officer.agency
        record(
            dossier,
            acting=acting,
            action="reject",
            payload={"agency": str(agency.code), "agency_name": agency.name},
            reason=text,
            notice=_(
                "%(agency)s refused your dossier %(reference)s (%(procedure)s). Reason: %(reason)s"
            )
            % {
                "agency": agency.name,
                "reference": dossier.receipt_code or "",
                "procedure": procedure_of(dossier).name.vi,
                "reason": text,
            },
        )
    return dossier


def dossier_issue_result(*, actor: Any, dossier_id: Any) -> Dossier:
    """Issue the result. Online results complete the dossier; a paper result waits to
    be handed over at the counter or delivered by post
    (``publicservices.dossier.result_issued`` says which: the postal context ships it)."""
    _gate(actor, dossier_id, "issue_result")
    with transaction.atomic():
        dossier, acting = _step(actor, dossier_id, "issue_result")
        by_post = dossier.result_delivery == Dossier.Delivery.POST
        record(
            dossier,
            acting=acting,
            action="issue_result",
            payload={"delivery": dossier.result_delivery},
            event_extra={"by_post": by_post, "delivery": dossier.result_delivery},
        )
    return dossier


def handoff_target(dossier: Dossier, spec: AgencySpec | None) -> Any:
    """The agency that performs a step for this dossier: the receiving agency for its
    own steps, else the active agency of the step's kind serving the dossier's place —
    the receiving agency's commune (``level`` commune) or province (``province``)."""
    home: Any = dossier.agency
    if spec is None or home is None:
        return home
    agencies = identity.agency_list().filter(
        kind=spec.kind, is_active=True, province_code=home.province_code
    )
    if spec.level == "commune":
        agencies = agencies.filter(commune_code=home.commune_code)
    else:
        agencies = agencies.filter(commune_code="")
    return agencies.order_by("code").first()


def dossier_hand_off(*, actor: Any, dossier_id: Any, reason: str) -> Dossier:
    """Hand the dossier off to the agency that performs its next step (liên thông,
    Decree 63/2024/NĐ-CP): an officer of the agency holding it, with the current step's
    role, writes why; the log keeps who, from which agency, to which, and why. The
    receiving agency's officers find it in their queue, with the step's own deadline;
    the sending agency keeps read-only access to its history. A partner agency ending
    its part issues its own signed result."""
    return _pass_on(actor, dossier_id, reason, action=HAND_OFF)


def dossier_refuse_part(*, actor: Any, dossier_id: Any, reason: str) -> Dossier:
    """A partner agency of an interconnected group refuses **its part** (the permanent
    residence, the health-insurance card), with the reasons in writing: no result is
    issued for that part, and the dossier is passed on to the step that follows, so
    the parts that can still go on do (what was issued before stays valid). The
    applicant is told which part was refused, by whom, why, and where the rest went;
    the log, the audit entry and ``publicservices.dossier.part_refused`` keep it."""
    return _pass_on(actor, dossier_id, reason, action=REFUSE_PART)


def _pass_on(actor: Any, dossier_id: Any, reason: str, *, action: str) -> Dossier:
    """Pass the dossier from the agency holding it to the one of the next step."""
    text = _reason(reason)
    _gate(actor, dossier_id, action)
    with removed_on_failure(), transaction.atomic():
        dossier, acting = _step(actor, dossier_id, action)
        procedure = procedure_of(dossier)
        workflow = procedure.workflow
        step = workflow.state(dossier.state)
        target_state = step.transitions[action]
        target = handoff_target(dossier, workflow.state(target_state).agency)
        if target is None:
            raise Conflict(
                _("No active agency performs the next step for this dossier's place."),
                code=HANDOFF_AGENCY_MISSING,
            )
        sender = acting.officer.agency
        codes = {"from_agency": str(current_agency(dossier)), "to_agency": str(target.code)}

        def handed(row: Dossier, state: str) -> None:
            row.handler = target
            row.assignee = None
            if action == REFUSE_PART:
                row.parts_refused += 1  # the row is locked (_step)

        # The part this step performs: the result it issues when it hands off.
        title = step.result[0] if step.result else ""

        def issued(row: Dossier) -> dict[str, str]:
            made = partner_result_issue(row, procedure, acting, title=title)
            return {"result": str(made.pk), "result_name": made.name}

        payload = {**codes, "from_name": sender.name, "to_name": target.name}
        values = {
            "reference": dossier.receipt_code or "",
            "procedure": procedure.name.vi,
            "from": sender.name,
            "to": target.name,
            "reason": text,
        }
        if action == REFUSE_PART:
            part = title or state_label(dossier.state)
            payload["part"] = part
            notice = _(
                "%(from)s refused its part of your dossier %(reference)s (%(procedure)s): "
                "%(part)s. Reason: %(reason)s. This part is not granted; the rest of your "
                "dossier goes on: it has been passed to %(to)s."
            ) % {**values, "part": part}
            extra = {**codes, "part": part}
        else:
            notice = (
                _(
                    "Your dossier %(reference)s (%(procedure)s) has been passed from %(from)s "
                    "to %(to)s for the next step. Reason: %(reason)s"
                )
                % values
            )
            extra = codes
        record(
            dossier,
            acting=acting,
            action=action,
            payload=payload,
            reason=text,
            change=handed,
            event_extra=extra,
            attach=issued if title and action == HAND_OFF else None,
            notice=notice,
        )
    return dossier


def dossier_return_result(*, actor: Any, dossier_id: Any) -> Dossier:
    """The one-stop shop hands the paper result over at the counter."""
    _gate(actor, dossier_id, "return_result")
    with transaction.atomic():
        dossier, acting = _step(actor, dossier_id, "return_result")
        record(dossier, acting=acting, action="return_result")
    return dossier


def dossier_assign(*, actor: Any, dossier_id: Any, officer_username: str) -> Dossier:
    """Give the dossier to an officer of the same agency with the current step's role."""
    _gate(actor, dossier_id, "assign")
    with transaction.atomic():
        dossier, acting = _step(actor, dossier_id, "assign")
        role = procedure_of(dossier).workflow.state(dossier.state).role
        from django.apps import apps

        account = (
            apps.get_model("identity", "Account").objects.filter(username=officer_username).first()
        )
        assignee = identity.officer_for_account(account=account) if account else None
        if (
            assignee is None
            or assignee.agency_id != current_agency(dossier)
            or not assignee.is_active
            or not assignee.has_role(role or "reception")
        ):
            raise ValidationFailed(
                _("Some fields are invalid."),
                errors=[
                    FieldError(
                        "officer",
                        _("Choose an officer of this agency who works on this step."),
                        "invalid_choice",
                    )
                ],
            )

        def assigned(row: Dossier, state: str) -> None:
            row.assignee = assignee

        record(
            dossier,
            acting=acting,
            action="assign",
            payload={"officer": str(assignee.pk)},
            change=assigned,
        )
    return dossier


def dossier_comment(*, actor: Any, dossier_id: Any, text: str) -> Dossier:
    """An internal note on the dossier's timeline (any officer of its agency)."""
    body = _reason(text, field="text")
    gate(actor, dossier_id, what="publicservices.dossier.comment", applicant=False)
    with transaction.atomic():
        dossier = lock(dossier_id)
        acting = as_officer(
            actor,
            dossier,
            what="publicservices.dossier.comment",
            dossier_id=dossier_id,
            roles=OFFICER_ROLES,
        )
        assert dossier is not None
        record(dossier, acting=acting, action="comment", reason=body)
    return dossier


def dossier_apologise(
    *, actor: Any, dossier_id: Any, new_due_date: datetime.date, reason: str
) -> Dossier:
    """The written apology for a dossier that will be late, with a new date for the
    result (phiếu xin lỗi và hẹn lại ngày trả kết quả, Decree 61/2018/NĐ-CP): the reasons
    are required, the new date is a working day after the current due date, and the
    dossier stays counted late whatever happens next."""
    text = _reason(reason)
    gate(actor, dossier_id, what="publicservices.dossier.apologise", applicant=False)
    with transaction.atomic():
        dossier = lock(dossier_id)
        acting = as_officer(
            actor,
            dossier,
            what="publicservices.dossier.apologise",
            dossier_id=dossier_id,
            roles=OFFICER_ROLES,
        )
        assert dossier is not None
        if dossier.due_date is None:
            raise refused("apologise", dossier.state)
        calendar = current_calendar()
        if (
            not isinstance(new_due_date, datetime.date)
            or new_due_date <= dossier.due_date
            or not calendar.is_working_day(new_due_date)
        ):
            raise ValidationFailed(
                _("Some fields are invalid."),
                errors=[
                    FieldError(
                        "new_due_date",
                        _("Give a working day after the current due date."),
                        "invalid_date",
                    )
                ],
            )
        previous = dossier.due_date

        def postponed(row: Dossier, state: str) -> None:
            row.due_date = new_due_date
            row.apologised_at = timezone.now()

        record(
            dossier,
            acting=acting,
            action="apologise",
            payload={"previous": previous.isoformat(), "new": new_due_date.isoformat()},
            reason=text,
            change=postponed,
        )
        events.emit(
            "publicservices.dossier.apologised",
            {
                "dossier": str(dossier.pk),
                "reference": dossier.receipt_code or "",
                "previous_due_date": previous.isoformat(),
                "new_due_date": new_due_date.isoformat(),
            },
        )
        promised = f"{new_due_date:%d/%m/%Y}"
        reference = dossier.receipt_code or ""
        applicant_tell(
            dossier,
            subject=_("Your dossier %(reference)s is late: the result is now due on %(date)s")
            % {"reference": reference, "date": promised},
            body=_(
                "%(agency)s apologises: your dossier %(reference)s (%(procedure)s) was not "
                "decided by its due date. Reason: %(reason)s. The result is now promised for "
                "%(date)s. The written apology: %(url)s"
            )
            % {
                "agency": acting.officer.agency.name,
                "reference": reference,
                "procedure": procedure_of(dossier).name.vi,
                "reason": text,
                "date": promised,
                "url": settings.BASE_URL + reverse("publicservices:apology", args=[dossier.pk]),
            },
        )
    return dossier


def dossier_result_revoke(*, actor: Any, dossier_id: Any, reason: str) -> Dossier:
    """Revoke the dossier's signed result (an error found after issue, a court's
    decision): an approval officer of the agency, reasons required. The file stays
    stored; the public verification by receipt code or by upload then says "revoked",
    and the applicant can no longer download it."""
    text = _reason(reason)
    gate(actor, dossier_id, what="publicservices.dossier.revoke_result", applicant=False)
    with transaction.atomic():
        dossier = lock(dossier_id)
        acting = as_officer(
            actor,
            dossier,
            what="publicservices.dossier.revoke_result",
            dossier_id=dossier_id,
            roles=("approval",),
        )
        assert dossier is not None
        live = DossierFile.objects.filter(
            dossier=dossier, kind=DossierFile.Kind.RESULT, revoked_at__isnull=True
        )
        if not live.exists():
            raise refused(REVOKE, dossier.state)
        revoked = live.update(revoked_at=timezone.now())
        record(dossier, acting=acting, action=REVOKE, payload={"files": revoked}, reason=text)
        events.emit(
            "publicservices.dossier.result_revoked",
            {"dossier": str(dossier.pk), "reference": dossier.receipt_code or ""},
        )
    return dossier
