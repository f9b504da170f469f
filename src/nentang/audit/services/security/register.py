"""The system register (Decree 85/2016/NĐ-CP), log retention per level, and pruning.

Each hosted information system has a security level 1–5 and the record of the decision
that approved it. How long raw security events are kept depends on the level
(``RetentionPolicy``, configurable data; see data/security_defaults.json for the values
shipped and their sources). Pruning deletes raw events past retention and nothing
else: audit entries, log leaves, tiles and checkpoints are never touched (and their
tables refuse deletes anyway), and alert evidence is a snapshot that outlives its event.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.audit.models import DetectionRule, RetentionPolicy, SecurityEvent, System
from nentang.audit.problems import SYSTEM_CODE_TAKEN, SYSTEM_NOT_FOUND
from nentang.audit.services.entries import record
from nentang.audit.services.security.access import (
    ADD_SYSTEMS,
    CHANGE_RETENTION,
    CHANGE_SYSTEMS,
    Operator,
    operator_actor,
    require,
)
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Conflict, FieldError, NotFound, ValidationFailed
from nentang.kernel.scheduling import task_enqueue_unless_waiting

DEFAULTS = Path(__file__).resolve().parents[2] / "data" / "security_defaults.json"
DEFAULT_SYSTEM = "nentang"
MAX_RETENTION_DAYS = 3650
PRUNE_BATCH = 5000
PRUNE_INTERVAL = timedelta(days=1)
_CODE = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")


def _defaults() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULTS.read_text(encoding="utf-8"))
    return data


def default_system() -> System:
    """The platform's own system, created from the defaults when missing."""
    row = next(item for item in _defaults()["systems"] if item["code"] == DEFAULT_SYSTEM)
    try:
        with transaction.atomic():
            system, _created = System.objects.get_or_create(
                code=DEFAULT_SYSTEM,
                defaults={
                    "name": row["name"],
                    "description": row["description"],
                    "security_level": row["security_level"],
                },
            )
    except IntegrityError:  # created concurrently
        system = System.objects.get(code=DEFAULT_SYSTEM)
    return system


def security_defaults_install() -> dict[str, int]:
    """Create the default system, retention policies and detection rules that are
    missing (as migration 0004 does); existing rows, edited or not, are kept."""
    data = _defaults()
    created = {"systems": 0, "retention_policies": 0, "rules": 0}
    with transaction.atomic():
        if not System.objects.filter(code=DEFAULT_SYSTEM).exists():
            default_system()
            created["systems"] = 1
        levels = set(RetentionPolicy.objects.values_list("security_level", flat=True))
        policies = [
            RetentionPolicy(**row)
            for row in data["retention_policies"]
            if row["security_level"] not in levels
        ]
        RetentionPolicy.objects.bulk_create(policies)
        codes = set(DetectionRule.objects.values_list("code", flat=True))
        rules = [_rule(row) for row in data["rules"] if row["code"] not in codes]
        DetectionRule.objects.bulk_create(rules)
    created["retention_policies"] = len(policies)
    created["rules"] = len(rules)
    return created


def _rule(row: dict[str, Any]) -> DetectionRule:
    values = dict(row)
    for name in ("office_start", "office_end"):
        values[name] = time.fromisoformat(values[name]) if values.get(name) else None
    return DetectionRule(**values)


# --- the system register -------------------------------------------------------------


def _check_system(
    *,
    name: str,
    security_level: int,
    approval_reference: str,
    approved_on: date | None,
    approving_authority: str,
) -> list[FieldError]:
    errors = []
    if not name.strip() or len(name) > 200:
        errors.append(FieldError("name", _("Enter the name of the system (1–200 characters).")))
    if not 1 <= security_level <= 5:
        errors.append(
            FieldError("security_level", _("Choose a security level from 1 to 5."), "invalid")
        )
    if approved_on is not None and approved_on > timezone.localdate():
        errors.append(
            FieldError("approved_on", _("The approval date cannot be in the future."), "invalid")
        )
    decision = (approval_reference.strip(), approved_on, approving_authority.strip())
    if any(decision) and not all(decision):
        # Decree 85/2016 Art. 12: the level is approved by a decision, with its number,
        # date and approving authority; a partial record proves nothing.
        for field, value, message in (
            ("approval_reference", decision[0], _("Enter the number of the approval decision.")),
            ("approved_on", decision[1], _("Enter the date of the approval decision.")),
            ("approving_authority", decision[2], _("Enter who approved the security level.")),
        ):
            if not value:
                errors.append(FieldError(field, message, "required"))
    return errors


def system_create(
    *,
    by: Operator,
    code: str,
    name: str,
    security_level: int,
    description: str = "",
    approval_reference: str = "",
    approved_on: date | None = None,
    approving_authority: str = "",
    owner: str = "",
) -> System:
    """Add an information system to the register (needs ``audit.add_system``)."""
    require(by, ADD_SYSTEMS)
    errors = _check_system(
        name=name,
        security_level=security_level,
        approval_reference=approval_reference,
        approved_on=approved_on,
        approving_authority=approving_authority,
    )
    if not _CODE.match(code):
        errors.insert(
            0,
            FieldError("code", _("Use 2–60 lower-case letters, digits and hyphens for the code.")),
        )
    if errors:
        raise ValidationFailed(_("The system was not added."), errors=errors)
    with transaction.atomic():
        if System.objects.filter(code=code).exists():
            raise Conflict(_("A system with this code exists already."), code=SYSTEM_CODE_TAKEN)
        system = System.objects.create(
            code=code,
            name=name.strip(),
            security_level=security_level,
            description=description.strip(),
            approval_reference=approval_reference.strip(),
            approved_on=approved_on,
            approving_authority=approving_authority.strip(),
            owner=owner.strip(),
        )
        record(
            actor=operator_actor(by),
            action="audit.system.register",
            subject_type="audit.system",
            subject=system.code,
            summary={"security_level": security_level, "approved": approved_on is not None},
        )
    return system


def system_update(
    *,
    by: Operator,
    code: str,
    name: str,
    security_level: int,
    description: str = "",
    approval_reference: str = "",
    approved_on: date | None = None,
    approving_authority: str = "",
    owner: str = "",
    is_active: bool = True,
) -> System:
    """Change a registered system, e.g. after a new approval (needs ``audit.change_system``)."""
    require(by, CHANGE_SYSTEMS)
    errors = _check_system(
        name=name,
        security_level=security_level,
        approval_reference=approval_reference,
        approved_on=approved_on,
        approving_authority=approving_authority,
    )
    if errors:
        raise ValidationFailed(_("The system was not changed."), errors=errors)
    with transaction.atomic():
        system = System.objects.select_for_update().filter(code=code).first()
        if system is None:
            raise NotFound(_("There is no system with this code."), code=SYSTEM_NOT_FOUND)
        previous_level = system.security_level
        system.name = name.strip()
        system.security_level = security_level
        system.description = description.strip()
        system.approval_reference = approval_reference.strip()
        system.approved_on = approved_on
        system.approving_authority = approving_authority.strip()
        system.owner = owner.strip()
        system.is_active = is_active
        system.save()
        record(
            actor=operator_actor(by),
            action="audit.system.update",
            subject_type="audit.system",
            subject=system.code,
            summary={
                "security_level": security_level,
                "previous_level": previous_level,
                "approved": approved_on is not None,
                "active": is_active,
            },
        )
    return system


def retention_minimum(security_level: int) -> int:
    """The shortest time raw security events of systems of ``security_level`` may be kept:
    the longer of the platform-wide floor ``NENTANG_SECURITY_EVENTS_MIN_DAYS`` (365 days
    by default: Decree 53/2022/NĐ-CP keeps system logs for the investigation of
    cybersecurity offences at least 12 months, verify) and the level's minimum in TCVN
    11930:2017, the baseline standard of Decree 85/2016/NĐ-CP (data/security_defaults.json,
    verify). At least one day in any case."""
    floor: int = settings.NENTANG_SECURITY_EVENTS_MIN_DAYS
    by_level = {row["security_level"]: row["days"] for row in _defaults()["retention_minimums"]}
    return max(1, floor, int(by_level.get(security_level, 0)))


def retention_policy_set(
    *, by: Operator, security_level: int, raw_event_days: int, source: str = ""
) -> RetentionPolicy:
    """Set how long raw events of systems of a level are kept (``change_retentionpolicy``).

    Never shorter than :func:`retention_minimum` (the legal minimum, configurable), never
    longer than ten years: a log kept one day would erase the evidence an investigation
    needs.
    """
    require(by, CHANGE_RETENTION)
    errors = []
    if not 1 <= security_level <= 5:
        errors.append(FieldError("security_level", _("Choose a security level from 1 to 5.")))
    minimum = retention_minimum(security_level) if 1 <= security_level <= 5 else 1
    if raw_event_days < minimum:
        errors.append(
            FieldError(
                "raw_event_days",
                _(
                    "Keep raw events of level %(level)s systems for at least %(min)s days: "
                    "the legal minimum (Decree 53/2022/NĐ-CP and TCVN 11930:2017)."
                )
                % {"level": security_level, "min": minimum},
                code="too_short",
            )
        )
    elif raw_event_days > MAX_RETENTION_DAYS:
        errors.append(
            FieldError(
                "raw_event_days",
                _("Keep events at most %(max)s days.") % {"max": MAX_RETENTION_DAYS},
                code="too_long",
            )
        )
    if len(source) > 300:
        errors.append(FieldError("source", _("Keep the source under 300 characters.")))
    if errors:
        raise ValidationFailed(_("The retention policy was not changed."), errors=errors)
    with transaction.atomic():
        policy, _created = RetentionPolicy.objects.select_for_update().get_or_create(
            security_level=security_level,
            defaults={"raw_event_days": raw_event_days, "source": source.strip()},
        )
        previous = policy.raw_event_days
        policy.raw_event_days = raw_event_days
        policy.source = source.strip()
        policy.save()
        record(
            actor=operator_actor(by),
            action="audit.retention_policy.set",
            subject_type="audit.retention_policy",
            subject=f"level-{security_level}",
            summary={"raw_event_days": raw_event_days, "previous_days": previous},
        )
    return policy


# --- pruning -------------------------------------------------------------------------


def security_events_prune(*, now: datetime | None = None) -> int:
    """Delete raw security events older than their system's retention; returns how many.

    Events of a system whose level has no policy are kept, and no event is deleted
    before the legal minimum (:func:`retention_minimum`), even if a policy row says less
    (set before the minimum existed, or edited in the database). Deletes in batches so a
    large backlog never holds one huge transaction; records one audit entry per run
    that deleted something.
    """
    moment = now or timezone.now()
    past_retention = Q(pk__in=[])
    for level, policy_days in RetentionPolicy.objects.values_list(
        "security_level", "raw_event_days"
    ):
        days = max(policy_days, retention_minimum(level))
        past_retention |= Q(
            system__security_level=level, occurred_at__lt=moment - timedelta(days=days)
        )
    expired = SecurityEvent.objects.filter(past_retention).order_by("id")
    total = 0
    while True:
        with transaction.atomic():
            batch = list(expired.values_list("id", flat=True)[:PRUNE_BATCH])
            if not batch:
                break
            deleted, _counts = SecurityEvent.objects.filter(id__in=batch).delete()
            total += deleted
    if total:
        with transaction.atomic():
            record(
                actor=Actor.system("audit.retention"),
                action="audit.security_event.prune",
                subject_type="audit.retention_policy",
                subject="security-events",
                summary={"deleted": total, "before": moment.date().isoformat()},
            )
    return total


_prune_scheduled = False


def security_prune_schedule(*, run_after: datetime | None = None) -> bool:
    """Queue the pruning task unless one is waiting already; True when it queued one."""
    from nentang.audit.security_tasks import prune_security_events

    return task_enqueue_unless_waiting(prune_security_events, run_after=run_after)


def prune_schedule_once() -> None:
    """After the first security event a process commits, make sure a daily prune is
    queued (the task then queues its next run itself)."""
    global _prune_scheduled
    if _prune_scheduled:
        return
    _prune_scheduled = True
    security_prune_schedule(run_after=timezone.now() + PRUNE_INTERVAL)
