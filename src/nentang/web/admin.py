"""Administration → Installation: the one row that says who runs this installation."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from nentang.web.models import Installation
from nentang.web.selectors import installation_forget


@admin.register(Installation)
class InstallationAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("name", "agency", "hotline", "email", "updated_at")
    readonly_fields = ("updated_at",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and not Installation.objects.exists()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Installation, form: Any, change: bool) -> None:
        obj.pk = 1
        super().save_model(request, obj, form, change)
        installation_forget()
