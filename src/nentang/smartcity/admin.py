"""Django admin of the smartcity context (operators' tools; every change is audited by
the audit context's admin hook)."""

from __future__ import annotations

from django.contrib import admin

from nentang.smartcity.models import ThresholdRule


@admin.register(ThresholdRule)
class ThresholdRuleAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """A city's alert thresholds: editable here (validated by ``ThresholdRule.clean``,
    the same checks as the defaults file), every change audited by the admin hook."""

    list_display = (
        "tenant",
        "entity_type",
        "attribute",
        "direction",
        "warning",
        "alarm",
        "hold_minutes",
        "is_active",
    )
    list_filter = ("tenant", "entity_type", "is_active")
    readonly_fields = ("updated_at",)

    def save_model(self, request: object, obj: ThresholdRule, form: object, change: bool) -> None:
        from django.utils import timezone

        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)  # type: ignore[arg-type]
