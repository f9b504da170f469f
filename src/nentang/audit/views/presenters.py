"""Words, badges and timelines for the SOC pages (what views hand to the templates)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from nentang.audit.models import Alert, DetectionRule
from nentang.audit.selectors import ActivityDay, AlertDetail
from nentang.web.components import Badge, Text

# Names of the shipped detection rules (audit/data/security_defaults.json), so the
# catalogue has them; a rule an operator renames shows the name as typed.
SHIPPED_RULE_NAMES = (
    gettext_noop("Brute-force login: many failed logins from one address"),
    gettext_noop("Failed logins followed by a success from the same address"),
    gettext_noop("Object-id probing: many permission denials for one actor"),
    gettext_noop("Administrator action outside working hours"),
)


def rule_name(rule: DetectionRule) -> str:
    return _(rule.name)


def severity_badge(severity: str) -> Badge:
    badges = {
        "info": Badge(_("Information"), "neutral"),
        "low": Badge(_("Low"), "info"),
        "medium": Badge(_("Medium"), "warning"),
        "high": Badge(_("High"), "error"),
        "critical": Badge(_("Critical"), "error"),
    }
    return badges.get(severity, Badge(severity, "neutral"))


def state_badge(state: str) -> Badge:
    badges: dict[str, Badge] = {
        Alert.State.OPEN: Badge(_("Open"), "warning"),
        Alert.State.ACKNOWLEDGED: Badge(_("Acknowledged"), "info"),
        Alert.State.RESOLVED: Badge(_("Resolved"), "success"),
    }
    return badges.get(state, Badge(state, "neutral"))


def kind_label(kind: str) -> Text:
    labels = {
        "auth.failure": _("Failed login"),
        "auth.success": _("Successful login"),
        "auth.lockout": _("Account locked"),
        "authz.denied": _("Permission denied"),
        "token.misuse": _("Token misuse"),
        "ratelimit.hit": _("Rate limit reached"),
        "admin.action": _("Administrator action"),
        "data.export": _("Data export"),
    }
    return labels.get(kind, kind)


def rule_kind_label(rule: DetectionRule) -> str:
    if rule.kind == DetectionRule.Kind.THRESHOLD:
        return _("%(n)s × %(kinds)s per %(key)s within %(s)s s") % {
            "n": rule.threshold,
            "kinds": ", ".join(rule.event_kinds),
            "key": key_label(rule.group_by),
            "s": rule.window_seconds,
        }
    if rule.kind == DetectionRule.Kind.SEQUENCE:
        return _("%(n)s × %(kinds)s, then %(then)s, per %(key)s within %(s)s s") % {
            "n": rule.threshold,
            "kinds": ", ".join(rule.event_kinds),
            "then": rule.then_kind,
            "key": key_label(rule.group_by),
            "s": rule.window_seconds,
        }
    hours = ""
    if rule.office_start and rule.office_end:
        hours = f" {rule.office_start:%H:%M}–{rule.office_end:%H:%M}"
    return _("%(kinds)s outside working days and hours%(hours)s (%(zone)s)") % {
        "kinds": ", ".join(rule.event_kinds),
        "hours": hours,
        "zone": rule.time_zone,
    }


def short_ref(value: str) -> str:
    """A pseudonym shortened for tables (``p_4ece6f10…``): enough to tell people apart
    on one screen; exports and alert evidence keep the whole value."""
    return value[:10] + "…" if value.startswith("p_") and len(value) > 12 else value


def actor_label(actor_type: str, actor: str) -> str:
    words = {
        "person": _("citizen"),
        "officer": _("officer"),
        "client": _("application"),
        "system": _("system"),
        "anonymous": _("anonymous"),
    }
    word = words.get(actor_type, actor_type) if actor_type else "—"
    return f"{word} {short_ref(actor)}" if actor else str(word)


def key_label(group_by: str) -> str:
    return _("source address") if group_by == DetectionRule.GroupBy.SOURCE_IP else _("actor")


@dataclass(frozen=True)
class Happening:
    """One line of an alert's timeline: an event behind it, or a step an operator took."""

    time: datetime
    title: Text
    text: str
    is_step: bool


def alert_timeline(detail: AlertDetail) -> list[Happening]:
    items = [
        Happening(
            time=evidence.occurred_at,
            title=kind_label(str(evidence.snapshot.get("kind", ""))),
            text=" · ".join(
                part
                for part in (str(evidence.snapshot.get("source_ip") or ""), f"#{evidence.event_id}")
                if part
            ),
            is_step=False,
        )
        for evidence in detail.evidence
    ]
    items.append(
        Happening(
            time=detail.alert.opened_at,
            title=_("Alert opened"),
            text="",
            is_step=True,
        )
    )
    for transition in detail.transitions:
        if transition.from_state == transition.to_state:  # an assignment
            title = (
                _("Assigned to %(whom)s by %(who)s")
                % {"whom": transition.assigned_to, "who": transition.by}
                if transition.assigned_to
                else _("Unassigned by %(who)s") % {"who": transition.by}
            )
        elif transition.to_state == Alert.State.ACKNOWLEDGED:
            title = _("Acknowledged by %(who)s") % {"who": transition.by}
        else:
            title = _("Resolved by %(who)s") % {"who": transition.by}
        items.append(
            Happening(time=transition.at, title=title, text=transition.reason, is_step=True)
        )
    return sorted(items, key=lambda item: (item.time, item.is_step))


@dataclass(frozen=True)
class ActivityBar:
    label: str
    iso: str
    events: int
    alerts: int
    events_percent: int
    alerts_percent: int


@dataclass(frozen=True)
class ActivityChart:
    bars: list[ActivityBar]
    total_events: int
    total_alerts: int
    busiest: ActivityBar | None


def activity_chart(days: list[ActivityDay]) -> ActivityChart:
    """Bars scaled to the busiest day of each series (a series of zeros draws none)."""
    top_events = max((day.events for day in days), default=0) or 1
    top_alerts = max((day.alerts for day in days), default=0) or 1
    bars = [
        ActivityBar(
            label=day.day.strftime("%d/%m"),
            iso=day.day.isoformat(),
            events=day.events,
            alerts=day.alerts,
            events_percent=round(100 * day.events / top_events),
            alerts_percent=round(100 * day.alerts / top_alerts),
        )
        for day in days
    ]
    busiest = max(bars, key=lambda bar: bar.events) if any(b.events for b in bars) else None
    return ActivityChart(
        bars=bars,
        total_events=sum(bar.events for bar in bars),
        total_alerts=sum(bar.alerts for bar in bars),
        busiest=busiest,
    )
