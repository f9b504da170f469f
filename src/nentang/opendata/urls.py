"""HTML pages and protocol endpoints of the opendata context (included at the root)."""

from __future__ import annotations

from django.urls import URLPattern, URLResolver, path, re_path

from nentang.opendata.views import ckan, dcat, dictionary, harvest, pages

app_name = "opendata"

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/3/action/<str:name>", ckan.dispatch, name="ckan_action"),
    path("api/action/<str:name>", ckan.dispatch, name="ckan_action_unversioned"),
    re_path(r"^catalog\.(?P<fmt>ttl|jsonld|rdf)$", dcat.catalogue, name="catalog"),
    path("dataset", pages.search, name="search"),
    path("dataset/new", pages.dataset_new, name="dataset_new"),
    re_path(
        r"^dataset/(?P<name>[a-z0-9_-]+)\.(?P<fmt>ttl|jsonld|rdf)$",
        dcat.dataset,
        name="dataset_dcat",
    ),
    path("dataset/<slug:name>", pages.dataset, name="dataset"),
    path("dataset/<slug:name>/upload", pages.upload, name="upload"),
    path(
        "dataset/<slug:name>/resource/<uuid:resource_id>/download", pages.download, name="download"
    ),
    path(
        "dataset/<slug:name>/resource/<uuid:resource_id>/fields",
        dictionary.fields_edit,
        name="fields",
    ),
    path("datastore/dump/<uuid:resource_id>", pages.dump, name="dump"),
    path("organization/<slug:name>", pages.organisation, name="organisation"),
    path("opendata/tokens", pages.tokens, name="tokens"),
    path("opendata/harvest", harvest.harvest_sources, name="harvest_sources"),
    path("opendata/harvest/<slug:name>", harvest.harvest_source, name="harvest_source"),
]
