"""Problem codes raised by the kernel itself (see kernel/errors/registry.py)."""

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

MALFORMED_BODY = register(
    "malformed_body",
    status=400,
    title=_("Malformed request body"),
    meaning=_("The request body is not valid JSON, so nothing in it could be read."),
    advice=_("API clients: send a JSON document with Content-Type: application/json."),
)
INVALID_CURSOR = register(
    "invalid_cursor",
    status=400,
    title=_("Invalid page cursor"),
    meaning=_("The cursor does not belong to this list or was altered."),
    advice=_("Start again from the first page and follow the next_cursor values returned."),
)
INVALID_LIMIT = register(
    "invalid_limit",
    status=400,
    title=_("Invalid page size"),
    meaning=_("The requested page size is outside the allowed range."),
    advice=_("Ask for between 1 and 500 items per page."),
)
INVALID_IDEMPOTENCY_KEY = register(
    "invalid_idempotency_key",
    status=400,
    title=_("Invalid Idempotency-Key"),
    meaning=_("The Idempotency-Key header is empty, too long or not printable ASCII."),
    advice=_("Send a unique key of 1 to 255 ASCII characters, such as a UUID."),
)
IDEMPOTENCY_KEY_REUSED = register(
    "idempotency_key_reused",
    status=409,
    title=_("Idempotency-Key reused"),
    meaning=_(
        "This Idempotency-Key was already used with a different request, so repeating "
        "it would not be the same operation. Nothing was changed."
    ),
    advice=_("Use a new key for a new request; reuse a key only to retry the same request."),
)
WEBHOOK_SUBSCRIPTION_NOT_FOUND = register(
    "webhook_subscription_not_found",
    status=404,
    title=_("Webhook subscription not found"),
    meaning=_("No webhook subscription has this id."),
    advice=_("List your subscriptions and use one of their ids."),
)
WEBHOOK_DELIVERY_NOT_FOUND = register(
    "webhook_delivery_not_found",
    status=404,
    title=_("Webhook delivery not found"),
    meaning=_("No webhook delivery has this id."),
    advice=_("List the deliveries and use one of their ids."),
)
WEBHOOK_DELIVERY_PENDING = register(
    "webhook_delivery_pending",
    status=409,
    title=_("Webhook delivery still pending"),
    meaning=_("This delivery has not finished; it will be attempted again on its own."),
    advice=_("Replay only deliveries that succeeded or were dead-lettered."),
)
WEBHOOK_SUBSCRIPTION_INACTIVE = register(
    "webhook_subscription_inactive",
    status=409,
    title=_("Webhook subscription disabled"),
    meaning=_("The subscription of this delivery is disabled, so nothing is sent to it."),
    advice=_("Enable or recreate the subscription first."),
)
WEBHOOK_SUBSCRIPTION_NOT_MATCHING = register(
    "webhook_subscription_not_matching",
    status=409,
    title=_("Subscription does not receive this event"),
    meaning=_("That subscription is not active or does not receive this event's topic."),
    advice=_("Choose an active subscription whose topics match the event."),
)
EVENT_NOT_FOUND = register(
    "event_not_found",
    status=404,
    title=_("Event not found"),
    meaning=_("No outbox event has this id."),
    advice=_("Check the event id in the delivery log."),
)
