"""Recording security events: validation, pseudonyms, then the detections."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from nentang.audit.models import AuditEntry, SecurityEvent, System
from nentang.audit.services.entries import pseudonym
from nentang.kernel.auditing import Actor
from nentang.kernel.jsonvalues import check_json, check_text, json_size
from nentang.kernel.observability.context import current_request_id

# The kinds every context uses (see the package docstring). Others may be added with the
# same shape: two to four dotted lower-case names, at most 32 characters, because the
# kind is the MSGID of the syslog export (RFC 5424 allows 32).
KINDS: tuple[str, ...] = (
    "auth.failure",
    "auth.success",
    "auth.lockout",
    "authz.denied",
    "token.misuse",
    "ratelimit.hit",
    "admin.action",
    "data.export",
)
SEVERITIES: tuple[str, ...] = ("info", "low", "medium", "high", "critical")
MAX_DETAIL_BYTES = 2048
MAX_KIND_LENGTH = 32

_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3}$")
_OUTCOME = re.compile(r"^[a-z][a-z_]{0,19}$")
_HUMAN_ACTORS = {"person", "officer"}


class SecurityEventError(ValueError):
    """A call to ``security_event_record`` broke a rule; nothing was written."""


def _normalised_ip(source_ip: str | None) -> str | None:
    if source_ip is None or source_ip == "":
        return None
    try:
        address = ipaddress.ip_address(source_ip.strip())
    except ValueError:
        raise SecurityEventError(f"source_ip {source_ip!r} is not an IP address.") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped  # ::ffff:203.0.113.7 and 203.0.113.7 are one source
    return str(address)


def actor_reference(actor: Actor | None) -> tuple[str, str]:
    """(type, reference) stored for an actor: people only as their keyed hash."""
    if actor is None:
        return "", ""
    if actor.type not in AuditEntry.ActorType.values:
        raise SecurityEventError(f"unknown actor type {actor.type!r}.")
    if actor.type == "anonymous":
        return "anonymous", ""
    reference = pseudonym(actor.id) if actor.type in _HUMAN_ACTORS else actor.id
    if not reference or len(reference) > 128:
        raise SecurityEventError("actor id must be 1 to 128 characters.")
    return actor.type, reference


def _system(code: str) -> System:
    system = System.objects.filter(code=code).first()
    if system is not None:
        return system
    from nentang.audit.services.security.register import DEFAULT_SYSTEM, default_system

    if code == DEFAULT_SYSTEM:
        # The platform itself is always a system, even in a database emptied by hand.
        return default_system()
    raise SecurityEventError(
        f"unknown system {code!r}: add it to the system register (SOC → System register)."
    )


def security_event_record(
    *,
    kind: str,
    outcome: str = "",
    severity: str = "info",
    source_ip: str | None = None,
    actor: Actor | None = None,
    subject: str = "",
    detail: Mapping[str, Any] | None = None,
    system: str = "nentang",
) -> SecurityEvent:
    """Store a security event, then run the active detection rules on it.

    Works inside or outside a transaction: outside, the event and any alert it opens
    commit together on their own; inside, they commit (or roll back) with the caller's
    change. Record denials *before* rolling back, or outside the atomic block: an event
    written in a transaction that rolls back is lost with it.

    People (``Actor.person``/``Actor.officer``) are stored only as their keyed pseudonym
    (Law 91/2025/QH15 on personal data protection); ``subject`` must be a public id,
    never a personal identifier. Raises :class:`SecurityEventError` (nothing written) for
    a malformed kind, an unknown severity or system, an invalid address or a detail that
    is not small JSON (at most 2 KiB).
    """
    if len(kind) > MAX_KIND_LENGTH or not _KIND.match(kind):
        raise SecurityEventError(
            f"kind {kind!r} is not a dotted name like auth.failure (at most 32 characters)."
        )
    if severity not in SEVERITIES:
        raise SecurityEventError(f"severity {severity!r} is not one of {', '.join(SEVERITIES)}.")
    if outcome and not _OUTCOME.match(outcome):
        raise SecurityEventError(f"outcome {outcome!r} is not a short lower-case word.")
    if len(subject) > 128:
        raise SecurityEventError("subject is longer than 128 characters.")
    check_text(subject, "subject", SecurityEventError)
    if actor is not None:
        check_text(actor.id, "actor", SecurityEventError)
    facts = dict(detail or {})
    check_json(facts, "detail", SecurityEventError, max_depth=4)
    if json_size(facts) > MAX_DETAIL_BYTES:
        raise SecurityEventError(f"detail is larger than {MAX_DETAIL_BYTES} bytes.")
    address = _normalised_ip(source_ip)
    actor_type, actor_ref = actor_reference(actor)
    request_id = current_request_id()

    from nentang.audit.services.security.detection import detect

    with transaction.atomic():
        event = SecurityEvent.objects.create(
            occurred_at=timezone.now(),
            kind=kind,
            outcome=outcome,
            severity=severity,
            source_ip=address,
            actor_type=actor_type,
            actor=actor_ref,
            subject=subject,
            detail=facts,
            request_id="" if request_id == "-" else request_id,
            system=_system(system),
        )
        detect(event)
    from nentang.audit.services.security.register import prune_schedule_once

    transaction.on_commit(prune_schedule_once, robust=True)
    return event


def utc_iso(moment: datetime) -> str:
    """RFC 3339 in UTC with microseconds: ``2026-11-28T18:07:00.123456Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_snapshot(event: SecurityEvent, system_code: str) -> dict[str, Any]:
    """The event as alert evidence and export line: what survives its pruning."""
    return {
        "id": event.pk,
        "occurred_at": utc_iso(event.occurred_at),
        "kind": event.kind,
        "outcome": event.outcome,
        "severity": event.severity,
        "source_ip": event.source_ip,
        "actor_type": event.actor_type,
        "actor": event.actor,
        "subject": event.subject,
        "detail": event.detail,
        "request_id": event.request_id,
        "system": system_code,
    }
