"""The DCAT-AP 3 graphs of the catalogue and of a dataset (rdflib), served by
``views.dcat``. Public, published datasets only."""

from __future__ import annotations

from django.conf import settings
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from nentang.opendata import selectors
from nentang.opendata.models import Dataset

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
SPDX = Namespace("http://spdx.org/rdf/terms#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
FREQUENCY = Namespace("http://publications.europa.eu/resource/authority/frequency/")
FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
FREQUENCIES = {
    "hourly": "HOURLY", "daily": "DAILY", "weekly": "WEEKLY", "monthly": "MONTHLY",
    "quarterly": "QUARTERLY",
    "semiannual": "ANNUAL_2", "annual": "ANNUAL", "irregular": "IRREG",
}  # fmt: skip
FORMATS = {"CSV": "CSV", "XLSX": "XLSX", "JSON": "JSON", "PDF": "PDF", "ZIP": "ZIP"}


def _graph() -> Graph:
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF),
                              ("vcard", VCARD), ("spdx", SPDX), ("adms", ADMS)):  # fmt: skip
        graph.bind(prefix, namespace)
    return graph


def _uri(path: str) -> URIRef:
    return URIRef(f"{settings.BASE_URL}{path}")


def add_dataset(graph: Graph, dataset: Dataset) -> URIRef:
    node = _uri(f"/dataset/{dataset.name}")
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.public_id))))
    graph.add((node, DCTERMS.title, Literal(dataset.title, lang="vi")))
    graph.add((node, DCTERMS.description, Literal(dataset.notes or dataset.title, lang="vi")))
    graph.add((node, DCTERMS.issued, Literal(dataset.created_at, datatype=XSD.dateTime)))
    graph.add((node, DCTERMS.modified, Literal(dataset.modified_at, datatype=XSD.dateTime)))
    graph.add((node, DCAT.landingPage, node))
    publisher = _uri(f"/organization/{dataset.organisation.name}")
    graph.add((node, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal(dataset.organisation.title, lang="vi")))
    contact = BNode()
    graph.add((node, DCAT.contactPoint, contact))
    graph.add((contact, RDF.type, VCARD.Kind))
    graph.add((contact, RDF.type, VCARD.Organization))
    graph.add((contact, VCARD.fn, Literal(dataset.contact_name or dataset.organisation.title)))
    if dataset.contact_email:
        graph.add((contact, VCARD.hasEmail, URIRef(f"mailto:{dataset.contact_email}")))
    for tag in dataset.tags.all():
        graph.add((node, DCAT.keyword, Literal(tag.name, lang="vi")))
    for group in dataset.groups.all():
        theme = _uri(f"/group/{group.name}")
        graph.add((node, DCAT.theme, theme))
    for code in dataset.spatial_codes or []:
        graph.add((node, DCTERMS.spatial, _uri(f"/api/v1/addresses/units/{code}")))
    if dataset.temporal_start or dataset.temporal_end:
        period = BNode()
        graph.add((node, DCTERMS.temporal, period))
        graph.add((period, RDF.type, DCTERMS.PeriodOfTime))
        if dataset.temporal_start:
            graph.add((period, DCAT.startDate, Literal(dataset.temporal_start, datatype=XSD.date)))
        if dataset.temporal_end:
            graph.add((period, DCAT.endDate, Literal(dataset.temporal_end, datatype=XSD.date)))
    graph.add((node, DCTERMS.accrualPeriodicity, FREQUENCY[FREQUENCIES[dataset.frequency]]))
    if dataset.version:
        graph.add((node, DCAT.version, Literal(dataset.version)))
    licence = (
        URIRef(dataset.licence.url)
        if dataset.licence.url
        else _uri(f"/licence/{dataset.licence_id}")
    )
    for resource in dataset.resources.all():
        distribution = _uri(f"/dataset/{dataset.name}/resource/{resource.public_id}")
        graph.add((node, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
        graph.add((distribution, DCTERMS.title, Literal(resource.name, lang="vi")))
        access = resource.url or f"{settings.BASE_URL}/dataset/{dataset.name}"
        graph.add((distribution, DCAT.accessURL, URIRef(access)))
        if resource.stored_path:
            graph.add(
                (
                    distribution,
                    DCAT.downloadURL,
                    _uri(f"/dataset/{dataset.name}/resource/{resource.public_id}/download"),
                )
            )
        graph.add((distribution, DCTERMS.license, licence))
        if resource.format:
            fmt = FORMATS.get(resource.format.upper())
            graph.add(
                (distribution, DCTERMS.format, FILE_TYPE[fmt] if fmt else Literal(resource.format))
            )
        if resource.size is not None:
            graph.add(
                (
                    distribution,
                    DCAT.byteSize,
                    Literal(resource.size, datatype=XSD.nonNegativeInteger),
                )
            )
        if resource.sha256:
            checksum = BNode()
            graph.add((distribution, SPDX.checksum, checksum))
            graph.add((checksum, RDF.type, SPDX.Checksum))
            graph.add((checksum, SPDX.algorithm, SPDX.checksumAlgorithm_sha256))
            graph.add(
                (checksum, SPDX.checksumValue, Literal(resource.sha256, datatype=XSD.hexBinary))
            )
    return node


def catalogue_graph(*, limit: int = 10_000) -> Graph:
    graph = _graph()
    catalogue = _uri("/catalog")
    graph.add((catalogue, RDF.type, DCAT.Catalog))
    graph.add((catalogue, DCTERMS.title, Literal("Dữ liệu mở — nentang", lang="vi")))
    graph.add(
        (
            catalogue,
            DCTERMS.description,
            Literal("Danh mục dữ liệu mở của các cơ quan nhà nước", lang="vi"),
        )
    )
    graph.add((catalogue, FOAF.homepage, _uri("/dataset")))
    publisher = _uri("/")
    graph.add((catalogue, DCTERMS.publisher, publisher))
    graph.add((publisher, RDF.type, FOAF.Agent))
    graph.add((publisher, FOAF.name, Literal("nentang", lang="vi")))
    datasets = (
        selectors.visible_datasets(None)
        .select_related("organisation", "licence")
        .prefetch_related("tags", "groups", "resources")
        .order_by("name")[:limit]
    )
    for dataset in datasets:
        graph.add((catalogue, DCAT.dataset, add_dataset(graph, dataset)))
    return graph


def dataset_graph(dataset: Dataset) -> Graph:
    graph = _graph()
    add_dataset(graph, dataset)
    return graph
