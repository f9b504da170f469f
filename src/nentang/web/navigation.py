"""The primary navigation: only areas that exist on this installation.

The web shell knows no context: each context registers its entries when its app is
ready (``register``), with the audience that sees them — "Log in" for visitors,
"Account" once logged in, "Officer" for officers of an agency. Labels are English
msgids, shown translated; ``order`` places an entry among the others.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


def everyone(user: Any) -> bool:
    return True


def visitors(user: Any) -> bool:
    return user is None or not user.is_authenticated


def signed_in(user: Any) -> bool:
    return user is not None and bool(user.is_authenticated)


@dataclass(frozen=True)
class NavEntry:
    label: Promise
    url_name: str
    # A page whose path starts with this prefix belongs to the entry ("" = the URL only).
    section: str = ""
    order: int = 100
    audience: Callable[[Any], bool] = everyone


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    current: bool = False


_ENTRIES: dict[str, NavEntry] = {}


def register(*entries: NavEntry) -> None:
    """Add (or replace, by URL name) entries of the primary navigation."""
    for entry in entries:
        _ENTRIES[entry.url_name] = entry


# Developers' and operators' tools are on the page linked from the footer
# ("For operators and developers"), not in the citizens' menu.
register(NavEntry(_("Home"), "web:home", order=0))


def primary_nav(path: str, user: Any = None) -> list[NavItem]:
    """The entries ``user`` may see, in order, with ``current`` set on the one the page
    at ``path`` belongs to."""
    items = []
    for entry in sorted(_ENTRIES.values(), key=lambda e: (e.order, e.url_name)):
        if not entry.audience(user):
            continue
        url = reverse(entry.url_name)
        current = path == url or (bool(entry.section) and path.startswith(entry.section))
        items.append(NavItem(label=entry.label, url=url, current=current))
    return items
