"""The primary navigation: only areas that exist on this installation.

A context adds its entry here when its first page ships (identity, public services,
payments and post will come). Labels are English msgids, shown translated.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    current: bool = False


def _entries() -> list[tuple[Promise, str]]:
    return [
        (_("Home"), reverse("web:home")),
        (_("API documentation"), reverse("api-v1:openapi-view")),
        (_("Problem types"), reverse("web:problems")),
    ]


def primary_nav(path: str) -> list[NavItem]:
    """The entries, with ``current`` set on the one the page at ``path`` belongs to."""
    items = []
    for label, url in _entries():
        current = path == url if url == "/" else path == url or path.startswith(url)
        items.append(NavItem(label=label, url=url, current=current))
    return items
