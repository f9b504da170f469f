"""Routes of the smartcity context, with full paths (included at the root by
config/urls.py): the NGSI-LD API under ``/ngsi-ld/v1/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from nentang.smartcity.views import ngsild as n
from nentang.smartcity.views import pages
from nentang.smartcity.views import reports as r

app_name = "smartcity"

ID = r"(?P<entity_id>[^/]+)"
NGSI = "ngsi-ld/v1/"

urlpatterns: list[URLPattern | URLResolver] = [
    path(
        f"{NGSI}jsonldContexts/ngsi-ld-core-context-v1.8.jsonld",
        n.core_context,
        name="core_context",
    ),
    # Collections answer with or without a trailing slash (clients such as ngsildclient
    # add one).
    re_path(
        rf"^{NGSI}entities/?$",
        n.endpoint(GET=n.entities_get, POST=n.entities_post),
        name="entities",
    ),
    re_path(
        rf"^{NGSI}entities/{ID}$",
        n.endpoint(
            GET=n.entity_get, PUT=n.entity_put, PATCH=n.entity_patch, DELETE=n.entity_delete
        ),
        name="entity",
    ),
    re_path(
        rf"^{NGSI}entities/{ID}/attrs/?$",
        n.endpoint(POST=n.attrs_post, PATCH=n.attrs_patch),
        name="entity_attrs",
    ),
    re_path(
        rf"^{NGSI}entities/{ID}/attrs/(?P<attr>[^/]+)$",
        n.endpoint(PATCH=n.attr_patch, DELETE=n.attr_delete),
        name="entity_attr",
    ),
    re_path(
        rf"^{NGSI}entityOperations/(?P<operation>[A-Za-z]+)/?$",
        n.endpoint(POST=n.batch),
        name="batch",
    ),
    re_path(
        rf"^{NGSI}subscriptions/?$",
        n.endpoint(GET=n.subscriptions_get, POST=n.subscriptions_post),
        name="subscriptions",
    ),
    re_path(
        rf"^{NGSI}subscriptions/(?P<subscription_id>[^/]+)$",
        n.endpoint(
            GET=n.subscription_get, PATCH=n.subscription_patch, DELETE=n.subscription_delete
        ),
        name="subscription",
    ),
    re_path(
        rf"^{NGSI}temporal/entities/?$", n.endpoint(GET=n.temporal_entities_get), name="temporal"
    ),
    re_path(
        rf"^{NGSI}temporal/entities/{ID}$",
        n.endpoint(GET=n.temporal_entity_get),
        name="temporal_entity",
    ),
    re_path(r"^ngsi-ld/(?P<rest>.*)$", n.not_found, name="ngsi_not_found"),
    # The IOC and citizen-report pages, after the NGSI-LD API (its hot paths are matched
    # first).
    path("do-thi/", pages.cities, name="cities"),
    # Citizen reports ("phản ánh hiện trường"): before the city page's <slug:tenant>.
    path("do-thi/canh-bao/", pages.warnings, name="warnings"),
    path("do-thi/phan-anh/", r.reports_home, name="reports"),
    path("do-thi/phan-anh/cua-toi/", r.my_reports, name="my_reports"),
    path("do-thi/phan-anh/<uuid:report_id>/", r.report, name="report"),
    path("do-thi/phan-anh/<uuid:report_id>/anh", r.report_photo, name="report_photo"),
    path(
        "do-thi/phan-anh/<uuid:report_id>/anh-ket-qua",
        r.report_photo,
        {"answer": True},
        name="report_answer_photo",
    ),
    path("do-thi/can-bo/phan-anh/", r.staff_queue, name="staff_queue"),
    path("do-thi/can-bo/phan-anh/<uuid:report_id>/", r.staff_report, name="staff_report"),
    path("do-thi/<slug:tenant>/phan-anh/", r.resolved, name="resolved"),
    path("do-thi/<slug:tenant>/phan-anh/moi/", r.report_new, name="report_new"),
    path("do-thi/<slug:tenant>/", pages.city, name="city"),
    path("do-thi/<slug:tenant>/truc-tiep", pages.city_live, name="city_live"),
    path("do-thi/<slug:tenant>/cam-bien/<str:entity_id>/", pages.sensor, name="sensor"),
]
