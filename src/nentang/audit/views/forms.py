"""Forms of the SOC pages. They check what a person typed; the services check again."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.validators import MinValueValidator, RegexValidator
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nentang.audit.services.security import KINDS
from nentang.audit.services.security.alerts import MAX_REASON_LENGTH
from nentang.audit.services.security.register import MAX_RETENTION_DAYS
from nentang.audit.views.presenters import kind_label
from nentang.kernel.errors import FieldError
from nentang.web.forms import Form


def _levels() -> list[tuple[str, str]]:
    return [(str(level), gettext("Level %(level)s") % {"level": level}) for level in range(1, 6)]


def add_field_errors(form: forms.Form, errors: tuple[FieldError, ...]) -> None:
    """Show a service's field errors on the form (errors of unknown fields on top)."""
    for error in errors:
        field = error.field if error.field in form.fields else None
        form.add_error(field, str(error.message))


class AlertStepForm(Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_(
            "What you found or did. It is kept with the alert and recorded in the audit log."
        ),
        max_length=MAX_REASON_LENGTH,
        error_messages={
            "required": _("Enter the reason for this step."),
            "max_length": _("Keep the reason under %(limit_value)s characters."),
        },
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AlertAssignForm(Form):
    assignee = forms.ChoiceField(
        label=_("Operator"),
        help_text=_("The operator who handles this alert from now on."),
        required=False,
        error_messages={"invalid_choice": _("Choose an operator who may handle alerts.")},
    )
    reason = forms.CharField(
        label=_("Note (optional)"),
        required=False,
        max_length=MAX_REASON_LENGTH,
        error_messages={"max_length": _("Keep the note under %(limit_value)s characters.")},
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, operators: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["assignee"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", str(_("Nobody")))] + [(login, login) for login in operators]


def _kind_choices() -> list[tuple[str, str]]:
    return [("", str(_("All kinds")))] + [(kind, f"{kind_label(kind)} ({kind})") for kind in KINDS]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class BoundedDateTimeField(forms.DateTimeField):
    """A date and time the database can compare with: 0001-01-01 in Vietnam time falls
    before year 1 in UTC (an overflow, not an answer), so the years are bounded."""

    def to_python(self, value: Any) -> Any:
        result = super().to_python(value)
        if result is not None and not 1900 <= result.year <= 9998:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return result


class EventFilterForm(Form):
    kind = forms.ChoiceField(label=_("Kind of event"), required=False, choices=_kind_choices)
    source_ip = forms.GenericIPAddressField(
        label=_("Source address"),
        required=False,
        help_text=_("An IPv4 or IPv6 address, for example 203.0.113.7."),
        error_messages={"invalid": _("Enter the source address as an IPv4 or IPv6 address.")},
        widget=forms.TextInput(attrs={"class": "input--w20", "spellcheck": "false"}),
    )
    since = BoundedDateTimeField(
        label=_("From"),
        required=False,
        help_text=_("Vietnam time (UTC+7)."),
        error_messages={"invalid": _("Enter the start as a date and time.")},
        widget=LocalDateTimeInput(attrs={"class": "input--w20"}),
    )
    until = BoundedDateTimeField(
        label=_("Until"),
        required=False,
        error_messages={"invalid": _("Enter the end as a date and time.")},
        widget=LocalDateTimeInput(attrs={"class": "input--w20"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until <= since:
            self.add_error("until", _("The end of the period must come after its start."))
        return data


class AuditLogFilterForm(Form):
    action = forms.CharField(
        label=_("Action"),
        required=False,
        max_length=100,
        help_text=_("The start of an action name, for example audit.alert or kernel.webhook."),
        validators=[
            RegexValidator(
                r"^[a-z][a-z0-9_.]*$",
                _("Enter the action in lower case, with dots, for example audit.alert."),
            )
        ],
        widget=forms.TextInput(attrs={"class": "input--w20", "spellcheck": "false"}),
    )


class SystemForm(Form):
    code = forms.SlugField(
        label=_("Code"),
        max_length=60,
        help_text=_("Short and permanent, in lower case, for example dichvucong-hcm."),
        error_messages={
            "required": _("Enter a code for the system."),
            "invalid": _("Use lower-case letters, digits and hyphens for the code."),
        },
        widget=forms.TextInput(attrs={"class": "input--w20", "spellcheck": "false"}),
    )
    name = forms.CharField(
        label=_("Name of the system"),
        max_length=200,
        error_messages={"required": _("Enter the name of the system.")},
    )
    security_level = forms.TypedChoiceField(
        label=_("Security level"),
        help_text=_(
            "1 to 5, as approved under Decree 85/2016/NĐ-CP; "
            "a system's level is the highest of its parts."
        ),
        choices=_levels,
        coerce=int,
        error_messages={"required": _("Choose the security level of the system.")},
        widget=forms.RadioSelect,
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    approval_reference = forms.CharField(
        label=_("Number of the approval decision"),
        required=False,
        max_length=200,
        help_text=_("For example 123/QĐ-UBND."),
    )
    approved_on = forms.DateField(
        label=_("Date of the approval decision"),
        required=False,
        error_messages={"invalid": _("Enter the date of the approval decision as a date.")},
        widget=forms.DateInput(attrs={"type": "date", "class": "input--w10"}, format="%Y-%m-%d"),
    )
    approving_authority = forms.CharField(
        label=_("Approving authority"), required=False, max_length=200
    )
    owner = forms.CharField(
        label=_("Owner (agency operating the system)"), required=False, max_length=200
    )
    is_active = forms.BooleanField(label=_("The system is in operation"), required=False)

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            del self.fields["code"]
        else:
            del self.fields["is_active"]

    def clean_approved_on(self) -> date | None:
        value: date | None = self.cleaned_data.get("approved_on")
        if value is not None and value > timezone.localdate():
            raise forms.ValidationError(_("The approval date cannot be in the future."))
        return value


class RetentionForm(Form):
    raw_event_days = forms.IntegerField(
        label=_("Keep raw security events for (days)"),
        max_value=MAX_RETENTION_DAYS,
        error_messages={
            "required": _("Enter how many days raw events are kept."),
            "invalid": _("Enter the number of days as a whole number."),
            "min_value": _(
                "Keep raw events for at least %(limit_value)s days: the legal minimum "
                "(Decree 53/2022/NĐ-CP and TCVN 11930:2017)."
            ),
            "max_value": _("Keep raw events for at most %(limit_value)s days."),
        },
        widget=forms.NumberInput(attrs={"class": "input--w10"}),
    )

    def __init__(self, *args: Any, minimum: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["raw_event_days"]
        assert isinstance(field, forms.IntegerField)
        field.min_value = minimum
        field.validators.append(MinValueValidator(minimum))
        field.widget.attrs["min"] = str(minimum)
        field.help_text = _(
            "At least %(min)s days (Decree 53/2022/NĐ-CP, TCVN 11930:2017), at most %(max)s."
        ) % {"min": minimum, "max": MAX_RETENTION_DAYS}

    source = forms.CharField(
        label=_("Legal basis or source"),
        required=False,
        max_length=300,
        help_text=_("The text that sets this period, for example TCVN 11930:2017."),
    )
