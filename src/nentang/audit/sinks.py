"""Connects the kernel's auditing hooks (kernel.auditing) to this context's services."""

from __future__ import annotations

from nentang.kernel import auditing


def install() -> None:
    from nentang.audit.services.entries import record
    from nentang.audit.services.security import security_event_record

    auditing.install(recorder=record, event_recorder=security_event_record)
