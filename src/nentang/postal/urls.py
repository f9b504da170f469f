"""HTML pages of the postal context, with full paths (included at the root)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path

from nentang.postal.views import pages

app_name = "postal"

urlpatterns: list[URLPattern | URLResolver] = [
    path("tracking", pages.track, name="track_form"),
    path("tracking/<str:s10>", pages.track, name="track"),
    path("post/scan", pages.scan, name="scan"),
    path("post/deliver/<str:s10>", pages.deliver, name="deliver"),
    path("post/merchant", pages.merchant, name="merchant"),
]
