"""Routes of the smartcity context, with full paths (included at the root by
config/urls.py): the NGSI-LD API under ``/ngsi-ld/v1/``."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from nentang.smartcity.views import ngsild as n
from nentang.smartcity.views import pages

app_name = "smartcity"

ID = r"(?P<entity_id>[^/]+)"
NGSI = "ngsi-ld/v1/"

urlpatterns: list[URLPattern | URLResolver] = [
    path("do-thi/", pages.cities, name="cities"),
    path("do-thi/<slug:tenant>/", pages.city, name="city"),
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
]
