"""Forms of the wallet pages; the services check every rule again."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from nentang.web.forms import Form

MAX_AMOUNT = 100_000_000
MAX_UPLOAD = 5 * 1024 * 1024
# The one-time key of a payment form: minted when the form is shown, sent back hidden,
# so a second submit of the same form pays nothing twice (the transfer id derives from it).
key_field = forms.CharField(
    widget=forms.HiddenInput,
    max_length=64,
    validators=[RegexValidator(r"^[A-Za-z0-9_-]{16,64}$")],
    error_messages={"required": _("The form expired: open it again.")},
)


class AmountField(forms.IntegerField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            label=_("Amount (₫)"),
            help_text=_("Whole đồng, without dots, e.g. 50000."),
            min_value=1,
            max_value=MAX_AMOUNT,
            error_messages={
                "invalid": _("Enter the amount as a whole number of đồng."),
                "min_value": _("The amount must be greater than 0 ₫."),
                "max_value": _("At most 100.000.000 ₫ in one payment."),
            },
            widget=forms.TextInput(
                attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input--w10"}
            ),
            **kwargs,  # type: ignore[arg-type]
        )

    def to_python(self, value: object) -> int | None:
        if isinstance(value, str):
            value = value.replace(".", "").replace(" ", "").replace("₫", "")
        return super().to_python(value)


class SendForm(Form):
    phone = forms.CharField(
        label=_("Recipient's phone number"),
        help_text=_("The number their wallet is registered on, e.g. 0903 123 456."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off", "class": "input--w20"}
        ),
    )
    amount = AmountField()
    note = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=100,
        help_text=_("The recipient sees it in their history."),
    )
    key = key_field


class QRForm(Form):
    payload = forms.CharField(
        label=_("Or paste the code's content"),
        help_text=_("Paste the text of the code (it starts with 000201)."),
        max_length=512,
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false", "autocomplete": "off"}),
    )
    upload = forms.FileField(
        label=_("A photo or picture of the code"),
        help_text=_("PNG, JPEG or WebP, at most 5 MB (on a phone: take a photo); or a text "
                    "file with the code."),
        required=False,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/png,image/jpeg,image/webp,.txt,text/plain"}
        ),
    )  # fmt: skip
    amount = AmountField(required=False)
    key = key_field

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The content is needed unless a file brings it.
        self.fields["payload"].required = not (self.files and self.files.get("upload"))
        self.fields["amount"].help_text = _("Only for a code without an amount, e.g. 50000.")

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        upload = data.get("upload")
        data["image"] = None
        if upload:
            if upload.size > MAX_UPLOAD:
                self.add_error("upload", _("The picture is larger than 5 MB."))
                return data
            raw = upload.read(MAX_UPLOAD)
            if len(raw) <= 1024 and raw.isascii() and b"\0" not in raw:
                data["payload"] = raw.decode("ascii").strip()
            else:
                # A picture (or not): the view decodes it with vietqr_text_from_image,
                # which says precisely what is wrong with it.
                data["image"], data["payload"] = raw, ""
        if not data.get("payload") and not data.get("image") and not self.errors:
            self.add_error("payload", _("Paste the code's content or choose a file."))
        return data


class AgentForm(Form):
    operation = forms.ChoiceField(
        label=_("Operation"),
        choices=[("cash_in", _("Cash-in: the customer gives cash")),
                 ("cash_out", _("Cash-out: the customer takes cash"))],
        widget=forms.RadioSelect,
    )  # fmt: skip
    phone = forms.CharField(
        label=_("Customer's phone number"),
        help_text=_("The number their wallet is registered on."),
        max_length=20,
        widget=forms.TextInput(
            attrs={"type": "tel", "inputmode": "tel", "autocomplete": "off", "class": "input--w20"}
        ),
    )
    amount = AmountField()
    customer_code = forms.CharField(
        label=_("Customer's withdrawal code (cash-out only)"),
        help_text=_("6 digits the customer's wallet page shows."),
        required=False,
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "off", "class": "input--w5"}
        ),
    )
    key = key_field


class RefundForm(Form):
    reference = forms.UUIDField(widget=forms.HiddenInput)
    amount = AmountField(required=False)
    key = key_field

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["amount"].help_text = _("Empty: refund all that is left.")


class AccountStatusForm(Form):
    code = forms.CharField(
        label=_("Account code"),
        help_text=_("For example wallet:… , merchant:banh-mi-sai-gon, agent:co-ba."),
        max_length=120,
    )
    status = forms.ChoiceField(
        label=_("Action"),
        choices=[("frozen", _("Freeze")), ("active", _("Unfreeze"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("Recorded in the audit log, e.g. a court order number."),
        min_length=5,
        max_length=200,
        error_messages={"min_length": _("Give the reason in at least 5 characters.")},
    )
