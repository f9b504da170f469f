"""Forms of the identity pages. They parse what a person typed (required fields,
dates, files); the services check the rules again and their field errors are put on
the same fields (:func:`add_field_errors`), so every mistake shows next to its field."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

from django import forms
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from nentang.addresses import selectors as addresses
from nentang.identity.services.inputs import MAX_PORTRAIT_BYTES
from nentang.identity.views.countries import NationalityField
from nentang.kernel.errors import (
    Conflict,
    FieldError,
    NotFound,
    ProblemError,
    RateLimited,
    ValidationFailed,
)
from nentang.web.forms import Form

T = TypeVar("T")

# Field names of the register form as the service names them (FieldError.field).
PASSWORD_RULES = _(
    "At least 12 characters. Not a common password, and not like your ID number. "
    "A short sentence you can remember is a good password, for example "
    "“mùa thu Hà Nội có hoa sữa”."
)


def add_field_errors(form: forms.Form, errors: Iterable[FieldError]) -> None:
    """Show a service's field errors on the form's fields of the same name (others on
    top of the form, in the error summary)."""
    for error in errors:
        name = error.field if error.field in form.fields else None
        if name is not None and form.has_error(name):
            continue  # one message per field: the form's own came first
        form.add_error(name, str(error.message))


def submit(
    form: forms.Form,
    service: Callable[[dict[str, Any]], T],
    *,
    conflict_fields: Mapping[str, str] | None = None,
    show_problems: bool = False,
    show_refusals: bool = False,
    problem_field: str | None = None,
) -> tuple[T | None, int]:
    """Call ``service`` with the form's cleaned data when the form is valid. Returns
    (its result, 200), or (None, the status to answer with): 400 for the form's own
    mistakes, 422 for the service's field errors (shown at their fields), 409 for a
    conflict (at the field ``conflict_fields`` names for its code, else on top), 429
    when throttled (on top). With ``show_problems`` any other problem is shown too, at
    ``problem_field`` or on top, with its own status — but a refusal (403) goes on to
    the error page and its security event unless ``show_refusals``."""
    if not form.is_valid():
        return None, 400
    try:
        return service(form.cleaned_data), 200
    except ValidationFailed as failed:
        add_field_errors(form, failed.errors)
        return None, 422
    except Conflict as conflict:
        field = (conflict_fields or {}).get(conflict.code)
        if field:
            add_field_errors(form, [FieldError(field, str(conflict.detail), conflict.code)])
        else:
            form.add_error(None, str(conflict.detail))
        return None, 409
    except RateLimited as throttled:  # the form again, with the wait on top
        form.add_error(None, str(throttled.detail))
        return None, 429
    except ProblemError as problem:
        if not show_problems or (problem.status == 403 and not show_refusals):
            raise
        form.add_error(problem_field, str(problem.detail or problem.code))
        return None, problem.status


def text_input(*attrs: tuple[str, str], cls: str = "", input_type: str = "text") -> forms.TextInput:
    values = dict(attrs)
    if cls:
        values["class"] = cls
    widget = forms.TextInput(attrs=values)
    widget.input_type = input_type
    return widget


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


def province_choices() -> list[tuple[str, str]]:
    return [("", gettext("Choose a province or city"))] + [
        (province.code, province.full_name) for province in addresses.province_list()
    ]


def commune_choices(province_code: str) -> list[tuple[str, str]]:
    """The wards and communes of a province in force today ("" when none is chosen)."""
    first = [("", gettext("Choose a ward or commune"))]
    if not province_code:
        return [("", gettext("Choose the province or city first"))]
    try:
        communes = addresses.commune_list(province_code=province_code)
    except (NotFound, ValidationFailed):  # the service names the mistake on submit
        return first
    return first + [(commune.code, commune.name) for commune in communes]


def birth_date_field(required: Any, *, autocomplete: str = "off") -> forms.DateField:
    """A date of birth, typed day/month/year or picked (ISO from the date picker)."""
    return forms.DateField(
        label=_("Date of birth"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": required,
            "invalid": _("Enter the date of birth as day/month/year, for example 15/05/1990."),
        },
        widget=DateInput(attrs={"autocomplete": autocomplete, "class": "input--w10"}),
    )


def new_password_field(label: Any, *, required: Any) -> forms.CharField:
    """A new password, with the rules shown under it (checked by the service)."""
    return forms.CharField(
        label=label,
        help_text=PASSWORD_RULES,
        max_length=1024,
        strip=False,
        error_messages={"required": required},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def password_again_field() -> forms.CharField:
    """The same password a second time (compared by :func:`passwords_match`)."""
    return forms.CharField(
        label=_("Password again"),
        max_length=1024,
        strip=False,
        error_messages={"required": _("Enter the password a second time.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


def wire_place_fields(form: forms.Form) -> None:
    """Province and ward choices of a form with ``province_code``/``commune_code``;
    with htmx, choosing a province loads its wards into the next field, in place."""
    province = str(form.data.get("province_code", "")) if form.is_bound else ""
    province_field = form.fields["province_code"]
    commune_field = form.fields["commune_code"]
    assert isinstance(province_field, forms.ChoiceField)
    assert isinstance(commune_field, forms.ChoiceField)
    province_field.choices = province_choices()
    commune_field.choices = commune_choices(province)
    province_field.widget.attrs.update(
        {
            "hx-get": reverse("identity_web:register_communes"),
            "hx-target": "#commune-field",
            "hx-swap": "outerHTML",
            "hx-trigger": "change",
            "hx-include": "this",
            "autocomplete": "address-level1",
        }
    )


def passwords_match(form: forms.Form, data: dict[str, Any]) -> None:
    password, again = data.get("password"), data.get("password_again")
    if password and again is not None and password != again:
        form.add_error("password_again", gettext("The two passwords are not the same."))


class RegisterForm(Form):
    id_number = forms.CharField(
        label=_("Personal ID number"),
        help_text=_("The 12 digits on your citizen identity card (CCCD)."),
        max_length=20,
        error_messages={"required": _("Enter your 12-digit personal ID number.")},
        widget=text_input(
            ("inputmode", "numeric"),
            ("autocomplete", "off"),
            ("spellcheck", "false"),
            cls="input--w20",
        ),
    )
    full_name = forms.CharField(
        label=_("Full name"),
        help_text=_("As written on your identity card, with its tone marks."),
        max_length=200,
        error_messages={"required": _("Enter your full name as written on your identity card.")},
        widget=text_input(("autocomplete", "name"), ("spellcheck", "false")),
    )
    name_without_marks = forms.BooleanField(
        label=_("My identity card writes my name without tone marks"),
        required=False,
    )
    date_of_birth = birth_date_field(_("Enter your date of birth."), autocomplete="bday")
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=[("male", _("Male")), ("female", _("Female"))],
        error_messages={"required": _("Choose male or female, as on your identity card.")},
        widget=forms.RadioSelect,
    )
    phone = forms.CharField(
        label=_("Mobile phone number"),
        help_text=_("For example 0912 345 678."),
        max_length=30,
        error_messages={"required": _("Enter your mobile phone number.")},
        widget=text_input(("autocomplete", "tel"), cls="input--w20", input_type="tel"),
    )
    email = forms.CharField(
        label=_("E-mail address"),
        required=False,
        max_length=254,
        widget=text_input(("autocomplete", "email"), ("spellcheck", "false"), input_type="email"),
    )
    province_code = forms.ChoiceField(
        label=_("Province or city"),
        error_messages={"required": _("Choose the province or city where you live.")},
    )
    commune_code = forms.ChoiceField(
        label=_("Ward or commune"),
        help_text=_("Since 1 July 2025, as on the new list of wards and communes."),
        error_messages={"required": _("Choose the ward or commune where you live.")},
    )
    street = forms.CharField(
        label=_("House number and street"),
        help_text=_("For example 12 Lê Lợi, or Tổ 3, ấp Phú Hòa."),
        max_length=250,
        error_messages={"required": _("Enter your house number and street.")},
        widget=text_input(("autocomplete", "street-address")),
    )
    nationality = NationalityField(
        label=_("Nationality"),
        initial="VN",
        help_text=_(
            "Type the first letters of the country and pick it from the list. Foreigners "
            "from 6 years of age also give their residence card number below."
        ),
        error_messages={"required": _("Choose your country of nationality.")},
        widget=text_input(("spellcheck", "false"), cls="input--w20"),
    )
    residence_card_number = forms.CharField(
        label=_("Residence card number (foreigners only)"),
        required=False,
        max_length=30,
        widget=text_input(("autocomplete", "off"), ("spellcheck", "false"), cls="input--w20"),
    )
    portrait = forms.FileField(
        label=_("Portrait photo"),
        help_text=_(
            "A recent photo of your face, looking straight at the camera, on a plain "
            "background. JPEG or PNG, at most 2 MB."
        ),
        error_messages={"required": _("Add a portrait photo (JPEG or PNG).")},
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png"}),
    )
    password = new_password_field(_("Password"), required=_("Choose a password."))
    password_again = password_again_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wire_place_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        passwords_match(self, data)
        portrait = data.get("portrait")
        if portrait is not None and portrait.size > MAX_PORTRAIT_BYTES:
            self.add_error("portrait", gettext("The portrait photo is larger than 2 MB."))
        return data


class LoginForm(Form):
    login = forms.CharField(
        label=_("Personal ID number or login"),
        help_text=_("Citizens: the 12 digits of your ID number. Organisations: the tax code."),
        max_length=150,
        error_messages={"required": _("Enter your personal ID number or login.")},
        widget=text_input(
            ("autocomplete", "username"), ("spellcheck", "false"), ("autocapitalize", "none")
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=1024,
        strip=False,
        error_messages={"required": _("Enter your password.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(Form):
    """A 6-digit code from an authenticator app."""

    code = forms.CharField(
        label=_("6-digit code from your authenticator app"),
        help_text=_(
            "Open the app (for example Google Authenticator) and type the code for nentang."
        ),
        max_length=12,
        error_messages={"required": _("Enter the 6-digit code from your authenticator app.")},
        widget=text_input(
            ("inputmode", "numeric"),
            ("autocomplete", "one-time-code"),
            ("pattern", "[0-9 ]*"),
            cls="input--w10",
        ),
    )


class BackupCodeForm(Form):
    """One of the 10-character backup codes of the second factor."""

    backup_code = forms.CharField(
        label=_("Backup code"),
        help_text=_("One of the codes you wrote down, for example k7m2p-x9q4r."),
        max_length=40,
        error_messages={"required": _("Enter one of your backup codes.")},
        widget=text_input(
            ("autocomplete", "off"), ("spellcheck", "false"), ("autocapitalize", "none")
        ),
    )


class SmsCodeForm(Form):
    """The 6-digit code sent by SMS to confirm the phone of a registration."""

    code = forms.CharField(
        label=_("6-digit code from the SMS"),
        help_text=_("We sent it to the mobile phone you gave. It is valid for 10 minutes."),
        max_length=12,
        error_messages={"required": _("Enter the 6-digit code from the SMS.")},
        widget=text_input(
            ("inputmode", "numeric"),
            ("autocomplete", "one-time-code"),
            ("pattern", "[0-9 ]*"),
            cls="input--w10",
        ),
    )


class PasskeyNameForm(Form):
    name = forms.CharField(
        label=_("Name of the passkey"),
        help_text=_("So that you recognise it later, for example “My phone”."),
        max_length=100,
        error_messages={"required": _("Enter a name for the passkey.")},
        widget=text_input(("autocomplete", "off")),
    )


class ChildForm(Form):
    """A child under 14 registered by their level-2 parent or guardian."""

    id_number = forms.CharField(
        label=_("The child's personal ID number"),
        help_text=_("12 digits, on the birth certificate or the child's identity card."),
        max_length=20,
        error_messages={"required": _("Enter the child's 12-digit personal ID number.")},
        widget=text_input(("inputmode", "numeric"), ("autocomplete", "off"), cls="input--w20"),
    )
    full_name = forms.CharField(
        label=_("The child's full name"),
        max_length=200,
        error_messages={"required": _("Enter the child's full name.")},
        widget=text_input(("autocomplete", "off"), ("spellcheck", "false")),
    )
    date_of_birth = forms.DateField(
        label=_("Date of birth"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": _("Enter the child's date of birth."),
            "invalid": _("Enter the date of birth as day/month/year, for example 01/06/2020."),
        },
        widget=DateInput(attrs={"class": "input--w10"}),
    )
    sex = forms.ChoiceField(
        label=_("Sex"),
        choices=[("male", _("Male")), ("female", _("Female"))],
        error_messages={"required": _("Choose male or female, as on the birth certificate.")},
        widget=forms.RadioSelect,
    )
    relationship = forms.ChoiceField(
        label=_("You are the child's"),
        choices=[("mother", _("Mother")), ("father", _("Father")), ("guardian", _("Guardian"))],
        error_messages={
            "required": _("Choose whether you are the child's mother, father or guardian.")
        },
        widget=forms.RadioSelect,
    )
    evidence_number = forms.CharField(
        label=_("Number of the birth certificate or guardianship record"),
        help_text=_(
            "A parent gives the birth certificate that names them; a guardian the "
            "guardianship registration extract or the court decision."
        ),
        max_length=30,
        required=False,
        widget=text_input(("autocomplete", "off"), cls="input--w20"),
    )
    evidence_date = forms.DateField(
        label=_("Registration date on that document"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        required=False,
        error_messages={"invalid": _("Enter the date as day/month/year, for example 10/06/2020.")},
        widget=DateInput(attrs={"class": "input--w10"}),
    )


class OrganisationForm(Form):
    """An organisation's e-ID, registered by its legal representative."""

    tax_code = forms.CharField(
        label=_("Tax code (MST)"),
        help_text=_("10 digits; a branch adds its 3-digit suffix, for example 0100109106-001."),
        max_length=20,
        error_messages={"required": _("Enter the organisation's tax code.")},
        widget=text_input(("inputmode", "numeric"), ("autocomplete", "off"), cls="input--w20"),
    )
    name = forms.CharField(
        label=_("Name of the organisation"),
        help_text=_("As on the business registration certificate."),
        max_length=300,
        error_messages={"required": _("Enter the organisation's name.")},
        widget=text_input(("autocomplete", "organization")),
    )
    short_name = forms.CharField(
        label=_("Short name"), required=False, max_length=100, widget=text_input(cls="input--w20")
    )
    english_name = forms.CharField(
        label=_("Name in English"), required=False, max_length=300, widget=text_input()
    )
    established_on = forms.DateField(
        label=_("Date of establishment"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={
            "required": _("Enter the date the organisation was established."),
            "invalid": _("Enter the date as day/month/year, for example 02/03/2015."),
        },
        widget=DateInput(attrs={"class": "input--w10"}),
    )
    province_code = forms.ChoiceField(
        label=_("Province or city of the head office"),
        error_messages={"required": _("Choose the province or city of the head office.")},
    )
    commune_code = forms.ChoiceField(
        label=_("Ward or commune"),
        help_text=_("Since 1 July 2025, as on the new list of wards and communes."),
        error_messages={"required": _("Choose the ward or commune of the head office.")},
    )
    street = forms.CharField(
        label=_("House number and street"),
        max_length=250,
        error_messages={"required": _("Enter the head office's house number and street.")},
        widget=text_input(("autocomplete", "street-address")),
    )
    password = new_password_field(
        _("The organisation's password"), required=_("Choose a password for the organisation.")
    )
    password_again = password_again_field()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        wire_place_fields(self)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        passwords_match(self, data)
        return data
