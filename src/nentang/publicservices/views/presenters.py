"""What the pages show, shaped for the design system's partials."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from nentang.kernel.money import format_vnd
from nentang.publicservices import selectors
from nentang.publicservices.catalogue import Page, Procedure
from nentang.publicservices.models import DossierAction
from nentang.publicservices.services.common import state_label
from nentang.web.components import Badge, SummaryRow, TimelineEvent

TONES: dict[str, Any] = {
    "completed": "success",
    "rejected": "error",
    "withdrawn": "neutral",
    "supplementing": "warning",
    "fee_due": "warning",
    "draft": "neutral",
}
SLA_TONES: dict[str, Any] = {
    "overdue": "error",
    "late": "error",
    "due_today": "warning",
    "on_track": "info",
    "early": "success",
    "on_time": "success",
    "none": "neutral",
}


def badge_for(state: str) -> Badge:
    return Badge(state_label(state), TONES.get(state, "info"))


def sla_for(dossier: Any) -> Badge | None:
    """The dossier's deadline as a badge (early / on time / late once finished; overdue
    / due today / on track while open), or None before it has a deadline."""
    sla = selectors.sla_badge(dossier)
    return None if sla.code == "none" else Badge(sla.label, SLA_TONES[sla.code])


def action_label(action: str) -> str:
    labels = {
        "save_draft": _("Draft saved"),
        "submit": _("Submitted"),
        "resubmit": _("Supplemented and resubmitted"),
        "receive": _("Received by the one-stop shop"),
        "request_supplement": _("Supplementation requested"),
        "process": _("Step processed"),
        "approve": _("Approved"),
        "reject": _("Refused"),
        "issue_result": _("Result issued"),
        "return_result": _("Result handed over"),
        "deliver": _("Result delivered by post"),
        "fee_paid": _("Fee paid"),
        "withdraw": _("Withdrawn"),
        "assign": _("Assigned"),
        "comment": _("Note"),
        "apologise": _("Apology and new date for the result"),
        "revoke_result": _("Result revoked"),
        "hand_off": _("Handed off to another agency"),
        "refuse_part": _("Part refused by a partner agency"),
    }
    return str(labels.get(action, action))


def timeline(actions: Iterable[DossierAction], *, internal: bool = False) -> list[TimelineEvent]:
    """The log as a timeline; applicants do not see drafts, assignments and notes."""
    hidden = set() if internal else {"save_draft", "assign", "comment"}
    shown = [a for a in actions if a.action not in hidden]
    events = []
    for index, action in enumerate(shown):
        last = index == len(shown) - 1
        failed = action.action in ("reject", "withdraw", "refuse_part")
        events.append(
            TimelineEvent(
                title=action_label(action.action),
                time=action.at,
                text=_event_text(action),
                state="failed" if failed else ("current" if last else "done"),
            )
        )
    return events


def _event_text(action: DossierAction) -> str:
    if action.action == "refuse_part":
        return _(
            "%(from)s refused its part: %(part)s. Reason: %(reason)s. The rest of the "
            "dossier went on to %(to)s."
        ) % {
            "from": action.payload.get("from_name", ""),
            "part": action.payload.get("part", ""),
            "reason": action.reason,
            "to": action.payload.get("to_name", ""),
        }
    if action.action != "hand_off":
        return action.reason
    return _("From %(from)s to %(to)s. Reason: %(reason)s") % {
        "from": action.payload.get("from_name", ""),
        "to": action.payload.get("to_name", ""),
        "reason": action.reason,
    }


def answer_text(page: Page, value: Any) -> str:
    if value in (None, ""):
        return "—"
    if page.kind == "choice":
        for choice, label in page.choices:
            if choice == str(value):
                return str(label)
    if page.kind == "date" and isinstance(value, str) and len(value) == 10:
        return f"{value[8:10]}/{value[5:7]}/{value[0:4]}"
    return str(value)


def procedure_rows(procedure: Procedure) -> list[SummaryRow]:
    levels = {
        "commune": pgettext("agency level", "Ward or commune"),
        "province": pgettext("agency level", "Province or city"),
        "ministry": _("Ministry"),
    }
    online = {"toan_trinh": _("Fully online"), "mot_phan": _("Partly online")}
    results = {
        "digital": _("Digital document"),
        "paper": _("Paper document"),
        "both": _("Digital and paper document"),
    }
    fee = format_vnd(int(procedure.fee["base"])) if procedure.has_fee else _("Free")
    return [
        SummaryRow(_("Procedure code"), procedure.display_code, mono=True),
        SummaryRow(pgettext("field of administration", "Field"), str(procedure.sector)),
        SummaryRow(pgettext("agency level", "Handled by"), str(levels[procedure.agency_level])),
        SummaryRow(_("Online level"), str(online[procedure.online_level])),
        SummaryRow(_("Fee"), str(fee)),
        SummaryRow(
            _("Processing time"),
            _("%(n)s working days") % {"n": procedure.processing_days},
        ),
        SummaryRow(_("e-ID level needed"), _("Level %(n)s") % {"n": procedure.eid_level}),
        SummaryRow(_("Result"), str(results[procedure.result])),
        SummaryRow(_("Legal basis"), "; ".join(procedure.legal_basis)),
    ]
