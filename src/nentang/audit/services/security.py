"""Security events, detections, alerts, the system register, retention and export.

(Being written: see the audit issue.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nentang.kernel.auditing import Actor

__all__ = ["security_event_record"]


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
) -> Any:
    raise NotImplementedError("security events are being implemented")
