"""What the home page offers, registered by the contexts that provide it.

The web shell knows no context. Each context registers, when its app is ready, the
things people can do with it (``HomeEntry``), by audience: citizens and businesses see
them as cards on the home page; operators and developers find theirs on the "for
operators and developers" page linked from the footer. A context with a search (public
services: "find a service") registers it with ``register_search``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

Audience = Literal["citizen", "business", "operator", "developer"]


def _everyone(user: Any) -> bool:
    return True


@dataclass(frozen=True)
class HomeLink:
    label: Promise
    target: str  # a URL name ("identity_web:login") or a path ("/audit/checkpoint")

    @property
    def url(self) -> str:
        return _url(self.target)


@dataclass(frozen=True)
class HomeEntry:
    key: str
    title: Promise
    text: Promise
    target: str
    audience: Audience = "citizen"
    order: int = 100
    links: tuple[HomeLink, ...] = ()
    # Shown only to whom this returns true (e.g. "Log in" to visitors only).
    visible: Callable[[Any], bool] = field(default=_everyone)

    @property
    def url(self) -> str:
        return _url(self.target)


@dataclass(frozen=True)
class HomeSearch:
    target: str  # URL name of a GET page taking ``q``
    label: Promise
    hint: Promise
    example: Promise

    @property
    def url(self) -> str:
        return _url(self.target)


def _url(target: str) -> str:
    if target.startswith("/"):
        return target
    try:
        return reverse(target)
    except NoReverseMatch:  # a context's pages not mounted (e.g. in a partial test set-up)
        return ""


_ENTRIES: dict[str, HomeEntry] = {}
_SEARCH: list[HomeSearch] = []


def register(*entries: HomeEntry) -> None:
    """Add (or replace, by key) entries of the home page and the operators' page."""
    for entry in entries:
        _ENTRIES[entry.key] = entry


def register_search(search: HomeSearch) -> None:
    """The one search box of the home page (the last registered wins)."""
    _SEARCH[:] = [search]


def entries(audience: Audience, user: Any = None) -> list[HomeEntry]:
    found = [e for e in _ENTRIES.values() if e.audience == audience and e.visible(user)]
    return [e for e in sorted(found, key=lambda e: (e.order, e.key)) if e.url]


def search() -> HomeSearch | None:
    return _SEARCH[0] if _SEARCH and _SEARCH[0].url else None


# The shell's own: what every installation has, for operators and developers.
register(
    HomeEntry(
        "status",
        _("System status"),
        _("Is the service running, and is its database reachable and up to date?"),
        "readyz",
        audience="operator",
        order=10,
        links=(
            HomeLink(_("Health check (the process answers)"), "healthz"),
            HomeLink(_("Readiness check (database and migrations)"), "readyz"),
        ),
    ),
    HomeEntry(
        "admin",
        _("Administration"),
        _("Settings of this installation, for the staff who run it."),
        "admin:index",
        audience="operator",
        order=90,
    ),
    HomeEntry(
        "api",
        _("API documentation"),
        _(
            "Interactive reference of every JSON API: operations, schemas, examples and "
            "error codes (OpenAPI 3.1)."
        ),
        "api_docs",
        audience="developer",
        order=10,
        links=(HomeLink(_("OpenAPI document (JSON)"), "api-v1:openapi-json"),),
    ),
    HomeEntry(
        "problems",
        _("Problem types"),
        _("What each error code of the platform means, and what to do about it."),
        "web:problems",
        audience="developer",
        order=20,
    ),
    HomeEntry(
        "design",
        _("Design system"),
        _("The page components of this installation, with examples."),
        "web:design_system",
        audience="developer",
        order=90,
    ),
)
