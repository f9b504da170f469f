"""/soc/: the security operations pages (mounted by config/urls.py)."""

from django.urls import path

from nentang.audit.soc import register_views, views

app_name = "soc"

urlpatterns = [
    path("", views.alert_list, name="alerts"),
    path("alerts/<uuid:alert_id>/", views.alert_detail, name="alert"),
    path("alerts/<uuid:alert_id>/acknowledge", views.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<uuid:alert_id>/resolve", views.alert_resolve, name="alert_resolve"),
    path("events/", views.event_list, name="events"),
    path("events/export", views.event_export, name="export"),
    path("audit-log/", views.audit_log, name="audit_log"),
    path("systems/", register_views.system_list, name="systems"),
    path("systems/new", register_views.system_new, name="system_new"),
    path("systems/<slug:code>/edit", register_views.system_edit, name="system_edit"),
    path("retention/<int:level>/edit", register_views.retention_edit, name="retention_edit"),
]
