"""“My data”: the person downloads everything the platform holds about them, as JSON
(machine-readable, to take elsewhere) or as a readable page to print or save as PDF."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, datetime
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
from nentang.identity.views.presenters import field_list, sex_label, when
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


# What the readable copy calls the keys of the download (the JSON keeps its keys): the
# identity context's, and those of the sections other contexts register.
LABELS = {
    "id_number": gettext_lazy("Personal ID number"),
    "full_name": gettext_lazy("Full name"),
    "date_of_birth": gettext_lazy("Date of birth"),
    "sex": gettext_lazy("Sex"),
    "nationality": gettext_lazy("Nationality"),
    "residence_card_number": gettext_lazy("Residence card number"),
    "phone": gettext_lazy("Mobile phone"),
    "email": gettext_lazy("E-mail"),
    "address": gettext_lazy("Residence address"),
    "street": gettext_lazy("House number and street"),
    "commune_code": gettext_lazy("Code of the ward or commune"),
    "province_code": gettext_lazy("Code of the province or city"),
    "portrait": gettext_lazy("Portrait photo"),
    "level": gettext_lazy("Level of the e-ID"),
    "registered_at": gettext_lazy("Registered at"),
    "updated_at": gettext_lazy("Last changed at"),
    "login": gettext_lazy("Login"),
    "created_at": gettext_lazy("Created at"),
    "locked": gettext_lazy("Locked"),
    "authenticator_app_since": gettext_lazy("Authenticator app since"),
    "passkeys": gettext_lazy("Passkeys"),
    "contact_changes": gettext_lazy("Changes of phone or e-mail"),
    "name": gettext_lazy("Name"),
    "added_at": gettext_lazy("Added at"),
    "last_used_at": gettext_lazy("Last used at"),
    "new_contact": gettext_lazy("New contact"),
    "asked_at": gettext_lazy("Asked at"),
    "confirmed_at": gettext_lazy("Confirmed at"),
    "verified_at": gettext_lazy("Verified at"),
    "agency": gettext_lazy("Verifying agency"),
    "place": gettext_lazy("Place"),
    "document_type": gettext_lazy("Document shown"),
    "fingerprint_attested": gettext_lazy("Fingerprint checked"),
    "at": gettext_lazy("When"),
    "action": gettext_lazy("What happened"),
    "reason": gettext_lazy("Reason"),
    "by": gettext_lazy("By"),
    "note": gettext_lazy("Note"),
    "started_at": gettext_lazy("Started at"),
    "last_seen_at": gettext_lazy("Last seen at"),
    "ended_at": gettext_lazy("Ended at"),
    "ip_address": gettext_lazy("IP address"),
    "browser": gettext_lazy("Browser"),
    "second_factor": gettext_lazy("Second factor"),
    "service": gettext_lazy("Service receiving the data"),
    "scopes": gettext_lazy("Data shared"),
    "purpose": gettext_lazy("Purpose"),
    "granted_at": gettext_lazy("Agreed at"),
    "end_reason": gettext_lazy("Why it ended"),
    "kind": gettext_lazy("Kind"),
    "fields": gettext_lazy("Which data"),
    "tax_code": gettext_lazy("Tax code"),
    "wallet": gettext_lazy("Wallet"),
    "provider": gettext_lazy("Provider"),
    "opened_at": gettext_lazy("Opened at"),
    "balance_vnd": gettext_lazy("Balance (₫)"),
    "transfers": gettext_lazy("Transfers"),
    "amount_vnd": gettext_lazy("Amount (₫)"),
    "other_party": gettext_lazy("Other party"),
    "reference": gettext_lazy("Reference"),
    "procedure": gettext_lazy("Procedure"),
    "receipt_code": gettext_lazy("Receipt code"),
    "state": gettext_lazy("State"),
    "answers": gettext_lazy("Answers"),
    "fee_vnd": gettext_lazy("Fee (₫)"),
    "steps": gettext_lazy("Steps"),
}


# Codes of the download that the readable copy says in words.
VALUES = {
    ("kind", "officer_read"): gettext_lazy("Read by an officer"),
    ("kind", "client_release"): gettext_lazy("Released to a service"),
    ("kind", "phone"): gettext_lazy("Mobile phone"),
    ("kind", "email"): gettext_lazy("E-mail"),
    ("second_factor", "totp"): gettext_lazy("Authenticator app"),
    ("second_factor", "passkey"): gettext_lazy("Passkey"),
}
_ISO_MOMENT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _label(key: str) -> str:
    return str(LABELS.get(key, key))


def _words(value: str, key: str) -> str:
    """A code, a moment or a date of the download as people read it."""
    if (key, value) in VALUES:
        return str(VALUES[(key, value)])
    try:
        if _ISO_MOMENT.match(value):
            return when(datetime.fromisoformat(value))
        if _ISO_DATE.fullmatch(value):
            return date.fromisoformat(value).strftime("%d/%m/%Y")
    except ValueError:
        pass
    return value


def _text(value: Any, key: str = "") -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if key == "sex" and isinstance(value, str):
        return str(sex_label(value))
    if key == "portrait" and value:
        return _("on file")
    if isinstance(value, dict):
        return "; ".join(f"{_label(name)}: {_text(item, name)}" for name, item in value.items())
    if isinstance(value, list):
        if key == "fields":
            return field_list(str(name) for name in value)
        if all(isinstance(item, dict) for item in value):
            return " · ".join(f"({_text(item)})" for item in value)
        return ", ".join(_text(item) for item in value)
    return _words(value, key) if isinstance(value, str) else str(value)


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
            facts = [SummaryRow(_label(name), _text(item, name)) for name, item in value.items()]
            blocks.append(Block(key, title, facts, [], []))
        else:
            columns = list(dict.fromkeys(name for row in value for name in row))
            rows = [[_text(row.get(name), name) for name in columns] for row in value]
            blocks.append(Block(key, title, [], [_label(name) for name in columns], rows))
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
            "generated_at": _words(str(data["generated_at"]), "generated_at"),
            "blocks": _blocks(data),
        },
    )
