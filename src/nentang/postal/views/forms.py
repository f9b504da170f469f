"""Forms of the postal pages; the services check the rules again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nentang.postal.services.tracking import EVENT_CODES, FAILURE_REASONS
from nentang.web.forms import Form

SCAN_CHOICES = ("EMA", "EDD", "EDE", "EMC", "EMD", "EMG", "EDF", "EDG", "RTS", "RTD")


class TrackForm(Form):
    s10 = forms.CharField(
        label=_("Item number"),
        help_text=_("13 characters under the barcode, e.g. EE473124829VN."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}
        ),
    )


class ScanForm(Form):
    s10 = forms.CharField(
        label=_("Item number"),
        help_text=_("Type it, or scan the barcode with the camera."),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
                "autofocus": True,
                "enterkeyhint": "send",
            }
        ),
    )
    code = forms.ChoiceField(
        label=_("Event"),
        choices=[(code, f"{code} · {EVENT_CODES[code].label}") for code in SCAN_CHOICES],
    )
    reason = forms.ChoiceField(
        label=_("Reason (for a return)"),
        required=False,
        choices=[("", "—"), *FAILURE_REASONS.items()],
    )


class DeliverForm(Form):
    received_by = forms.CharField(
        label=_("Received by"),
        max_length=150,
        help_text=_("Full name of the person who took the parcel."),
    )
    code = forms.CharField(
        label=_("Code from the SMS"),
        required=False,
        max_length=6,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )
    signature = forms.CharField(required=False, widget=forms.HiddenInput)


class FailedForm(Form):
    reason = forms.ChoiceField(
        label=_("Why it could not be delivered"), choices=list(FAILURE_REASONS.items())
    )
    next_attempt_on = forms.DateField(
        label=_("Next attempt"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
