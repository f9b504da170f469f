"""The one-line way for any code — the kernel included — to leave an audit entry or a
security event::

    auditing.record(actor=Actor.person(person_public_id), action="identity.person.register",
                    subject_type="identity.person", subject=str(person.public_id))
    auditing.security_event(kind="auth.failure", source_ip=ip, actor=Actor.person(...))

The kernel imports no context, so the audit context installs the implementation when
Django starts (``audit.apps``). Until one is installed every call raises: a state change
without its audit entry is a bug, never a silent no-op.

``record`` must run inside the transaction of the change it describes, so the entry
exists if and only if the change committed. Identifiers of people are passed raw and
pseudonymised by the audit context with a keyed hash; they never reach the log.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Actor:
    """Who acted. ``type`` is person, officer, client, system or anonymous.

    For people (``person``, ``officer``) ``id`` is whatever identifies them in their
    context; the audit log stores only its keyed hash. Clients and systems keep their
    public ids, which identify software, not people.
    """

    type: str
    id: str

    @classmethod
    def person(cls, identifier: str) -> Actor:
        return cls("person", str(identifier))

    @classmethod
    def officer(cls, identifier: str) -> Actor:
        return cls("officer", str(identifier))

    @classmethod
    def client(cls, client_id: str) -> Actor:
        return cls("client", str(client_id))

    @classmethod
    def system(cls, name: str) -> Actor:
        return cls("system", name)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls("anonymous", "-")


class Recorder(Protocol):
    def __call__(
        self,
        *,
        actor: Actor,
        action: str,
        subject_type: str,
        subject: str,
        summary: Mapping[str, Any] | None = None,
        alongside: tuple[str, Sequence[Any]] | None = None,
    ) -> Any: ...


class EventRecorder(Protocol):
    def __call__(
        self,
        *,
        kind: str,
        outcome: str = "",
        severity: str = "info",
        source_ip: str | None = None,
        actor: Actor | None = None,
        subject: str = "",
        detail: Mapping[str, Any] | None = None,
        system: str = "nentang",
    ) -> Any: ...


_recorder: Recorder | None = None
_event_recorder: EventRecorder | None = None


class AuditingNotInstalled(RuntimeError):
    pass


def install(*, recorder: Recorder, event_recorder: EventRecorder) -> None:
    global _recorder, _event_recorder
    _recorder = recorder
    _event_recorder = event_recorder


def record(
    *,
    actor: Actor,
    action: str,
    subject_type: str,
    subject: str,
    summary: Mapping[str, Any] | None = None,
    alongside: tuple[str, Sequence[Any]] | None = None,
) -> Any:
    """Append an audit entry in the current transaction (see the module docstring).

    ``alongside``: the change itself when it is one ``INSERT … RETURNING id`` (SQL with
    ``%s`` parameters, and its parameters), written with the entry — in one statement
    where the database allows, so no transaction is needed around the call. The
    returned entry's ``alongside_id`` is the id it got."""
    if _recorder is None:
        raise AuditingNotInstalled("no audit recorder installed (is nentang.audit installed?)")
    if alongside is None:
        return _recorder(
            actor=actor, action=action, subject_type=subject_type, subject=subject, summary=summary
        )
    return _recorder(
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject=subject,
        summary=summary,
        alongside=alongside,
    )


def security_event(
    *,
    kind: str,
    outcome: str = "",
    severity: str = "info",
    source_ip: str | None = None,
    actor: Actor | None = None,
    subject: str = "",
    detail: Mapping[str, Any] | None = None,
    system: str = "nentang",
) -> Any:
    """Record a security event (and run the detections on it)."""
    if _event_recorder is None:
        raise AuditingNotInstalled("no security-event recorder installed")
    return _event_recorder(
        kind=kind,
        outcome=outcome,
        severity=severity,
        source_ip=source_ip,
        actor=actor,
        subject=subject,
        detail=detail,
        system=system,
    )
