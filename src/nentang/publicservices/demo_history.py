"""The demo's past: a few thousand dossiers received over the last months, written
straight into the tables (the services date what they record with the clock, and going
through them would take minutes), yet as the services would have left them.

Every dossier's log is a path through its workflow computed by the engine
(:func:`workflow.apply`), so replaying it gives the cached state; the receipt code's date
is the day of receipt and its number that unit's count of that day (0001, 0002, … with no
gap); each officer step keeps its own SLA outcome and the dossier its early / on-time /
late outcome from the day it was completed; what is not finished by now stays open in
its queue (often overdue). The statistics' roll-up is rebuilt from the rows at the end.
Each action of these logs has its audit entry, as a real one has (``auditing.record``
in the same transaction, the same action name, subject and summary, with the action's
own time as ``at``: the entry itself is dated when the demo wrote it); they have no
outbox events or notifications (no one is waiting for them).
"""

from __future__ import annotations

import datetime
import hashlib
import random
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.workdays import current_calendar
from nentang.publicservices import services
from nentang.publicservices.catalogue import Procedure, catalogue
from nentang.publicservices.models import (
    Dossier,
    DossierAction,
    DossierFile,
    ReceiptCounter,
    ReceivingUnit,
)
from nentang.publicservices.services.common import sla_outcome
from nentang.publicservices.workflow import HAND_OFF, Step, apply

DAYS = 180
# Dossiers written per transaction (with their log entries, papers and audit entries).
BATCH = 250
# What an officer prefers to do next at each step of the happy path.
PREFERRED = (
    "receive",
    "fee_paid",
    "process",
    "approve",
    HAND_OFF,
    "issue_result",
    "deliver",
    "return_result",
)


@dataclass(frozen=True)
class Kind:
    """One kind of historical dossier: its procedure, where it is received, its answers."""

    slug: str
    agency: str
    answers: Callable[[random.Random, Any], dict[str, Any]]
    weight: int


@dataclass
class Planned:
    kind: Kind
    applicant: Any
    received: datetime.datetime
    channel: str
    supplemented: bool
    code: str = ""
    actions: list[DossierAction] = field(default_factory=list)


def _local(day: datetime.date, minutes: int) -> datetime.datetime:
    naive = datetime.datetime.combine(day, datetime.time(7, 30)) + datetime.timedelta(
        minutes=minutes
    )
    return timezone.make_aware(naive)


def _working_days(last: datetime.date, count: int) -> list[datetime.date]:
    calendar = current_calendar()
    days: list[datetime.date] = []
    day = last
    while len(days) < count:
        if calendar.is_working_day(day):
            days.append(day)
        day -= datetime.timedelta(days=1)
    return days


def history_load(
    *,
    total: int,
    kinds: Sequence[Kind],
    officers: dict[str, dict[str, Any]],
    applicants: Sequence[Any],
    agencies: dict[str, Any],
    rng: random.Random,
) -> int:
    """Write ``total`` dossiers received on the working days before today (the
    services' dossiers are today's, so the receipt counters never meet). ``officers``:
    per agency code and role, the officer who acts; ``agencies``: code → Agency."""
    today = timezone.localdate()
    now = timezone.now()
    days = _working_days(today - datetime.timedelta(days=1), DAYS * 5 // 7)
    planned = []
    for _number in range(total):
        kind = rng.choices(kinds, weights=[k.weight for k in kinds])[0]
        # More dossiers lately than long ago, as a platform that is being adopted.
        day = days[min(len(days) - 1, int(rng.triangular(0, len(days), 0)))]
        planned.append(
            Planned(
                kind=kind,
                applicant=rng.choice(applicants),
                received=_local(day, rng.randint(0, 540)),
                channel="online" if rng.random() < 0.75 else "counter",
                supplemented=rng.random() < 0.08,
            )
        )
    units = dict(
        ReceivingUnit.objects.filter(agency_id__in={k.agency for k in kinds}).values_list(
            "agency_id", "unit_code"
        )
    )
    # Receipt numbers: per unit and day, in the order of receipt, from 0001 without a gap.
    per_day: dict[tuple[str, datetime.date], int] = defaultdict(int)
    for plan in sorted(planned, key=lambda p: p.received):
        unit = units[plan.kind.agency]
        day = timezone.localdate(plan.received)
        per_day[(unit, day)] += 1
        plan.code = f"{unit}-{day:%y%m%d}-{per_day[(unit, day)]:04d}"
    scan = _stored_scan()
    unit_rows = {row.unit_code: row for row in ReceivingUnit.objects.all()}
    with transaction.atomic():
        ReceiptCounter.objects.bulk_create(
            [
                ReceiptCounter(unit=unit_rows[unit], day=day, last=last)
                for (unit, day), last in per_day.items()
            ],
            batch_size=1000,
        )
    # In batches of dossiers in the order they were received, each one transaction with
    # its rows and their audit entries: a few small transactions, not one huge one.
    dossiers: list[Dossier] = []
    chronological = sorted(planned, key=lambda p: p.received)
    for start in range(0, len(chronological), BATCH):
        batch = [
            _dossier(plan, officers, agencies, rng, now)
            for plan in chronological[start : start + BATCH]
        ]
        actions = [a for plan in chronological[start : start + BATCH] for a in plan.actions]
        with transaction.atomic():
            Dossier.objects.bulk_create(batch, batch_size=500)
            DossierAction.objects.bulk_create(actions, batch_size=1000)
            DossierFile.objects.bulk_create(
                [f for dossier in batch for f in _documents(dossier, scan)], batch_size=1000
            )
            _audit(actions)
        dossiers.extend(batch)
    services.statistics_rebuild()
    return len(dossiers)


def _audit(actions: Sequence[DossierAction]) -> None:
    """The audit entry of every action, in the order they happened, as ``common.record``
    writes it (actor, ``publicservices.dossier.<action>``, the dossier, from / to and the
    procedure), plus the action's time. Inside the loading transaction."""
    usernames: dict[Any, str] = {}
    for entry in sorted(actions, key=lambda a: (a.at, a.seq)):
        if entry.actor_type == "officer":
            officer: Any = entry.officer
            if officer.pk not in usernames:
                usernames[officer.pk] = officer.account.username
            actor = Actor.officer(usernames[officer.pk])
        elif entry.actor_type == "applicant":
            actor = Actor.person(entry.actor_ref)
        else:
            actor = Actor.system(entry.actor_ref)
        dossier = entry.dossier
        auditing.record(
            actor=actor,
            action=f"publicservices.dossier.{entry.action}",
            subject_type="publicservices.dossier",
            subject=str(dossier.pk),
            summary={
                "from": entry.from_state,
                "to": entry.to_state,
                "procedure": f"{dossier.procedure_slug}@v{dossier.procedure_version}",
                "at": entry.at.isoformat(),
            },
        )


SCAN = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _stored_scan() -> tuple[str, str]:
    """One stored scan that every historical dossier's papers point at (stored files
    are never deleted, so sharing one is safe, as reuse does)."""
    name = default_storage.save(f"publicservices/demo/{uuid.uuid4().hex}.pdf", ContentFile(SCAN))
    return name, hashlib.sha256(SCAN).hexdigest()


def _documents(dossier: Dossier, scan: tuple[str, str]) -> list[DossierFile]:
    procedure = catalogue().get(dossier.procedure_slug, dossier.procedure_version)
    assert procedure is not None
    return [
        DossierFile(
            dossier=dossier,
            kind=DossierFile.Kind.DOCUMENT,
            document=index,
            name=f"ban-scan-{index + 1}.pdf",
            content_type="application/pdf",
            size=len(SCAN),
            sha256=scan[1],
            storage_name=scan[0],
            created_at=dossier.submitted_at or dossier.created_at,
        )
        for index, document in enumerate(procedure.documents)
        if document.required
    ]


def _completion_day(
    procedure: Procedure, received: datetime.date, rng: random.Random
) -> datetime.date:
    """The day the dossier is finished: early, on its due day or late (some)."""
    calendar = current_calendar()
    days = procedure.processing_days
    roll = rng.random()
    if roll < 0.35 and days > 0:
        return calendar.add_working_days(received, rng.randint(0, days - 1))
    if roll < 0.82:
        return calendar.add_working_days(received, days)
    return calendar.add_working_days(received, days + rng.randint(1, 4))


def _dossier(
    plan: Planned,
    officers: dict[str, dict[str, Any]],
    agencies: dict[str, Any],
    rng: random.Random,
    now: datetime.datetime,
) -> Dossier:
    procedure = catalogue().require(plan.kind.slug)
    workflow = procedure.workflow
    calendar = current_calendar()
    answers = {
        **plan.kind.answers(rng, plan.applicant),
        "applicant_full_name": plan.applicant.full_name,
        "applicant_id_number": plan.applicant.id_number,
    }
    delivery = answers.get("result_delivery")
    if delivery not in Dossier.Delivery.values:
        delivery = "online" if procedure.result == "digital" else "counter"
    fee = procedure.fee_for(answers)
    home = plan.kind.agency
    submitted = plan.received - datetime.timedelta(
        hours=rng.randint(1, 60) if plan.channel == "online" else 0, minutes=rng.randint(5, 40)
    )
    if plan.supplemented:
        submitted -= datetime.timedelta(days=rng.randint(2, 4))
    dossier = Dossier(
        id=uuid.uuid4(),
        procedure_slug=procedure.slug,
        procedure_version=procedure.version,
        applicant=plan.applicant,
        agency_id=home,
        handler_id=home,
        state="draft",
        data=answers,
        channel=plan.channel,
        result_delivery=delivery,
        created_at=submitted,
        updated_at=submitted,
        submitted_at=submitted,
    )
    end_day = _completion_day(procedure, timezone.localdate(plan.received), rng)
    end = _local(end_day, rng.randint(60, 540))
    end = max(end, plan.received + datetime.timedelta(hours=1))
    refuse = rng.random() < 0.06
    # The path: submit, perhaps one supplementation, then the preferred actions.
    timed: list[tuple[str, datetime.datetime, str]] = [("submit", submitted, "")]
    if plan.supplemented:
        asked = submitted + datetime.timedelta(hours=rng.randint(2, 20))
        timed.append(("request_supplement", asked, "Bổ sung bản sao giấy tờ còn thiếu"))
        timed.append(("resubmit", asked + datetime.timedelta(days=1), ""))
    timed.append(("receive", plan.received, ""))
    state = "draft"
    for action, _moment, _why in timed:
        state = apply(workflow, state, Step(action, {"fee": fee, "delivery": delivery}))
    following: list[str] = []
    while workflow.is_open(state):
        choices = workflow.state(state).transitions
        if refuse and "reject" in choices and "process" in choices:
            following.append("reject")
            break
        if workflow.state(state).waits == "result":
            action = "deliver" if delivery == "post" else "return_result"
        else:
            action = next(a for a in PREFERRED if a in choices)
        following.append(action)
        state = apply(workflow, state, Step(action, {"fee": fee, "delivery": delivery}))
    span = end - plan.received
    for index, action in enumerate(following, start=1):
        moment = plan.received + span * index / len(following)
        reason = "Giấy tờ chứng minh không hợp lệ" if action == "reject" else ""
        timed.append((action, moment, reason))
    # Replay with the engine, stopping at what has happened by now.
    state, step_due, handler = "draft", None, home
    seq = 0
    for action, at, reason in timed:
        if at >= now:
            break
        day = timezone.localdate(at)
        payload: dict[str, Any] = {}
        actor_type, actor_ref, officer = "officer", "", None
        previous = workflow.state(state) if state != "draft" else None
        role = previous.role if previous is not None else ""
        if action in ("submit", "resubmit"):
            actor_type, actor_ref = "applicant", str(plan.applicant.pk)
            if action == "submit":
                payload = {"agency": home, "version": procedure.version}
        elif action == "fee_paid":
            actor_type, actor_ref = "system", "demo-payments"
            payload = {"payment": f"DEMO-{plan.code}", "amount": fee}
            dossier.fee_paid_at = at
            dossier.payment_reference = f"DEMO-{plan.code}"
        elif action == "deliver":
            actor_type, actor_ref = "system", "demo-post"
            payload = {"delivered_at": at.isoformat()}
        else:
            officer = officers[handler][role or "reception"]
            actor_ref = str(officer.pk)
        if action == "receive":
            payload = {"fee": fee}
            dossier.receipt_code = plan.code
            dossier.received_at = at
            dossier.fee_amount = fee
            dossier.due_date = calendar.add_working_days(day, procedure.processing_days)
        elif action == "issue_result":
            payload = {"delivery": delivery}
        elif action == "request_supplement":
            payload = {"reasons": [reason]}
            dossier.supplement_count += 1
        elif action == HAND_OFF:
            target = workflow.state(workflow.state(state).transitions[HAND_OFF])
            to = home if target.agency is None else _partner(agencies, target.agency.kind)
            payload = {
                "from_agency": handler,
                "to_agency": to,
                "from_name": agencies[handler].name,
                "to_name": agencies[to].name,
            }
            reason = "Chuyển bước tiếp theo của thủ tục liên thông"
            handler = to
        after = apply(workflow, state, Step(action, {"fee": fee, "delivery": delivery}))
        if after != state and role and step_due is not None:
            payload["step_sla"] = sla_outcome(day, step_due)
        if action == "approve":
            dossier.approved_at = at
        seq += 1
        plan.actions.append(
            DossierAction(
                dossier=dossier,
                seq=seq,
                action=action,
                actor_type=actor_type,
                actor_ref=actor_ref,
                officer=officer,
                at=at,
                from_state=state,
                to_state=after,
                payload=payload,
                reason=reason,
            )
        )
        if after != state:
            entered = workflow.state(after)
            step_due = calendar.add_working_days(day, entered.sla_days) if entered.role else None
            if entered.terminal:
                dossier.completed_at = at
                if after == "completed" and dossier.due_date is not None:
                    dossier.sla_outcome = sla_outcome(day, dossier.due_date)
        state = after
        dossier.updated_at = at
    current = workflow.state(state)
    dossier.state = state
    dossier.handler_id = handler
    dossier.log_length = seq
    dossier.step_role = "" if current.terminal else current.role
    dossier.step_due_date = step_due if current.role and not current.terminal else None
    return dossier


def _partner(agencies: dict[str, Any], kind: str) -> str:
    return next(code for code, agency in agencies.items() if agency.kind == kind)
