"""Forms that render in the design system.

Subclass :class:`Form` or :class:`ModelForm` and write ``{{ form }}`` inside a
``<form class="form">``: you get an error summary at the top (linked to each field,
focused after a failed submit), then each field with its label, hint, error message and
``aria-describedby``/``aria-invalid`` wiring (Django 5.2 adds the attributes; our
templates give the ids they point to). Put ``novalidate`` on the ``<form>``: the server's
messages, in the page's language and style, replace the browser's bubbles.

Mark optional fields ``required=False``: the label then says "(optional)"; required is
the norm and is not marked. A required field without its own "required" message gets
one that names it ("Fill in “Phone number”."), because the error summary shows messages
without labels.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.forms.renderers import DjangoTemplates
from django.utils.translation import gettext_lazy as _


class FormRenderer(DjangoTemplates):
    form_template_name = "web/components/form.html"
    field_template_name = "web/components/field.html"


_CHOICE_WIDGETS = (forms.RadioSelect, forms.CheckboxSelectMultiple, forms.Select)


def name_required_fields(form: forms.BaseForm) -> None:
    """Replace Django's "This field is required." by a message that names the field.

    The error summary lists messages without their labels, so each message must say
    which field it is about. A message set on the field itself is kept.
    """
    generic = str(forms.Field.default_error_messages["required"])
    for field in form.fields.values():
        if str(field.error_messages.get("required", "")) != generic:
            continue
        label = str(field.label or "")
        if isinstance(field.widget, forms.CheckboxInput):
            message = _("Tick “%(label)s” to continue.")
        elif isinstance(field.widget, _CHOICE_WIDGETS):
            message = _("Choose an answer for “%(label)s”.")
        else:
            message = _("Fill in “%(label)s”.")
        field.error_messages["required"] = message % {"label": label.rstrip(" :.?")}


class Form(forms.Form):
    default_renderer = FormRenderer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_required_fields(self)


class ModelForm(forms.ModelForm):  # type: ignore[type-arg]
    default_renderer = FormRenderer

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        name_required_fields(self)


class ExampleLookupForm(Form):
    """The form shown on the design-system page. It looks nothing up and saves nothing."""

    receipt_code = forms.CharField(
        label=_("Dossier receipt code"),
        error_messages={"required": _("Enter the receipt code of your dossier.")},
        help_text=_("As printed on your receipt, for example H29.48-250701-0001."),
        max_length=40,
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9.\-]+$",
                _("Enter the code exactly as printed: letters, digits, dots and hyphens."),
            )
        ],
        widget=forms.TextInput(
            attrs={"class": "input--w20", "autocomplete": "off", "spellcheck": "false"}
        ),
    )
    phone = forms.CharField(
        label=_("Mobile phone number"),
        error_messages={"required": _("Enter your mobile phone number.")},
        help_text=_("10 digits, for example 0912345678."),
        validators=[
            RegexValidator(r"^0\d{9}$", _("Enter a 10-digit mobile number that starts with 0."))
        ],
        widget=forms.TextInput(
            attrs={"class": "input--w10", "inputmode": "numeric", "autocomplete": "tel"}
        ),
    )
    province = forms.ChoiceField(
        label=_("Province or city"),
        required=False,
        choices=[("", "—"), ("01", "Hà Nội"), ("48", "Đà Nẵng"), ("79", "TP. Hồ Chí Minh")],
    )
    delivery = forms.ChoiceField(
        label=_("How do you want to receive the result?"),
        error_messages={"required": _("Choose how you want to receive the result.")},
        choices=[
            ("online", _("Online, in my account")),
            ("post", _("By post, to my address")),
        ],
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Message to the agency"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_("I confirm that the information above is correct."),
        error_messages={"required": _("Tick the box to confirm that the information is correct.")},
    )
