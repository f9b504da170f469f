"""DCAT-AP 3 exports of the catalogue and of each dataset: Turtle, JSON-LD and RDF/XML.
Public, published datasets only. The graphs are built by ``dcat_graph`` with rdflib,
imported on the first export rather than by every process (~0.3 s of a core)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_http_methods

from nentang.kernel.errors import NotFound
from nentang.opendata import selectors

SERIALISATIONS = {
    "ttl": ("turtle", "text/turtle; charset=utf-8"),
    "jsonld": ("json-ld", "application/ld+json"),
    "rdf": ("xml", "application/rdf+xml"),
}


def _serialised(fmt: str) -> tuple[str, str]:
    if fmt not in SERIALISATIONS:
        raise NotFound()
    return SERIALISATIONS[fmt]


@require_http_methods(["GET"])
def catalogue(request: HttpRequest, fmt: str) -> HttpResponse:
    from nentang.opendata.views.dcat_graph import catalogue_graph

    name, content_type = _serialised(fmt)
    return HttpResponse(catalogue_graph().serialize(format=name), content_type=content_type)


@require_http_methods(["GET"])
def dataset(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    from nentang.opendata.views.dcat_graph import dataset_graph

    serialisation, content_type = _serialised(fmt)
    found = selectors.dataset_get(account=None, ref=name)
    graph = dataset_graph(found)
    return HttpResponse(graph.serialize(format=serialisation), content_type=content_type)
