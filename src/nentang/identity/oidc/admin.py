"""Clients in the admin: DOT's application with nentang's policy inline.

Registering a client is best done with ``nentang clients create`` (it shows the secret
once and checks every rule). In the admin a secret typed or generated on the add page
is stored as a digest like the CLI's, and is never shown again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.admin import ApplicationAdmin
from oauth2_provider.models import Application

from nentang.identity.models import ClientPolicy, Consent
from nentang.identity.oidc.services import SECRET_PREFIX, secret_digest


class ClientPolicyInline(admin.StackedInline):  # type: ignore[type-arg]
    model = ClientPolicy
    can_delete = False
    fields = (
        "auth_method",
        "purpose",
        "scopes",
        "require_level",
        "internal",
        "sector",
        "id_token_alg",
        "jwks",
        "jwks_uri",
    )


class ClientAdmin(ApplicationAdmin):
    inlines = [ClientPolicyInline]
    list_display = ("client_id", "name", "client_type", "authorization_grant_type", "created")
    exclude = ("algorithm", "user", "skip_authorization", "hash_client_secret")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        secret = obj.client_secret or ""
        if secret and not secret.startswith(SECRET_PREFIX) and "$" not in secret:
            obj.client_secret = secret_digest(secret)
        obj.hash_client_secret = False
        super().save_model(request, obj, form, change)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for inline in formset.forms:
            instance = inline.instance
            if isinstance(instance, ClientPolicy) and not getattr(instance, "created_at", None):
                instance.created_at = timezone.now()
        super().save_formset(request, form, formset, change)


if admin.site.is_registered(Application):
    admin.site.unregister(Application)
admin.site.register(Application, ClientAdmin)


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Consents are the person's to give and withdraw: read-only here."""

    list_display = ("id", "application", "granted_at", "ended_at", "end_reason")
    list_filter = ("end_reason",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
