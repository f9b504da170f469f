"""Export of security events and alerts for a national monitoring centre.

Two formats, one line per event or alert, events first (by id), then alerts (by
opening time):

* JSON lines — one JSON object per line (``"type": "security_event"`` or ``"alert"``);
* syslog (RFC 5424) — ``<PRI>1 TIMESTAMP HOSTNAME nentang PROCID MSGID [SD] MSG``:
  PRI = facility × 8 + severity (events: facility 13 "log audit", alerts: 14 "log
  alert"; severity from the event's: info 6, low 5, medium 4, high 3, critical 2),
  TIMESTAMP in UTC with microseconds, MSGID the event kind (``alert`` for alerts), one
  STRUCTURED-DATA element ``nentang@<PEN>`` with escaped params (``"``, ``\\`` and ``]``),
  and a BOM-free UTF-8 MSG. The PEN defaults to 32473, the number RFC 5612 reserves for
  documentation: set your organisation's IANA Private Enterprise Number.

Every export is recorded before its first line is produced: a ``data.export`` security
event and an audit entry naming who exported what (Decree 53/2022/NĐ-CP asks that logs
handed over be accounted for; OWASP ASVS 5.0 V16).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.audit.models import Alert, SecurityEvent
from nentang.audit.services.entries import record
from nentang.audit.services.security.access import (
    EXPORT_EVENTS,
    Operator,
    operator_actor,
    require,
)
from nentang.audit.services.security.events import (
    MAX_KIND_LENGTH,
    event_snapshot,
    security_event_record,
    utc_iso,
)
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, ValidationFailed

DOCUMENTATION_PEN = 32473  # RFC 5612: the Private Enterprise Number for examples
APP_NAME = "nentang"
FACILITY_EVENTS = 13  # log audit
FACILITY_ALERTS = 14  # log alert
SYSLOG_SEVERITY = {"critical": 2, "high": 3, "medium": 4, "low": 5, "info": 6}
_KIND = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*){1,3}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_CHUNK = 2000


def _check(since: datetime, until: datetime | None, kind: str | None) -> datetime:
    errors = []
    if timezone.is_naive(since):
        errors.append(FieldError("since", _("Give the start time with its time zone.")))
    end = until or timezone.now()
    if until is not None and timezone.is_naive(until):
        errors.append(FieldError("until", _("Give the end time with its time zone.")))
    elif not errors and end <= since:
        errors.append(FieldError("until", _("The end of the period must come after its start.")))
    if kind and (len(kind) > MAX_KIND_LENGTH or not _KIND.match(kind)):
        errors.append(FieldError("kind", _("Enter an event kind such as auth.failure.")))
    if errors:
        raise ValidationFailed(_("The export was not made."), errors=errors)
    return end


def _events(since: datetime, until: datetime, kind: str | None) -> QuerySet[SecurityEvent]:
    events = SecurityEvent.objects.filter(occurred_at__gte=since, occurred_at__lt=until)
    if kind:
        events = events.filter(kind=kind)
    return events.select_related("system").order_by("id")


def _alerts(since: datetime, until: datetime) -> QuerySet[Alert]:
    # Alerts with activity in the period: opened before its end, last event after its start.
    return (
        Alert.objects.filter(opened_at__lt=until, last_event_at__gte=since)
        .select_related("rule", "system")
        .order_by("opened_at", "id")
    )


def _record(
    *,
    by: Operator | None,
    fmt: str,
    since: datetime,
    until: datetime,
    kind: str | None,
    **counts: int,
) -> None:
    actor = operator_actor(by) if by is not None else Actor.system("cli")
    facts: dict[str, Any] = {
        "format": fmt,
        "since": utc_iso(since),
        "until": utc_iso(until),
        "kind": kind or "",
        **counts,
    }
    with transaction.atomic():
        security_event_record(
            kind="data.export",
            outcome="success",
            actor=actor,
            subject="audit.security_events",
            detail=facts,
        )
        record(
            actor=actor,
            action="audit.security_event.export",
            subject_type="audit.security_event",
            subject="export",
            summary=facts,
        )


def _prepare(
    *,
    by: Operator | None,
    fmt: str,
    since: datetime,
    until: datetime | None,
    kind: str | None,
    include_alerts: bool,
) -> tuple[QuerySet[SecurityEvent], QuerySet[Alert] | None]:
    if by is not None:
        require(by, EXPORT_EVENTS)
    end = _check(since, until, kind)
    events = _events(since, end, kind)
    alerts = _alerts(since, end) if include_alerts else None
    _record(
        by=by,
        fmt=fmt,
        since=since,
        until=end,
        kind=kind,
        events=events.count(),
        alerts=alerts.count() if alerts is not None else 0,
    )
    return events, alerts


def alert_document(alert: Alert) -> dict[str, Any]:
    return {
        "type": "alert",
        "id": str(alert.pk),
        "rule": alert.rule.code,
        "rule_name": alert.rule.name,
        "severity": alert.severity,
        "state": alert.state,
        "key": alert.key,
        "opened_at": utc_iso(alert.opened_at),
        "first_event_at": utc_iso(alert.first_event_at),
        "last_event_at": utc_iso(alert.last_event_at),
        "event_count": alert.event_count,
        "system": alert.system.code,
    }


def _json_line(document: dict[str, Any]) -> str:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")) + "\n"


def security_export_jsonl(
    *,
    by: Operator | None,
    since: datetime,
    until: datetime | None = None,
    kind: str | None = None,
    include_alerts: bool = True,
) -> Iterator[str]:
    """Security events in [since, until) (of ``kind`` if given) and the alerts active in
    that period, as JSON lines. ``by`` needs ``audit.export_securityevent``; ``None``
    is the command line (a shell on the server). The export is recorded at once."""
    events, alerts = _prepare(
        by=by, fmt="jsonl", since=since, until=until, kind=kind, include_alerts=include_alerts
    )

    def lines() -> Iterator[str]:
        for event in events.iterator(chunk_size=_CHUNK):
            yield _json_line({"type": "security_event", **event_snapshot(event, event.system.code)})
        for alert in alerts.iterator(chunk_size=_CHUNK) if alerts is not None else ():
            yield _json_line(alert_document(alert))

    return lines()


# --- syslog (RFC 5424) ---------------------------------------------------------------


def sd_escape(value: str) -> str:
    """PARAM-VALUE escaping of RFC 5424 §6.3.3: backslash, double quote, right bracket."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def _sd_element(sd_id: str, params: list[tuple[str, Any]]) -> str:
    pairs = "".join(
        f' {name}="{sd_escape(str(value))}"' for name, value in params if value not in ("", None)
    )
    return f"[{sd_id}{pairs}]"


def _header_token(value: str, limit: int) -> str:
    """A header field: printable US-ASCII without spaces, or the NILVALUE ``-``."""
    token = "".join(ch for ch in value if "!" <= ch <= "~")[:limit]
    return token or "-"


def default_hostname() -> str:
    return urlsplit(settings.BASE_URL).hostname or "-"


def syslog_message(
    *,
    facility: int,
    severity: str,
    timestamp: datetime,
    hostname: str,
    msgid: str,
    structured_data: str,
    message: str,
) -> str:
    """One RFC 5424 message (without a trailing newline)."""
    pri = facility * 8 + SYSLOG_SEVERITY[severity]
    header = " ".join(
        (
            f"<{pri}>1",
            utc_iso(timestamp),
            _header_token(hostname, 255),
            APP_NAME,
            _header_token(str(os.getpid()), 128),
            _header_token(msgid, 32),
        )
    )
    text = _CONTROL.sub(" ", message).strip()
    return f"{header} {structured_data}" + (f" {text}" if text else "")


def _event_line(event: SecurityEvent, sd_id: str, hostname: str) -> str:
    params: list[tuple[str, Any]] = [
        ("eventId", event.pk),
        ("kind", event.kind),
        ("outcome", event.outcome),
        ("severity", event.severity),
        ("srcIp", event.source_ip),
        ("actorType", event.actor_type),
        ("actor", event.actor),
        ("subject", event.subject),
        ("system", event.system.code),
        ("requestId", event.request_id),
        (
            "detail",
            json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else "",
        ),
    ]
    where = f" from {event.source_ip}" if event.source_ip else ""
    outcome = f" ({event.outcome})" if event.outcome else ""
    return syslog_message(
        facility=FACILITY_EVENTS,
        severity=event.severity,
        timestamp=event.occurred_at,
        hostname=hostname,
        msgid=event.kind,
        structured_data=_sd_element(sd_id, params),
        message=f"{event.kind}{outcome}{where} on {event.system.code}",
    )


def _alert_line(alert: Alert, sd_id: str, hostname: str) -> str:
    document = alert_document(alert)
    params: list[tuple[str, Any]] = [
        ("alertId", document["id"]),
        ("rule", document["rule"]),
        ("state", document["state"]),
        ("severity", document["severity"]),
        ("key", document["key"]),
        ("events", document["event_count"]),
        ("firstEventAt", document["first_event_at"]),
        ("lastEventAt", document["last_event_at"]),
        ("system", document["system"]),
    ]
    return syslog_message(
        facility=FACILITY_ALERTS,
        severity=alert.severity if alert.severity in SYSLOG_SEVERITY else "medium",
        timestamp=alert.opened_at,
        hostname=hostname,
        msgid="alert",
        structured_data=_sd_element(sd_id, params),
        message=f"{alert.rule.name} [{alert.state}]",
    )


def security_export_syslog(
    *,
    by: Operator | None,
    since: datetime,
    until: datetime | None = None,
    kind: str | None = None,
    include_alerts: bool = True,
    enterprise_number: int = DOCUMENTATION_PEN,
    hostname: str | None = None,
) -> Iterator[str]:
    """The same selection as :func:`security_export_jsonl`, as RFC 5424 messages, one
    per line. ``enterprise_number`` is the IANA PEN in the SD-ID ``nentang@<PEN>``;
    ``hostname`` defaults to the host of ``NENTANG_BASE_URL``."""
    if enterprise_number < 1:
        raise ValidationFailed(
            _("The export was not made."),
            errors=[FieldError("enterprise_number", _("Enter a positive enterprise number."))],
        )
    events, alerts = _prepare(
        by=by, fmt="syslog", since=since, until=until, kind=kind, include_alerts=include_alerts
    )
    sd_id = f"{APP_NAME}@{enterprise_number}"
    host = hostname or default_hostname()

    def lines() -> Iterator[str]:
        for event in events.iterator(chunk_size=_CHUNK):
            yield _event_line(event, sd_id, host) + "\n"
        for alert in alerts.iterator(chunk_size=_CHUNK) if alerts is not None else ():
            yield _alert_line(alert, sd_id, host) + "\n"

    return lines()
