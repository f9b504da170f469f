"""Security monitoring: events, detections, alerts, the system register, retention, export.

Every context reports security events through one call (``kernel.auditing`` installs
this one)::

    auditing.security_event(kind="auth.failure", outcome="failure", source_ip=ip,
                            subject=pseudonym(login))

Event kinds used platform-wide (``events.KINDS``); others may be added with the same
shape (dotted, lower case, at most 32 characters):

=================  ===============================================================
``auth.failure``   a login failed (wrong password, unknown account, bad OTP)
``auth.success``   a login succeeded
``auth.lockout``   an account or address was locked after repeated failures
``authz.denied``   a logged-in actor asked for something it may not see or do
``token.misuse``   an access token was invalid, expired, replayed or out of scope
``ratelimit.hit``  a client went over a rate limit
``admin.action``   an administrator changed something (e.g. Django admin)
``data.export``    data left the platform in bulk (exports, downloads)
=================  ===============================================================

``severity`` is one of info, low, medium, high, critical; ``outcome`` a short word
(``success``, ``failure``, ``denied`` …). Modules, by topic:

* events — ``security_event_record`` (validation, pseudonyms) and evidence snapshots;
* detection — the rules as data (threshold, sequence, off-hours) and alert opening;
* alerts — ``alert_acknowledge`` / ``alert_resolve`` (open → acknowledged → resolved);
* register — systems and their Decree 85/2016 levels, retention per level, pruning;
* export — JSON lines and syslog (RFC 5424) for the national monitoring centre;
* access — who may operate the SOC (Django permissions of staff accounts).
"""

from __future__ import annotations

from nentang.audit.services.security.access import SOC_PERMISSIONS, Operator
from nentang.audit.services.security.alerts import alert_acknowledge, alert_assign, alert_resolve
from nentang.audit.services.security.events import (
    KINDS,
    SEVERITIES,
    SecurityEventError,
    security_event_record,
)
from nentang.audit.services.security.export import (
    security_export_jsonl,
    security_export_syslog,
)
from nentang.audit.services.security.register import (
    retention_minimum,
    retention_policy_set,
    security_defaults_install,
    security_events_prune,
    security_prune_schedule,
    system_create,
    system_update,
)

__all__ = [
    "KINDS",
    "SEVERITIES",
    "SOC_PERMISSIONS",
    "Operator",
    "SecurityEventError",
    "alert_acknowledge",
    "alert_assign",
    "alert_resolve",
    "retention_minimum",
    "retention_policy_set",
    "security_defaults_install",
    "security_event_record",
    "security_events_prune",
    "security_export_jsonl",
    "security_export_syslog",
    "security_prune_schedule",
    "system_create",
    "system_update",
]
