"""Reading another catalogue for the harvester, with no database write: a CKAN Action
API (``package_search`` paged) or a DCAT file (Turtle, JSON-LD or RDF/XML, rdflib),
each entry turned into nentang's CKAN-shaped dataset input.

Every request goes through the kernel's outbound client (timeouts, retries of
transient failures, the body cap and the SSRF rules: a source on a private address is
refused unless the operator allowed that network).
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.utils.translation import gettext as _
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, RDF
from rdflib.term import Literal, Node

from nentang.kernel.outbound import (
    OutboundBlocked,
    OutboundClient,
    OutboundError,
    OutboundTimeout,
    OutboundTooLarge,
    Timeouts,
)
from nentang.kernel.text import fold

logger = logging.getLogger("nentang.opendata.harvest")
DCAT_VERSION = URIRef("http://www.w3.org/ns/dcat#version")  # not in rdflib's DCAT
PAGE = 100
MAX_DATASETS = 10_000
MAX_BYTES = 20 * 1024 * 1024
FREQUENCIES = {"HOURLY": "hourly", "DAILY": "daily", "WEEKLY": "weekly", "MONTHLY": "monthly",
               "QUARTERLY": "quarterly", "ANNUAL_2": "semiannual", "ANNUAL": "annual",
               "IRREG": "irregular"}  # fmt: skip
LICENCE_HINTS = (("publicdomain/zero", "cc-zero"), ("by-sa/4.0", "cc-by-sa-4.0"),
                 ("by/4.0", "cc-by-4.0"), ("odc-by", "odc-by"), ("odbl", "odc-odbl"))  # fmt: skip


class HarvestReadError(Exception):
    """The source could not be read (network, status, or not a catalogue); the message
    is for the publisher (translated), ``code`` for programs."""

    def __init__(self, message: str, *, code: str = "unreadable") -> None:
        self.code = code
        super().__init__(message)


def unreachable(error: OutboundError) -> HarvestReadError:
    """What the publisher reads when the outbound client could not fetch the source
    (its own message, in English with the address tried, goes to the log)."""
    logger.warning("harvest source unreachable: %s", error)
    if isinstance(error, OutboundBlocked):
        return HarvestReadError(
            _("This address may not be reached from the platform."), code="blocked"
        )
    if isinstance(error, OutboundTimeout):
        return HarvestReadError(_("The source did not answer in time."), code="timeout")
    if isinstance(error, OutboundTooLarge):
        return HarvestReadError(
            _("The source's answer is larger than %(size)s MB.") % {"size": MAX_BYTES >> 20},
            code="too_large",
        )
    host = error.host or urlsplit(error.url).hostname or ""
    return HarvestReadError(
        _("The source could not be reached (%(host)s).") % {"host": host}, code="unreachable"
    )


def _status_error(status: int) -> HarvestReadError:
    return HarvestReadError(
        _("The source answered HTTP %(status)s.") % {"status": status}, code="http_status"
    )


@dataclass(frozen=True)
class Entry:
    """One dataset of the source: its id there, its page there, and our input."""

    remote_id: str
    remote_url: str
    data: dict[str, Any]

    @property
    def content_hash(self) -> str:
        canonical = json.dumps(self.data, sort_keys=True, ensure_ascii=False, default=str)
        return hashlib.sha256(canonical.encode()).hexdigest()


def _client() -> OutboundClient:
    return OutboundClient(
        timeouts=Timeouts(), retries=2, follow_redirects=True, max_response_bytes=MAX_BYTES,
        user_agent="nentang-harvester/1.0",
    )  # fmt: skip


def _text(value: Any, limit: int) -> str:
    return str(value or "").replace("\x00", "").strip()[:limit]


def slug(text: str, *, limit: int = 90) -> str:
    value = re.sub(r"[^a-z0-9]+", "-", fold(text)).strip("-")[:limit].strip("-")
    return value or "du-lieu"


def _licence(value: str) -> str:
    lowered = value.lower()
    for hint, licence in LICENCE_HINTS:
        if hint in lowered:
            return licence
    return lowered if re.fullmatch(r"[a-z0-9._-]{2,60}", lowered) else ""


def _resource(item: Mapping[str, Any]) -> dict[str, Any] | None:
    url = _text(item.get("url"), 1000)
    if not url.startswith(("http://", "https://")):
        return None
    resource = {
        "name": _text(item.get("name"), 300) or url.rsplit("/", 1)[-1][:300],
        "url": url,
        "format": _text(item.get("format"), 20).upper(),
        "description": _text(item.get("description"), 5000),
    }
    if isinstance(item.get("size"), int) and item["size"] >= 0:
        resource["size"] = item["size"]
    return resource


# --- CKAN -------------------------------------------------------------------------


def ckan_entry(package: Mapping[str, Any], *, base_url: str) -> Entry | None:
    """A CKAN package dictionary as our input (tags, licence, resources, extras)."""
    remote_id = _text(package.get("id") or package.get("name"), 300)
    name = _text(package.get("name"), 100)
    if not remote_id or not name:
        return None
    data: dict[str, Any] = {
        "name": name,
        "title": _text(package.get("title"), 300) or name,
        "notes": _text(package.get("notes"), 20_000),
        "license_id": _licence(_text(package.get("license_id"), 100)),
        "tags": [
            _text(t.get("name"), 100) for t in package.get("tags") or []
            if isinstance(t, Mapping) and len(_text(t.get("name"), 100)) >= 2
        ][:50],
        "version": _text(package.get("version"), 40),
        "maintainer": _text(package.get("maintainer") or package.get("author"), 150),
        "maintainer_email": _text(
            package.get("maintainer_email") or package.get("author_email"), 254
        ),
        "resources": [
            r for r in (_resource(item) for item in package.get("resources") or []
                        if isinstance(item, Mapping)) if r
        ],
        "remote_modified": _text(package.get("metadata_modified"), 40),
    }  # fmt: skip
    frequency = _text(package.get("frequency"), 20)
    if frequency in FREQUENCIES.values():
        data["frequency"] = frequency
    for key in ("temporal_start", "temporal_end"):
        if package.get(key):
            data[key] = _text(package[key], 10)
    return Entry(remote_id, f"{base_url}/dataset/{name}", data)


def read_ckan(url: str) -> Iterator[Entry]:
    """Every public dataset of a CKAN site, ``package_search`` page by page."""
    base = url.rstrip("/")
    for suffix in ("/api/3/action", "/api/3", "/api"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    start, seen = 0, 0
    with _client() as client:
        while seen < MAX_DATASETS:
            query = urlencode({"rows": PAGE, "start": start, "sort": "name asc"})
            try:
                response = client.get(f"{base}/api/3/action/package_search?{query}")
            except OutboundError as error:
                raise unreachable(error) from None
            if response.status_code != 200:
                raise _status_error(response.status_code)
            try:
                body = json.loads(response.content)
                result = body["result"]
                packages = list(result["results"])
                count = int(result["count"])
            except (ValueError, KeyError, TypeError):
                raise HarvestReadError(
                    _("The source is not a CKAN Action API."), code="not_ckan"
                ) from None
            for package in packages:
                if isinstance(package, Mapping):
                    entry = ckan_entry(package, base_url=base)
                    if entry is not None:
                        yield entry
            seen += len(packages)
            start += PAGE
            if not packages or start >= count:
                return


# --- DCAT -------------------------------------------------------------------------


def _literal(graph: Graph, node: Node, predicate: URIRef, limit: int) -> str:
    """The Vietnamese value when there is one, else any."""
    values = [o for o in graph.objects(node, predicate) if isinstance(o, Literal)]
    values.sort(key=lambda o: (o.language != "vi", o.language or "", str(o)))
    return _text(values[0], limit) if values else ""


def _uri_or_literal(graph: Graph, node: Node, predicate: URIRef) -> str:
    value = graph.value(node, predicate)
    return _text(value, 1000) if value is not None else ""


def dcat_entry(graph: Graph, node: Node, *, source_url: str) -> Entry | None:
    title = _literal(graph, node, DCTERMS.title, 300)
    identifier = _literal(graph, node, DCTERMS.identifier, 300)
    remote_id = identifier or (str(node) if isinstance(node, URIRef) else "")
    if not title or not remote_id:
        return None
    resources, licence = [], ""
    for distribution in graph.objects(node, DCAT.distribution):
        url = _uri_or_literal(graph, distribution, DCAT.downloadURL) or _uri_or_literal(
            graph, distribution, DCAT.accessURL
        )
        fmt = _uri_or_literal(graph, distribution, DCTERMS.format).rstrip("/").rsplit("/", 1)[-1]
        size = graph.value(distribution, DCAT.byteSize)
        item: dict[str, Any] = {
            "url": url, "format": fmt,
            "name": _literal(graph, distribution, DCTERMS.title, 300),
            "description": _literal(graph, distribution, DCTERMS.description, 5000),
        }  # fmt: skip
        if size is not None and str(size).isdigit():
            item["size"] = int(str(size))
        resource = _resource(item)
        if resource:
            resources.append(resource)
        licence = licence or _licence(_uri_or_literal(graph, distribution, DCTERMS.license))
    periodicity = _uri_or_literal(graph, node, DCTERMS.accrualPeriodicity)
    page = _uri_or_literal(graph, node, DCAT.landingPage)
    data: dict[str, Any] = {
        "name": slug(title, limit=80) + "-" + hashlib.sha256(remote_id.encode()).hexdigest()[:8],
        "title": title,
        "notes": _literal(graph, node, DCTERMS.description, 20_000),
        "license_id": licence,
        "tags": sorted({_text(k, 100) for k in graph.objects(node, DCAT.keyword)
                        if len(_text(k, 100)) >= 2})[:50],
        "version": _literal(graph, node, DCAT_VERSION, 40),
        "resources": resources,
        "remote_modified": _uri_or_literal(graph, node, DCTERMS.modified),
    }  # fmt: skip
    frequency = FREQUENCIES.get(periodicity.rstrip("/").rsplit("/", 1)[-1])
    if frequency:
        data["frequency"] = frequency
    return Entry(remote_id, page if page.startswith("http") else source_url, data)


def _remote_context(content: bytes) -> bool:
    try:
        document = json.loads(content)
    except ValueError:
        return False
    stack: list[Any] = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, dict):
            for key, value in node.items():
                contexts = value if isinstance(value, list) else [value]
                if key in ("@context", "@import") and any(isinstance(c, str) for c in contexts):
                    return True
                stack.append(value)
    return False


def parse_dcat(content: bytes, *, content_type: str, url: str) -> Graph:
    kind = content_type.split(";")[0].strip().lower()
    guesses = {"text/turtle": "turtle", "application/ld+json": "json-ld",
               "application/rdf+xml": "xml", "application/json": "json-ld"}  # fmt: skip
    by_suffix = {"ttl": "turtle", "jsonld": "json-ld", "rdf": "xml", "xml": "xml"}
    fmt = guesses.get(kind) or by_suffix.get(url.rsplit(".", 1)[-1].lower(), "turtle")
    if fmt == "json-ld" and _remote_context(content):
        # rdflib would fetch a remote @context itself, outside the outbound client's
        # SSRF rules: such files are refused rather than followed.
        raise HarvestReadError(
            _("A JSON-LD file with a remote @context is not read."), code="remote_context"
        )
    graph = Graph()
    try:
        graph.parse(data=content, format=fmt)
    except Exception:  # rdflib raises many kinds for a malformed file
        raise HarvestReadError(
            _("The source is not a DCAT file we can read."), code="not_dcat"
        ) from None
    return graph


def read_dcat(url: str) -> Iterator[Entry]:
    """Every ``dcat:Dataset`` of a DCAT file."""
    try:
        with _client() as client:
            response = client.get(url)
    except OutboundError as error:
        raise unreachable(error) from None
    if response.status_code != 200:
        raise _status_error(response.status_code)
    graph = parse_dcat(
        response.content, content_type=response.headers.get("Content-Type", ""), url=url
    )
    for count, node in enumerate(sorted(graph.subjects(RDF.type, DCAT.Dataset), key=str)):
        if count >= MAX_DATASETS:
            return
        entry = dcat_entry(graph, node, source_url=url)
        if entry is not None:
            yield entry
