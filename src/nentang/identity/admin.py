"""Admin of accounts, agencies and officers. Persons are not listed here: reading a
person's data goes through the officer pages, which log the read for the person to see."""

from __future__ import annotations

from datetime import datetime

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from nentang.identity.models import Account, Agency, Officer
from nentang.identity.services.login import login_lockout_until


@admin.register(Account)
class AccountAdmin(UserAdmin):  # type: ignore[type-arg]
    list_display = ("username", "kind", "is_staff", "is_active", "locked_at", "last_login")
    list_filter = ("kind", "is_staff", "is_active")
    search_fields = ("username",)
    ordering = ("username",)
    readonly_fields = ("locked_at", "lock_reason", "lockout_until", "last_login")
    fieldsets = (
        (None, {"fields": ("username", "password", "kind")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "groups")}),
        ("Lock", {"fields": ("locked_at", "lock_reason", "lockout_until")}),
        ("Dates", {"fields": ("last_login",)}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "kind", "password1", "password2")}),
    )
    filter_horizontal = ("groups",)

    @admin.display(description="Locked out until (wrong passwords)")
    def lockout_until(self, obj: Account) -> datetime | None:
        return login_lockout_until(obj) if obj.pk else None


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("code", "name", "kind", "province_code", "commune_code", "is_active")
    search_fields = ("code", "name")


@admin.register(Officer)
class OfficerAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("full_name", "agency", "title", "is_active")
    list_filter = ("agency",)
    search_fields = ("full_name",)
