"""Clients in the admin: DOT's application with nentang's policy inline.

Registering a client is best done with ``nentang clients create`` (it shows the secret
once). The admin checks the same rules (``services.client_rules_check``) when a client
and its policy are saved, and refuses a client without a policy. A secret typed or
generated on the add page is stored as a digest like the CLI's, and never shown again.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models
from django.forms.models import BaseInlineFormSet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.admin import ApplicationAdmin
from oauth2_provider.models import Application

from nentang.identity.models import ClientPolicy, Consent
from nentang.identity.oidc.common import forget_client
from nentang.identity.oidc.services import (
    GRANTS,
    SECRET_PREFIX,
    client_rules_check,
    secret_digest,
)


class ClientPolicyFormSet(BaseInlineFormSet):  # type: ignore[type-arg]
    """Validates the application (already cleaned into ``self.instance``) together with
    its policy, by the rules of ``nentang clients create``."""

    def clean(self) -> None:
        super().clean()
        forms = [form for form in self.forms if getattr(form, "cleaned_data", None)]
        if not forms:
            raise ValidationError(_("A client needs its policy: fill in the policy below."))
        policy = forms[0].cleaned_data
        application = self.instance
        errors, _cleaned = client_rules_check(
            name=application.name,
            redirect_uris=(application.redirect_uris or "").split(),
            public=application.client_type == Application.CLIENT_PUBLIC,
            grant=next(
                (
                    name
                    for name, value in GRANTS.items()
                    if value == application.authorization_grant_type
                ),
                application.authorization_grant_type,
            ),
            auth_method=policy.get("auth_method"),
            jwks=policy.get("jwks"),
            jwks_uri=policy.get("jwks_uri") or "",
            require_level=policy.get("require_level") or 1,
            purpose=policy.get("purpose") or "",
            scopes=policy.get("scopes"),
            id_token_alg=policy.get("id_token_alg") or "",
            post_logout_redirect_uris=(application.post_logout_redirect_uris or "").split(),
        )
        if errors:
            raise ValidationError([f"{error.field}: {error.message}" for error in errors])


class ClientPolicyInline(admin.StackedInline):  # type: ignore[type-arg]
    model = ClientPolicy
    formset = ClientPolicyFormSet
    can_delete = False
    min_num = 1
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
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
        forget_client(obj.client_id)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        forget_client(obj.client_id)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for inline in formset.forms:
            instance = inline.instance
            if isinstance(instance, ClientPolicy) and not getattr(instance, "created_at", None):
                instance.created_at = timezone.now()
        super().save_formset(request, form, formset, change)
        forget_client(form.instance.client_id)


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
