"""Forms of the officers' pages: find a person (by ID number, or by name and date of
birth), verify to level 2, lock and unlock an e-ID."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nentang.identity.views.forms import birth_date_field, province_choices, text_input
from nentang.web.forms import Form

PURPOSE_HELP = _(
    "For example “Verify to level 2 at the counter”. The person sees it in their "
    "personal-data usage log, with the name of your agency."
)


def purpose_field() -> forms.CharField:
    return forms.CharField(
        label=_("Purpose of this look-up"),
        help_text=PURPOSE_HELP,
        max_length=300,
        error_messages={"required": _("State why you look this person up.")},
        widget=text_input(("autocomplete", "off")),
    )


class FindPersonForm(Form):
    id_number = forms.CharField(
        label=_("Personal ID number"),
        help_text=_("12 digits, from the person's identity card."),
        max_length=20,
        error_messages={"required": _("Enter the person's 12-digit personal ID number.")},
        widget=text_input(("inputmode", "numeric"), ("autocomplete", "off"), cls="input--w20"),
    )
    purpose = purpose_field()


class FindByNameForm(Form):
    """A person without their card at hand: full name and date of birth, narrowed by
    the province of residence when known."""

    full_name = forms.CharField(
        label=_("Full name"),
        help_text=_("As on the identity card; with or without tone marks."),
        max_length=150,
        error_messages={"required": _("Enter the person's full name.")},
        widget=text_input(("autocomplete", "off"), ("spellcheck", "false")),
    )
    date_of_birth = birth_date_field(_("Enter the person's date of birth."))
    province_code = forms.ChoiceField(
        label=_("Province or city of residence"),
        required=False,
    )
    purpose = purpose_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["province_code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", gettext("Any province or city")), *province_choices()[1:]]


class VerifyForm(Form):
    place = forms.CharField(
        label=_("Place of the verification"),
        help_text=_("Where the person is standing in front of you."),
        max_length=200,
        error_messages={"required": _("Enter where the verification takes place.")},
    )
    document_type = forms.ChoiceField(
        label=_("Document shown"),
        choices=[
            ("citizen_id_card", _("Citizen identity card (CCCD)")),
            ("passport", _("Passport")),
            ("residence_card", _("Residence card")),
        ],
        error_messages={"required": _("Choose the type of document shown.")},
        widget=forms.RadioSelect,
    )
    document_number = forms.CharField(
        label=_("Document number"),
        help_text=_("Only a keyed fingerprint of the number is kept, never the number."),
        max_length=30,
        error_messages={"required": _("Enter the number of the document shown.")},
        widget=text_input(("autocomplete", "off"), ("spellcheck", "false"), cls="input--w20"),
    )
    fingerprint_attested = forms.BooleanField(
        label=_(
            "I checked the person's fingerprint against the national population database, "
            "and it matched."
        ),
        error_messages={
            "required": _("Level 2 needs the fingerprint check: tick the box once it matched.")
        },
    )


# What an officer can say: "officer action" (kept for earlier locks) says nothing to the
# holder, so it is not offered.
LOCK_REASONS = [
    ("holder_request", _("The holder asked for it")),
    ("suspected_misuse", _("Someone else may be using the e-ID (stolen phone, fraud)")),
    ("terms_breach", _("Breach of the terms of use")),
    ("id_revoked", _("The identity document was revoked")),
    ("deceased", _("The holder has died")),
]


class LockForm(Form):
    reason = forms.ChoiceField(
        label=_("Reason for the lock"),
        choices=LOCK_REASONS,
        error_messages={"required": _("Choose a reason for the lock.")},
        widget=forms.RadioSelect,
    )
    note = forms.CharField(
        label=_("Note"),
        help_text=_("What happened, for the lock history. Kept with the lock."),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm = forms.BooleanField(
        label=_(
            "I confirm: lock this e-ID now. Every session and service access it has ends, "
            "and only an identity administrator can unlock it."
        ),
        error_messages={"required": _("Tick the box to confirm the lock.")},
    )


class UnlockForm(Form):
    note = forms.CharField(
        label=_("Why the account is unlocked"),
        help_text=_("For example: the holder came in person with their identity card."),
        max_length=500,
        error_messages={"required": _("Write why the account is unlocked.")},
        widget=forms.Textarea(attrs={"rows": 3}),
    )
