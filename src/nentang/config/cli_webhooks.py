"""`nentang webhooks`: deliver, replay and list outgoing webhooks (kernel.webhooks)."""

from __future__ import annotations

import uuid

import click
from rich.table import Table

from nentang.config import cli as base


@click.group()
def webhooks() -> None:
    """Deliver, replay and list outgoing webhooks."""


@webhooks.command("deliver")
def webhooks_deliver() -> None:
    """Attempt the webhook deliveries that are due, once.

    New outbox events are fanned out first; prints how many deliveries were attempted.
    """
    base._setup()
    from nentang.kernel.webhooks import webhook_deliver_due

    attempted = webhook_deliver_due()
    noun = "delivery" if attempted == 1 else "deliveries"
    base.console.print(f"nentang: {attempted} webhook {noun} attempted")


@webhooks.command("replay")
@click.argument("delivery_id")
def webhooks_replay(delivery_id: str) -> None:
    """Send a delivery again, with a fresh attempt budget.

    Only a dead or succeeded delivery can be replayed; the worker then sends it.
    """
    base._setup()
    from nentang.kernel.errors import ProblemError
    from nentang.kernel.webhooks import webhook_delivery_replay

    try:
        parsed = uuid.UUID(delivery_id)
    except ValueError:
        base._fail(f"{delivery_id!r} is not a webhook delivery id (a UUID).", code=1)
    try:
        webhook_delivery_replay(actor=base._cli_actor(), delivery_id=parsed)
    except ProblemError as error:
        base._fail(f"cannot replay webhook delivery {parsed}: {error.detail or error}", code=1)
    base.console.print(
        f"nentang: webhook delivery {parsed} is pending again; "
        "the worker (or `nentang webhooks deliver`) sends it"
    )


@webhooks.command("list")
@click.option(
    "--status",
    type=click.Choice(["pending", "succeeded", "dead"]),
    help="Only deliveries in this state.",
)
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
def webhooks_list(status: str | None, limit: int) -> None:
    """Show the most recent webhook deliveries."""
    base._setup()
    from django.utils import timezone

    from nentang.kernel.models import WebhookDelivery
    from nentang.kernel.outbound import redact

    deliveries = WebhookDelivery.objects.select_related("event", "subscription")
    if status is not None:
        deliveries = deliveries.filter(status=status)
    recent = list(deliveries.order_by("-created_at", "-id")[:limit])
    if not recent:
        base.console.print(f"nentang: no {status + ' ' if status else ''}webhook deliveries")
        return
    table = Table(title="Webhook deliveries, most recent first")
    table.add_column("id", no_wrap=True)
    for column in ("topic", "subscription URL", "status"):
        table.add_column(column)
    table.add_column("attempts", justify="right")
    table.add_column("next attempt")
    for delivery in recent:
        pending = delivery.status == WebhookDelivery.Status.PENDING
        table.add_row(
            str(delivery.id),
            delivery.event.topic,
            redact(delivery.subscription.url),  # a query string may carry the receiver's token
            delivery.status,
            str(delivery.attempts),
            timezone.localtime(delivery.next_attempt_at).isoformat(" ", "seconds")
            if pending
            else "—",
        )
    base.console.print(table)
