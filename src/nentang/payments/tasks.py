"""Background tasks of the payments context (django-tasks). Thin: load by id, call one
service."""

from __future__ import annotations

from django_tasks import task

from nentang.payments import services


@task()
def request_process(server_correlation_id: str) -> str:
    """Run an accepted asynchronous GSMA request and send its callback (outbox)."""
    return str(services.request_process(server_correlation_id=server_correlation_id).status)
