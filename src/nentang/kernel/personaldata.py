"""What the platform holds about a person, gathered for the person (Law 91/2025/QH15 on
personal data protection: the data subject's right of access; GDPR article 15 likewise).

The identity context owns the person and serves the "my data" download; every other
context that keeps data about people registers a section here when its app is ready,
so the download covers the whole platform without identity knowing the others::

    personaldata.register(personaldata.Section(
        key="payments.wallets", title=_("Wallets and payments"), collect=wallet_rows))

``collect`` gets the ``Subject`` (who is asking about themselves) and returns rows of
JSON values (str, int, bool, None, lists and dicts of them): what that context holds
about the subject, in words a person understands, without secrets (no password
digests, no keys, no other people's data beyond what the subject gave).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class Subject:
    """The person the data is about, as each context may have keyed it."""

    person_id: uuid.UUID
    account_id: uuid.UUID | None
    id_number: str
    phone: str


Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Section:
    key: str  # "<context>.<topic>", stable: it is a key of the JSON download
    title: str | Promise
    collect: Callable[[Subject], Rows]


_sections: dict[str, Section] = {}


def register(section: Section) -> None:
    """Add (or replace, when an app's ready() runs again) a section of the download."""
    _sections[section.key] = section


def sections() -> list[Section]:
    """The registered sections, in the order the apps registered them."""
    return list(_sections.values())
