"""“My data”: the person downloads everything the platform holds about them, as JSON
(machine-readable, to take elsewhere) or as a readable page to print or save as PDF."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from nentang.identity.selectors import person_own
from nentang.identity.services.mydata import personal_data_export
from nentang.identity.views.access import IdentityRequest, account_of, security_page
from nentang.identity.views.account import account_nav, crumbs
from nentang.kernel import personaldata
from nentang.web.components import SummaryRow

IDENTITY_TITLES = {
    "identity.profile": gettext_lazy("Your profile"),
    "identity.account": gettext_lazy("Your e-ID account"),
    "identity.verifications": gettext_lazy("Verifications of your identity (level 2)"),
    "identity.lock_history": gettext_lazy("Locks and unlocks of your account"),
    "identity.sessions": gettext_lazy("Logins (sessions)"),
    "identity.consents": gettext_lazy("Services you agreed to share data with"),
    "identity.data_usage": gettext_lazy("Who used your data"),
    "identity.children": gettext_lazy("Your children"),
    "identity.organisations": gettext_lazy("Organisations you represent"),
}


@dataclass(frozen=True)
class Block:
    """One section as the readable copy shows it: facts, or a table, or nothing."""

    key: str
    title: str
    facts: list[SummaryRow]
    columns: list[str]
    rows: list[list[str]]


def _text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def _titles() -> dict[str, str]:
    titles = {key: str(title) for key, title in IDENTITY_TITLES.items()}
    titles.update({section.key: str(section.title) for section in personaldata.sections()})
    return titles


def _blocks(data: dict[str, Any]) -> list[Block]:
    titles = _titles()
    blocks = []
    for key, value in data["sections"].items():
        title = titles.get(key, key)
        if isinstance(value, dict):
            facts = [SummaryRow(name, _text(item)) for name, item in value.items()]
            blocks.append(Block(key, title, facts, [], []))
        else:
            columns = list(dict.fromkeys(name for row in value for name in row))
            rows = [[_text(row.get(name)) for name in columns] for row in value]
            blocks.append(Block(key, title, [], columns, rows))
    return blocks


@never_cache
@require_safe
@security_page
def my_data(request: IdentityRequest) -> HttpResponse:
    person_own(actor=account_of(request))  # 404 page for staff accounts
    titles = _titles()
    return render(
        request,
        "identity/account/my_data.html",
        {
            "account_nav": account_nav("my_data", person=True),
            "breadcrumbs": crumbs(deeper=True),
            "sections": list(titles.values()),
        },
    )


@never_cache
@require_safe
@security_page
def my_data_download(request: IdentityRequest) -> HttpResponse:
    data = personal_data_export(actor=account_of(request))
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="du-lieu-cua-toi-{stamp}.json"'
    return response


@never_cache
@require_safe
@security_page
def my_data_readable(request: IdentityRequest) -> HttpResponse:
    data = personal_data_export(actor=account_of(request))
    return render(
        request,
        "identity/account/my_data_readable.html",
        {
            "breadcrumbs": crumbs(deeper=True),
            "generated_at": data["generated_at"],
            "blocks": _blocks(data),
        },
    )
