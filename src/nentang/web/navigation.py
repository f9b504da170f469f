"""The primary navigation: only areas that exist on this installation.

A context adds its entry here when its first page ships (public services, payments
and post will come). Labels are English msgids, shown translated. The e-ID entries
depend on who is looking: "Log in" for visitors, "Account" once logged in, and
"Officer" for officers of an agency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url: str
    current: bool = False


def _is_officer(user: Any) -> bool:
    # Only staff accounts can be officers: citizens' pages cost no query.
    if not getattr(user, "is_staff", False) and getattr(user, "kind", "") != "staff":
        return False
    from nentang.identity.selectors import officer_for_account

    officer = officer_for_account(account=user)
    return officer is not None and officer.is_active


def _entries(user: Any) -> list[tuple[Promise, str, str]]:
    """(label, url, section prefix that makes the entry current)."""
    entries: list[tuple[Promise, str, str]] = [(_("Home"), reverse("web:home"), "/")]
    if user is not None and user.is_authenticated:
        entries.append((_("Account"), reverse("identity_web:account"), "/account/"))
        if _is_officer(user):
            entries.append((_("Officer"), reverse("identity_web:officer_find"), "/officer/"))
    else:
        entries.append((_("Log in"), reverse("identity_web:login"), "/login"))
    entries += [
        (_("API documentation"), reverse("api-v1:openapi-view"), reverse("api-v1:openapi-view")),
        (_("Problem types"), reverse("web:problems"), reverse("web:problems")),
    ]
    return entries


def primary_nav(path: str, user: Any = None) -> list[NavItem]:
    """The entries for ``user``, with ``current`` set on the one the page at ``path``
    belongs to."""
    items = []
    for label, url, prefix in _entries(user):
        current = path == url if url == "/" else path == url or path.startswith(prefix)
        items.append(NavItem(label=label, url=url, current=current))
    return items
