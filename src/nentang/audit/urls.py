"""URLs of the audit context, mounted at the root by ``config/urls.py``: the
transparency log as C2SP tlog-tiles (/audit/…) and the security operations pages (/soc/)."""

from django.urls import include, path, re_path

from nentang.audit.views import soc, soc_register, soc_response, tlog

tlog_pages = [
    path("checkpoint", tlog.checkpoint, name="checkpoint"),
    path("key", tlog.key, name="key"),
    re_path(r"^tile/(?P<path>.*)$", tlog.tile, name="tile"),
]

soc_pages = [
    path("", soc.alert_list, name="alerts"),
    path("alerts/<uuid:alert_id>/", soc.alert_detail, name="alert"),
    path("alerts/<uuid:alert_id>/acknowledge", soc.alert_acknowledge, name="alert_acknowledge"),
    path("alerts/<uuid:alert_id>/resolve", soc.alert_resolve, name="alert_resolve"),
    path("alerts/<uuid:alert_id>/assign", soc.alert_assign, name="alert_assign"),
    path("alerts/<uuid:alert_id>/block", soc_response.alert_block, name="alert_block"),
    path(
        "alerts/<uuid:alert_id>/blocks/<uuid:block_id>/lift",
        soc_response.alert_unblock,
        name="alert_unblock",
    ),
    path("alerts/<uuid:alert_id>/lock", soc_response.alert_lock, name="alert_lock"),
    path("alerts/<uuid:alert_id>/unlock", soc_response.alert_unlock, name="alert_unlock"),
    path("events/", soc.event_list, name="events"),
    path("events/export", soc.event_export, name="export"),
    path("audit-log/", soc.audit_log, name="audit_log"),
    path("systems/", soc_register.system_list, name="systems"),
    path("systems/new", soc_register.system_new, name="system_new"),
    path("systems/<slug:code>/edit", soc_register.system_edit, name="system_edit"),
    path("retention/<int:level>/edit", soc_register.retention_edit, name="retention_edit"),
]

urlpatterns = [
    path("audit/", include((tlog_pages, "audit"))),
    path("soc/", include((soc_pages, "soc"))),
]
