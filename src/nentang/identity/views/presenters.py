"""Words, badges and rows for the identity pages (what views hand to the templates)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from nentang.addresses import selectors as addresses
from nentang.identity.models import AccountSession, DataUsage, Person
from nentang.kernel.errors import NotFound, ValidationFailed
from nentang.web.components import Badge, Cell, Column, Link, SummaryRow, Text


def when(moment: object) -> str:
    """A time as people in Vietnam read it: 14:05, 28/11/2026 (Asia/Ho_Chi_Minh)."""
    if moment is None:
        return "—"
    return timezone.localtime(moment).strftime("%H:%M, %d/%m/%Y")  # type: ignore[arg-type]


def level_badge(level: int) -> Badge:
    if level >= 2:
        return Badge(_("Level 2 · verified in person"), "success")
    return Badge(_("Level 1 · registered online"), "info")


@dataclass(frozen=True)
class LevelInfo:
    level: int
    badge: Badge
    allows: list[Text]
    next_step: Text


def level_info(level: int) -> LevelInfo:
    """What the e-ID level allows (Decree 69/2024/NĐ-CP) and how to go further."""
    if level >= 2:
        return LevelInfo(
            level=2,
            badge=level_badge(2),
            allows=[
                _("Log in to every online public service, including those that need level 2."),
                _("Submit dossiers and sign for yourself online."),
                _("Register a child under 14 from your account."),
            ],
            next_step=_("Your e-ID has the highest level. Keep your password and devices safe."),
        )
    return LevelInfo(
        level=1,
        badge=level_badge(1),
        allows=[
            _("Log in to services that accept a level-1 e-ID."),
            _("Look up information and follow your dossiers."),
        ],
        next_step=_(
            "For level 2, go to the People's Committee of your ward or commune (or the "
            "ward police) with your citizen identity card (CCCD). An officer checks your "
            "face and fingerprint and raises your e-ID to level 2 at once."
        ),
    )


FIELD_LABELS = {
    "id_number": gettext_lazy("ID number"),
    "full_name": gettext_lazy("full name"),
    "date_of_birth": gettext_lazy("date of birth"),
    "sex": gettext_lazy("sex"),
    "nationality": gettext_lazy("nationality"),
    "phone": gettext_lazy("phone"),
    "email": gettext_lazy("e-mail"),
    "address": gettext_lazy("address"),
    "portrait": gettext_lazy("portrait"),
    "level": gettext_lazy("e-ID level"),
}


def field_list(fields: Iterable[str]) -> str:
    return ", ".join(str(FIELD_LABELS.get(name, name)) for name in fields)


def sex_label(sex: str) -> Text:
    return _("Male") if sex == "male" else _("Female") if sex == "female" else sex


def place_name(province_code: str, commune_code: str) -> str:
    """ "Phường Sài Gòn, Thành phố Hồ Chí Minh" from the reference (codes if unknown)."""
    try:
        commune = addresses.commune_get(code=commune_code)
    except (NotFound, ValidationFailed):
        return f"{commune_code}, {province_code}"
    return f"{commune.name}, {commune.province.full_name}"


def address_of(person: Person) -> str:
    return f"{person.street}, {place_name(person.province_code, person.commune_code)}"


def phone_display(e164: str) -> str:
    """+84912345678 → 0912 345 678 (how Vietnamese people write it)."""
    if e164.startswith("+84") and len(e164) == 12:
        local = "0" + e164[3:]
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    return e164


def profile_rows(person: Person) -> list[SummaryRow]:
    """The holder's own details; the phone and e-mail can be changed online."""
    change = pgettext("action", "Change")
    return [
        SummaryRow(_("Full name"), person.full_name),
        SummaryRow(_("Personal ID number"), person.id_number, mono=True),
        SummaryRow(_("Date of birth"), person.date_of_birth.strftime("%d/%m/%Y")),
        SummaryRow(_("Sex"), sex_label(person.sex)),
        SummaryRow(
            _("Mobile phone"),
            phone_display(person.phone) or "—",
            action=Link(change, reverse("identity_web:phone_change")),
        ),
        SummaryRow(
            _("E-mail"),
            person.email or _("none"),
            action=Link(change, reverse("identity_web:email_change")),
        ),
        SummaryRow(_("Residence address"), address_of(person)),
    ]


def usage_columns() -> list[Column]:
    return [
        Column(_("When"), row_header=True),
        Column(_("Who")),
        Column(_("Which data")),
        Column(_("Why")),
    ]


def usage_rows(items: Iterable[DataUsage]) -> list[list[Cell]]:
    rows = []
    for item in items:
        if item.kind == DataUsage.Kind.OFFICER_READ:
            who = _("Officer of %(agency)s") % {
                "agency": item.agency.name if item.agency else _("an agency")
            }
        else:
            who = _("Service “%(client)s”") % {"client": item.client_name or item.client_id}
        rows.append(
            [
                Cell(when(item.occurred_at)),
                Cell(who),
                Cell(field_list(item.fields)),
                Cell(item.purpose),
            ]
        )
    return rows


_BROWSERS = (
    ("Edg/", "Edge"),
    ("CocCoc", "Cốc Cốc"),
    ("Zalo", "Zalo"),
    ("Firefox/", "Firefox"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Android", "Android"),
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def device_of(user_agent: str) -> str:
    """A short, human name of a browser ("Chrome on Android") from its User-Agent."""
    browser = next((name for token, name in _BROWSERS if token in user_agent), "")
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    cleaned = re.sub(r"\s+", " ", user_agent).strip()
    return browser or system or (cleaned[:40] if cleaned else _("Unknown device"))


def second_factor_label(method: str) -> Text:
    return {"totp": _("authenticator code"), "passkey": _("passkey")}.get(
        method, _("password only")
    )


@dataclass(frozen=True)
class SessionRow:
    id: int
    device: str
    address: str
    started: str
    last_seen: str
    factor: Text
    current: bool


def session_rows(
    sessions: Iterable[AccountSession], *, current_key: str | None
) -> list[SessionRow]:
    return [
        SessionRow(
            id=session.pk,
            device=device_of(session.user_agent),
            address=session.ip_address or "—",
            started=when(session.created_at),
            last_seen=when(session.last_seen_at),
            factor=second_factor_label(session.second_factor),
            current=session.session_key == current_key,
        )
        for session in sessions
    ]


LOCK_REASON_LABELS = {
    "holder_request": gettext_lazy("at the holder's request"),
    "officer_action": gettext_lazy("by an officer"),
    "suspected_misuse": gettext_lazy("because someone else may be using it"),
    "terms_breach": gettext_lazy("for a breach of the terms of use"),
    "id_revoked": gettext_lazy("because the identity document was revoked"),
    "deceased": gettext_lazy("because the holder has died"),
    "security_incident": gettext_lazy("after a security incident"),
}


def lock_reason_label(reason: str) -> str:
    return str(LOCK_REASON_LABELS.get(reason, reason))
