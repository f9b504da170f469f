"""Operator views of the outbox and webhooks. Every change goes through the services.

Events are immutable; subscriptions are created through
:func:`~nentang.kernel.webhooks.webhook_subscription_create` (which shows the secret once)
and their secret never appears here.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from nentang.kernel import webhooks
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import ProblemError
from nentang.kernel.models import (
    OutboxEvent,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


def _operator(request: HttpRequest) -> Actor:
    """The signed-in operator, as the audit log names people (pseudonymised there)."""
    return Actor.officer(request.user.get_username())


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Viewable, never edited by hand: the services own these tables."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Actions that call a service need the model's change permission."""
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


@admin.register(OutboxEvent)
class OutboxEventAdmin(ReadOnlyAdmin):
    list_display = ("id", "topic", "occurred_at", "fanned_out_at", "request_id")
    search_fields = ("=id", "topic", "=request_id")
    date_hierarchy = "occurred_at"
    actions = ["replay_to_subscribers"]

    @admin.action(
        description=_("Deliver again to every matching subscription"),
        permissions=["operate"],
    )
    def replay_to_subscribers(self, request: HttpRequest, queryset: QuerySet[OutboxEvent]) -> None:
        total = 0
        for event_id in queryset.values_list("id", flat=True):
            total += len(webhooks.webhook_event_replay(actor=_operator(request), event_id=event_id))
        self.message_user(
            request,
            ngettext("%(n)d delivery scheduled.", "%(n)d deliveries scheduled.", total)
            % {"n": total},
            messages.SUCCESS,
        )


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(ReadOnlyAdmin):
    list_display = ("owner", "url", "topics", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("owner", "url")
    exclude = ("secret",)
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = ["disable"]

    @admin.action(
        description=_("Disable (pending deliveries are dead-lettered)"), permissions=["operate"]
    )
    def disable(self, request: HttpRequest, queryset: QuerySet[WebhookSubscription]) -> None:
        ids = list(queryset.filter(is_active=True).values_list("id", flat=True))
        for subscription_id in ids:
            webhooks.webhook_subscription_disable(
                actor=_operator(request), subscription_id=subscription_id
            )
        self.message_user(
            request,
            ngettext("%(n)d subscription disabled.", "%(n)d subscriptions disabled.", len(ids))
            % {"n": len(ids)},
            messages.SUCCESS,
        )


class WebhookAttemptInline(admin.TabularInline):  # type: ignore[type-arg]
    model = WebhookAttempt
    fields = ("attempted_at", "status_code", "error", "duration_ms")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "event_topic",
        "subscription",
        "status",
        "attempts",
        "next_attempt_at",
        "last_status_code",
        "last_error",
    )
    list_filter = ("status",)
    list_select_related = ("event", "subscription")
    search_fields = ("=id", "=event__id", "event__topic", "subscription__url")
    inlines = [WebhookAttemptInline]
    actions = ["replay"]

    @admin.display(description=_("topic"), ordering="event__topic")
    def event_topic(self, obj: WebhookDelivery) -> str:
        return obj.event.topic

    @admin.action(description=_("Replay (send again now)"), permissions=["operate"])
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        done, refused = 0, []
        for delivery_id in queryset.values_list("id", flat=True):
            try:
                webhooks.webhook_delivery_replay(actor=_operator(request), delivery_id=delivery_id)
                done += 1
            except ProblemError as error:
                refused.append(f"{delivery_id}: {error.detail}")
        if done:
            self.message_user(
                request,
                ngettext("%(n)d delivery replayed.", "%(n)d deliveries replayed.", done)
                % {"n": done},
                messages.SUCCESS,
            )
        if refused:
            self.message_user(request, "; ".join(refused), messages.WARNING)
