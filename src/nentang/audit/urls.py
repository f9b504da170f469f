"""Static (C2SP tlog-tiles) URLs of the transparency log, included at ``/audit/``."""

from django.urls import path, re_path

from nentang.audit import views

app_name = "audit"

urlpatterns = [
    path("checkpoint", views.checkpoint, name="checkpoint"),
    path("key", views.key, name="key"),
    re_path(r"^tile/(?P<path>.*)$", views.tile, name="tile"),
]
