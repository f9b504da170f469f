"""Forms of the open-data pages; the services check the rules again."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from nentang.opendata.encodings import ENCODINGS, LABELS
from nentang.web.forms import Form

FREQUENCIES = [
    ("irregular", _("Irregular")), ("hourly", _("Hourly")), ("daily", _("Daily")),
    ("weekly", _("Weekly")), ("monthly", _("Monthly")), ("quarterly", _("Quarterly")),
    ("semiannual", _("Every six months")), ("annual", _("Annual")),
]  # fmt: skip


class DatasetForm(Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    name = forms.SlugField(
        label=_("Web address (name)"),
        help_text=_("Lower-case letters, digits and hyphens, e.g. chat-luong-khong-khi-2025."),
        max_length=100,
    )
    notes = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    owner_org = forms.ChoiceField(label=_("Publishing organisation"))
    license_id = forms.ChoiceField(label=_("Licence"))
    tags = forms.CharField(
        label=_("Keywords"), help_text=_("Separated by commas."), required=False, max_length=1000
    )
    frequency = forms.ChoiceField(label=_("Update frequency"), choices=FREQUENCIES)
    spatial = forms.CharField(
        label=_("Area covered"),
        help_text=_("Codes of provinces or communes, separated by commas, e.g. 79."),
        required=False,
        max_length=500,
    )
    temporal_start = forms.CharField(label=_("Period from (dd/mm/yyyy)"), required=False)
    temporal_end = forms.CharField(label=_("Period to (dd/mm/yyyy)"), required=False)
    version = forms.CharField(label=_("Version"), required=False, max_length=40)
    private = forms.BooleanField(
        label=_("Private (only your organisation sees it)"), required=False
    )


class UploadForm(Form):
    name = forms.CharField(label=_("Resource name"), max_length=300)
    upload = forms.FileField(
        label=_("File (CSV, XLSX or JSON)"),
        help_text=_("Files in TCVN3, VNI or Windows-1258 are converted to Unicode."),
    )
    encoding = forms.ChoiceField(
        label=_("Encoding"),
        choices=[("", _("Detect automatically")), *[(e, LABELS[e]) for e in ENCODINGS]],
        required=False,
        help_text=_("Choose one if the preview shows wrong letters."),
    )


class TokenForm(Form):
    name = forms.CharField(label=_("Token name"), max_length=100, initial="ckanapi")
