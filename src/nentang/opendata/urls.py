"""HTML pages and protocol endpoints of the opendata context (included at the root)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from nentang.opendata.views import ckan

app_name = "opendata"

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/3/action/<str:name>", ckan.dispatch, name="ckan_action"),
    path("api/action/<str:name>", ckan.dispatch, name="ckan_action_unversioned"),
]
