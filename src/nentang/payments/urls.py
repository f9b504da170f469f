"""HTML pages of the payments context, with full paths (included at the root by
config/urls.py)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver

app_name = "payments"

urlpatterns: list[URLPattern | URLResolver] = []
