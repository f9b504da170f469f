"""A city's alert thresholds (``ThresholdRule`` rows over the defaults of
``data/thresholds.json``): set or switch off one rule, validated field by field, one
audit entry per change."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, NotFound, ValidationFailed
from nentang.smartcity.models import Tenant, ThresholdRule
from nentang.smartcity.problems import CITY_NOT_FOUND
from nentang.smartcity.thresholds import FIELDS, rule_problems


def _messages() -> dict[str, str]:
    return {
        "entity_type": _("Give an entity type: letters, digits and _."),
        "attribute": _("Give an attribute name: letters, digits and _."),
        "direction": _("Choose above or below."),
        "warning": _("Enter a number."),
        "alarm": _("The alarm limit must be a number beyond the warning limit."),
        "hold_minutes": _("Enter whole minutes, from 0 to one week."),
        "unit_code": _("At most 10 characters."),
        "label": _("Write what the alert says (1 to 200 characters)."),
        "label_en": _("Write what the alert says (1 to 200 characters)."),
    }


def threshold_set(
    *, actor: Actor, tenant: str, is_active: bool = True, **fields: Any
) -> ThresholdRule:
    """Set the rule of ``tenant`` for (``entity_type``, ``attribute``); ``is_active=False``
    switches the default of that pair off in the city. Unchanged: no write, no entry."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise TypeError(f"unknown threshold fields {sorted(unknown)}")
    raw = {name: fields.get(name) for name in FIELDS}
    raw["hold_minutes"] = fields.get("hold_minutes", 0)
    raw["unit_code"] = fields.get("unit_code") or ""
    problems = rule_problems(raw)
    if problems:
        messages = _messages()
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError(field=f, message=messages[f], code="invalid") for f, _m in problems],
        )
    with transaction.atomic():
        row_tenant = Tenant.objects.filter(name=tenant).first()
        if row_tenant is None:
            raise NotFound(_("There is no such city."), code=CITY_NOT_FOUND)
        values = {name: raw[name] for name in FIELDS if name not in ("entity_type", "attribute")}
        values["is_active"] = is_active
        existing = (
            ThresholdRule.objects.select_for_update()
            .filter(tenant=row_tenant, entity_type=raw["entity_type"], attribute=raw["attribute"])
            .first()
        )
        if existing is not None and all(
            getattr(existing, name) == value for name, value in values.items()
        ):
            return existing
        rule, _created = ThresholdRule.objects.update_or_create(
            tenant=row_tenant,
            entity_type=raw["entity_type"],
            attribute=raw["attribute"],
            defaults={**values, "updated_at": timezone.now()},
        )
        auditing.record(
            actor=actor,
            action="smartcity.threshold.set",
            subject_type="smartcity.tenant",
            subject=tenant,
            summary={"rule": f"{rule.entity_type}.{rule.attribute}", **values},
        )
    return rule
