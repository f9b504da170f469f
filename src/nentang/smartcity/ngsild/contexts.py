"""JSON-LD ``@context`` handling for NGSI-LD, with PyLD.

Contexts are processed by PyLD (``JsonLdProcessor.process_context``) through a document
loader that never goes to the internet: the NGSI-LD core context ships with the package
(``data/ngsi-ld-core-context-v1.8.jsonld``) and answers for every published version of
its URL; contexts that this installation stores (``LocalContext`` rows, registered by
operators) answer for their own URLs; any other URL is ``LdContextNotAvailable``.

NGSI-LD payloads have a fixed shape (entity → attributes → sub-attributes), so only the
*terms* in them (entity types, attribute names) need expanding or compacting. A processed
context becomes a :class:`TermMap` (term → IRI and back), cached by its JSON text, which
turns a request's terms into IRIs for storage and IRIs back into the caller's terms.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

from nentang.smartcity.ngsild.errors import NgsiError

CORE_CONTEXT_URL = "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context-v1.8.jsonld"
CORE_URL_PREFIXES = (
    "https://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context",
    "http://uri.etsi.org/ngsi-ld/v1/ngsi-ld-core-context",
)
CORE_LOCAL_PATH = "/ngsi-ld/v1/jsonldContexts/ngsi-ld-core-context-v1.8.jsonld"
NGSI_LD = "https://uri.etsi.org/ngsi-ld/"
DEFAULT_VOCAB = "https://uri.etsi.org/ngsi-ld/default-context/"
MAX_CONTEXT_BYTES = 256 * 1024

# Documents other than the core context that this installation serves without fetching
# (URL → document). Filled by the smartcity context's selectors from the database.
_extra_lookup: Callable[[str], Mapping[str, Any] | None] | None = None
_lock = threading.Lock()


@lru_cache(maxsize=1)
def core_document() -> dict[str, Any]:
    text = (
        resources.files("nentang.smartcity")
        .joinpath("data/ngsi-ld-core-context-v1.8.jsonld")
        .read_text("utf-8")
    )
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def is_core_url(url: str) -> bool:
    return url.startswith(CORE_URL_PREFIXES) or url.endswith(CORE_LOCAL_PATH)


def install_lookup(lookup: Callable[[str], Mapping[str, Any] | None]) -> None:
    """Let stored contexts answer for their URLs (called once when the app is ready)."""
    global _extra_lookup
    _extra_lookup = lookup


def _loader(url: str, options: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if is_core_url(url):
        document: Mapping[str, Any] | None = core_document()
    else:
        document = _extra_lookup(url) if _extra_lookup is not None else None
    if document is None:
        raise NgsiError(
            "LdContextNotAvailable",
            f"The @context {url!r} is not available here: this broker fetches no context "
            "from the internet; ask an operator to register it.",
        )
    return {
        "contentType": "application/ld+json",
        "contextUrl": None,
        "documentUrl": url,
        "document": dict(document),
    }


@dataclass(frozen=True)
class TermMap:
    """Terms of one processed context: ``expand`` a term, ``compact`` an IRI."""

    terms: Mapping[str, str]
    reverse: Mapping[str, str]
    prefixes: Mapping[str, str]
    vocab: str | None

    def expand(self, term: str) -> str:
        iri = self.terms.get(term)
        if iri is not None:
            return iri
        if ":" in term:
            prefix, _, suffix = term.partition(":")
            if prefix in self.prefixes and not suffix.startswith("//"):
                return self.prefixes[prefix] + suffix
            return term  # an absolute IRI
        return (self.vocab or DEFAULT_VOCAB) + term

    def compact(self, iri: str) -> str:
        term = self.reverse.get(iri)
        if term is not None:
            return term
        if self.vocab and iri.startswith(self.vocab) and "/" not in iri[len(self.vocab) :]:
            short = iri[len(self.vocab) :]
            if short and short not in self.terms:
                return short
        return iri


def _term_map(active: Mapping[str, Any]) -> TermMap:
    terms: dict[str, str] = {}
    prefixes: dict[str, str] = {}
    for term, definition in active.get("mappings", {}).items():
        if not definition:
            continue
        iri = definition.get("@id")
        if not isinstance(iri, str) or iri.startswith("@"):
            continue
        terms[term] = iri
        if definition.get("_prefix") or iri.endswith(("/", "#")):
            prefixes[term] = iri
    reverse: dict[str, str] = {}
    # Shortest term wins, then the first in alphabetical order: stable answers.
    for term in sorted(terms, key=lambda t: (len(t), t)):
        reverse.setdefault(terms[term], term)
    vocab = active.get("@vocab")
    return TermMap(terms, reverse, prefixes, vocab if isinstance(vocab, str) else None)


@lru_cache(maxsize=256)
def _processed(key: str) -> TermMap:
    # PyLD (with lxml, ~0.2 s of a core) loads with the first @context to process.
    from pyld import jsonld

    local = json.loads(key)
    options = {"documentLoader": _loader}
    processor = jsonld.JsonLdProcessor()
    try:
        with _lock:
            active = processor.process_context(
                processor._get_initial_context(options),
                local,
                options,
            )
    except NgsiError:
        raise
    except jsonld.JsonLdError as error:
        seen: BaseException | None = error
        for _ in range(10):
            if seen is None:
                break
            if isinstance(seen, NgsiError):
                raise seen from None
            seen = getattr(seen, "cause", None) or seen.__cause__ or seen.__context__
        raise NgsiError(
            "BadRequestData", f"The @context is not valid JSON-LD: {error.type}"
        ) from None
    return _term_map(active)


def term_map(context: Any) -> TermMap:
    """The terms of ``context`` (a URL, an object or a list) on top of the core context,
    which always applies last (NGSI-LD: the core context cannot be overridden)."""
    items = context if isinstance(context, list) else [context] if context is not None else []
    for item in items:
        if not isinstance(item, (str, dict)):
            raise NgsiError("BadRequestData", "Each @context item must be a URL or an object.")
    local = [item for item in items if not (isinstance(item, str) and is_core_url(item))]
    local.append(CORE_CONTEXT_URL)
    key = json.dumps(local, sort_keys=True, ensure_ascii=False)
    if len(key) > MAX_CONTEXT_BYTES:
        raise NgsiError("BadRequestData", "The @context is too large.")
    return _processed(key)


def core_terms() -> TermMap:
    return term_map(None)
