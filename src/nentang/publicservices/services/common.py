"""What every dossier action shares: who is acting, the row lock, the engine's verdict,
the log entry, the cached state and SLA dates, the audit entry, the outbox event and
the applicant's notification — all in one transaction.

Identity's models are read at run time (``apps.get_model``) and typed as ``Any``: the
contracts let this context reach identity only through its services and selectors.
"""

from __future__ import annotations

import datetime
import logging
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from nentang.identity import selectors as identity
from nentang.identity.services.sms import sms_sender
from nentang.kernel import auditing, events
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, Forbidden, NotFound
from nentang.kernel.rowinserts import insert_linked, insert_statement, mark_saved
from nentang.kernel.workdays import current_calendar
from nentang.publicservices.catalogue import Procedure, catalogue
from nentang.publicservices.models import Dossier, DossierAction
from nentang.publicservices.problems import (
    ACTION_NOT_ALLOWED,
    DOSSIER_HANDED_OFF,
    DOSSIER_NOT_FOUND,
    STEP_ROLE_REQUIRED,
)
from nentang.publicservices.services.files import rows_collected
from nentang.publicservices.services.statistics import counted, rollup_apply
from nentang.publicservices.workflow import PASSES, ActionRefused, Step, apply

logger = logging.getLogger("nentang.publicservices")
OFFICER_ROLES = ("reception", "processing", "approval")
# Outbox topics are publicservices.dossier.<verb>: what happened, in the past tense.
VERBS = {
    "submit": "submitted",
    "resubmit": "resubmitted",
    "receive": "received",
    "request_supplement": "supplement_requested",
    "process": "processed",
    "approve": "approved",
    "reject": "rejected",
    "issue_result": "result_issued",
    "return_result": "result_returned",
    "deliver": "result_delivered",
    "fee_paid": "fee_paid",
    "withdraw": "withdrawn",
    "hand_off": "handed_off",
    "refuse_part": "part_refused",
}
# Actions whose completion ends the dossier's clock (the SLA outcome is fixed then).
_ENDS = {"completed", "rejected", "withdrawn"}


@dataclass(frozen=True)
class Acting:
    """Who acts on a dossier: an applicant (person), an officer, or another context
    (payments, post) through a seam."""

    kind: str  # applicant, officer, system
    audit: Actor
    person: Any = None
    officer: Any = None
    account: Any = None

    @property
    def ref(self) -> str:
        if self.officer is not None:
            return str(self.officer.pk)
        if self.person is not None:
            return str(self.person.pk)
        return self.audit.id


def procedure_of(dossier: Dossier) -> Procedure:
    """The version the dossier was submitted under (never today's, if it changed)."""
    procedure = catalogue().get(dossier.procedure_slug, dossier.procedure_version)
    if procedure is None:  # a version removed from the catalogue: an operator's error
        raise RuntimeError(f"catalogue lost {dossier.procedure_slug} v{dossier.procedure_version}")
    return procedure


def not_found() -> NotFound:
    return NotFound(_("No dossier you may see has this id."), code=DOSSIER_NOT_FOUND)


def parse_uuid(value: Any) -> uuid.UUID | None:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


def person_of(account: Any) -> Any:
    if account is None or not account.is_active or account.is_locked:
        return None
    return identity.person_for_account(account=account)


def officer_of(account: Any) -> Any:
    if account is None or not account.is_active or account.is_locked:
        return None
    officer = identity.officer_for_account(account=account)
    if officer is None or not officer.is_active or not officer.agency.is_active:
        return None
    return officer


def refuse_unseen(account: Any, *, what: str, dossier_id: Any) -> NotFound:
    """A dossier the actor may not see is a 404 (no oracle), and a security event."""
    auditing.security_event(
        kind="authz.denied",
        outcome="denied",
        severity="medium",
        actor=_audit_actor(account),
        subject=what[:128],
        # escaped: an id from a URL may carry a NUL or control byte, which the
        # security log refuses (a 500 found by the NUL-in-path fuzz case)
        detail={"dossier": str(dossier_id)[:64].encode("unicode_escape").decode("ascii")[:64]},
    )
    return not_found()


def _audit_actor(account: Any) -> Actor:
    if account is None:
        return Actor.anonymous()
    person = identity.person_for_account(account=account)
    if person is not None:
        return Actor.person(str(person.pk))
    return Actor.officer(account.username)


def lock(dossier_id: Any) -> Dossier | None:
    """The dossier, locked for update (call inside the action's transaction)."""
    key = parse_uuid(dossier_id)
    if key is None:
        return None
    return Dossier.objects.select_for_update().filter(pk=key).first()


def gate(actor: Any, dossier_id: Any, *, what: str, applicant: bool) -> None:
    """Check, before the action's transaction opens, that the actor may see the dossier:
    the security event of a refusal must not roll back with it (audit's rule). The
    action checks again on the locked row."""
    key = parse_uuid(dossier_id)
    dossier = Dossier.objects.filter(pk=key).first() if key else None
    if applicant:
        as_applicant(actor, dossier, what=what, dossier_id=dossier_id)
    else:
        as_officer(actor, dossier, what=what, dossier_id=dossier_id, roles=None)


def as_applicant(account: Any, dossier: Dossier | None, *, what: str, dossier_id: Any) -> Acting:
    person = person_of(account)
    if dossier is None or person is None or dossier.applicant_id != person.pk:
        raise refuse_unseen(account, what=what, dossier_id=dossier_id)
    return Acting("applicant", Actor.person(str(person.pk)), person=person, account=account)


def as_officer(
    account: Any,
    dossier: Dossier | None,
    *,
    what: str,
    dossier_id: Any,
    roles: tuple[str, ...] | None,
    read: bool = False,
) -> Acting:
    """An officer of the agency working on the dossier (``handler``); ``roles``, when
    given, one of which they need. With ``read``, also an officer of an agency that held
    the dossier before (the receiving agency, an agency it was handed off through): they
    keep read-only access to its history. Any other agency's officer gets a 404 (and a
    security event); an earlier holder trying to act, or a wrong role, a 403."""
    officer = officer_of(account)
    if (
        dossier is None
        or officer is None
        or dossier.agency_id is None
        or not any(officer.has_role(role) for role in OFFICER_ROLES)
    ):
        raise refuse_unseen(account, what=what, dossier_id=dossier_id)
    if officer.agency_id != current_agency(dossier):
        if officer.agency_id not in agencies_of(dossier):
            raise refuse_unseen(account, what=what, dossier_id=dossier_id)
        if not read:
            auditing.security_event(
                kind="authz.denied",
                outcome="denied",
                severity="low",
                actor=Actor.officer(account.username),
                subject=what[:128],
                detail={"dossier": str(dossier.pk), "handler": str(current_agency(dossier))},
            )
            raise Forbidden(
                _("This dossier has been handed off to another agency: you can read it only."),
                code=DOSSIER_HANDED_OFF,
            )
    if roles is not None and not any(officer.has_role(role) for role in roles):
        auditing.security_event(
            kind="authz.denied",
            outcome="denied",
            severity="low",
            actor=Actor.officer(account.username),
            subject=what[:128],
            detail={"dossier": str(dossier.pk), "role": "|".join(roles)},
        )
        raise Forbidden(
            _("This step of the dossier needs an officer with the role “%(role)s”.")
            % {"role": " / ".join(roles)},
            code=STEP_ROLE_REQUIRED,
        )
    return Acting("officer", Actor.officer(account.username), officer=officer, account=account)


def current_agency(dossier: Dossier) -> str | None:
    """The code of the agency working on the dossier now."""
    return dossier.handler_id or dossier.agency_id


def agencies_of(dossier: Dossier) -> set[str]:
    """Every agency that has held the dossier: the receiving one and those of its
    hand-offs (read from its log)."""
    held = {str(dossier.agency_id), str(current_agency(dossier))}
    for payload in DossierAction.objects.filter(
        dossier=dossier, action__in=sorted(PASSES)
    ).values_list("payload", flat=True):
        held.update(str(payload.get(key)) for key in ("from_agency", "to_agency"))
    return held


def open_to_applicant(dossier: Dossier) -> bool:
    """May the applicant change the dossier: a draft, or a dossier waiting for their
    supplementation (at the one-stop shop, or at a partner agency's step)."""
    return dossier.state == "draft" or procedure_of(dossier).workflow.awaits_applicant(
        dossier.state
    )


def refused(action: str, state: str) -> Conflict:
    return Conflict(
        _("The action “%(action)s” is not allowed while the dossier is “%(state)s”.")
        % {"action": action, "state": state},
        code=ACTION_NOT_ALLOWED,
        extra={"state": state},
    )


def today() -> datetime.date:
    return timezone.localdate()


def record(
    dossier: Dossier,
    *,
    acting: Acting,
    action: str,
    payload: Mapping[str, Any] | None = None,
    reason: str = "",
    change: Callable[[Dossier, str], None] | None = None,
    topic_verb: str = "",
    event_extra: Mapping[str, Any] | None = None,
    notice: str = "",
    attach: Callable[[Dossier], Mapping[str, Any]] | None = None,
) -> DossierAction:
    """Append ``action`` to the locked dossier's log and update its cached state.

    The engine decides (a refused action changes nothing); ``change`` adjusts the row's
    own fields given the new state; the SLA dates follow the step entered; the audit
    entry, the outbox event and the applicant's e-mail are part of the same commit.
    ``attach`` writes rows that belong to the action once the dossier is saved (the
    documents given with a submission); what it returns joins the action's audit entry,
    so the action and its rows are one audit entry (one INSERT, not one per row).
    """
    procedure = procedure_of(dossier)
    workflow = procedure.workflow
    body = dict(payload or {})
    before = dossier.state
    was_counted = counted(dossier)
    step_role, step_due = dossier.step_role, dossier.step_due_date
    try:
        after = apply(workflow, before, Step(action, body))
    except ActionRefused:
        raise refused(action, before) from None
    now = timezone.now()
    if after != before and step_role and step_due is not None:
        # The step's own SLA, kept with the action that ended it (per-step outcomes).
        body["step_sla"] = sla_outcome(timezone.localdate(now), step_due)
    seq = dossier.log_length + 1
    dossier.log_length = seq
    dossier.state = after
    dossier.updated_at = now
    if change is not None:
        change(dossier, after)
    if after != before:
        _enter(dossier, procedure, after, now)
    # A new dossier (a submission without a draft) is inserted here with its state: one
    # INSERT, not an INSERT and an UPDATE — a fixed statement (kernel.rowinserts), not one
    # compiled per submission. Its log entry follows (the foreign key).
    if dossier._state.adding:
        # With the rows ``attach`` makes (its documents): one statement on PostgreSQL.
        with rows_collected() as rows:
            attached = attach(dossier) if attach is not None else {}
        insert_linked([(dossier, {}), *((row, {}) for row in rows)])
    else:
        dossier.save()
        attached = attach(dossier) if attach is not None else {}
    entry = DossierAction(
        dossier=dossier,
        seq=seq,
        action=action,
        actor_type=acting.kind,
        actor_ref=acting.ref[:64],
        officer=acting.officer,
        at=now,
        from_state=before,
        to_state=after,
        payload=body,
        reason=reason,
    )
    # The log entry goes with its audit entry: on PostgreSQL one statement (audit's
    # ``alongside``), so every action costs one round trip fewer; its INSERT's text is
    # built once (kernel.rowinserts), not compiled per action.
    audited = auditing.record(
        actor=acting.audit,
        action=f"publicservices.dossier.{action}",
        subject_type="publicservices.dossier",
        subject=str(dossier.pk),
        summary={"from": before, "to": after, "procedure": procedure.key, **attached},
        alongside=insert_statement(entry),
    )
    mark_saved(entry, audited.alongside_id)
    rollup_apply(was_counted, counted(dossier))
    if after != before:
        verb = topic_verb or VERBS.get(action, action)
        events.emit(
            f"publicservices.dossier.{verb}",
            {
                "dossier": str(dossier.pk),
                "reference": dossier.receipt_code or "",
                "procedure": procedure.slug,
                "state": after,
                **(event_extra or {}),
            },
        )
        applicant = acting.person if acting.kind == "applicant" else None
        _notify_after_commit(dossier, procedure, after, applicant=applicant, notice=notice)
    return entry


def _enter(dossier: Dossier, procedure: Procedure, state: str, now: datetime.datetime) -> None:
    """SLA bookkeeping when the dossier enters ``state``."""
    step = procedure.workflow.state(state)
    calendar = current_calendar()
    day = timezone.localdate(now)
    dossier.step_role = step.role
    dossier.step_due_date = calendar.add_working_days(day, step.sla_days) if step.role else None
    if state in _ENDS:
        dossier.completed_at = now
        dossier.step_role = ""
        apologised = DossierAction.objects.filter(dossier=dossier, action="apologise").exists()
        if dossier.due_date is not None and state == "completed":
            # After an apology a new date was promised: the dossier stays counted late.
            dossier.sla_outcome = (
                Dossier.Sla.LATE if apologised else sla_outcome(day, dossier.due_date)
            )


def sla_outcome(day: datetime.date, due: datetime.date) -> str:
    """Early, on time or late: finished on ``day`` against the deadline ``due``."""
    if day < due:
        return str(Dossier.Sla.EARLY.value)
    return str((Dossier.Sla.ON_TIME if day == due else Dossier.Sla.LATE).value)


def _notify_after_commit(
    dossier: Dossier, procedure: Procedure, state: str, *, applicant: Any = None, notice: str = ""
) -> None:
    """Tell the applicant after commit: an e-mail (Django's backend: console or file in
    the demo) and an SMS through identity's SMS port (a file outbox until an operator
    installs a gateway). The contacts are read unless the applicant is the one acting."""
    subject = _("Your dossier %(reference)s: %(state)s") % {
        "reference": dossier.receipt_code or procedure.name.vi,
        "state": state_label(state),
    }
    body = notice or _("The dossier “%(procedure)s” is now: %(state)s.") % {
        "procedure": procedure.name.vi,
        "state": state_label(state),
    }
    applicant_tell(dossier, subject=subject, body=body, applicant=applicant)


def applicant_tell(dossier: Dossier, *, subject: str, body: str, applicant: Any = None) -> None:
    """After commit, an e-mail (``body``) and an SMS (``subject``) to the applicant. The
    contacts are read unless the applicant is the one acting (``applicant``)."""
    if applicant is not None and applicant.pk == dossier.applicant_id:
        address, phone = applicant.email, applicant.phone
    else:
        person_model = apps.get_model("identity", "Person")
        contacts = person_model.objects.filter(pk=dossier.applicant_id)
        address, phone = contacts.values_list("email", "phone").first() or ("", "")
    if not (address or phone):
        return

    def send() -> None:
        if address:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [address], fail_silently=True)
        if phone:
            try:
                sms_sender().send(to=phone, text=subject)
            except Exception:  # a gateway outage must not fail what has committed
                logger.exception("dossier SMS failed")

    transaction.on_commit(send, robust=True)


# The states' names, translated when one is shown (gettext_lazy: a notification
# translates its own state's label, not all seventeen).
_STATE_LABELS = {
    "draft": gettext_lazy("Draft"),
    "reception": gettext_lazy("Waiting for reception"),
    "supplementing": gettext_lazy("Supplementation requested"),
    "fee_due": gettext_lazy("Waiting for the fee"),
    "processing": gettext_lazy("Being processed"),
    "civil_status": gettext_lazy("Civil-status check"),
    "birth_registered": gettext_lazy("Birth registered"),
    "residence": gettext_lazy("Residence registration"),
    "residence_supplementing": gettext_lazy("Supplementation requested"),
    "health_insurance_supplementing": gettext_lazy("Supplementation requested"),
    "health_insurance": gettext_lazy("Health-insurance card"),
    "approval": gettext_lazy("Waiting for approval"),
    "issuing": gettext_lazy("Result being issued"),
    "delivery": gettext_lazy("Result being handed over"),
    "completed": gettext_lazy("Completed"),
    "rejected": gettext_lazy("Refused"),
    "withdrawn": gettext_lazy("Withdrawn"),
}


def state_label(state: str) -> str:
    return str(_STATE_LABELS.get(state, state))
