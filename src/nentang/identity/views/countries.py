"""Nationality as a person knows it: a country's name in the page's language, found by
typing (an ``<input list>`` over ISO 3166-1, names from django-countries' translations),
stored as its two-letter code. "Hàn Quốc", "han quoc", "Hàn Quốc (KR)" and "kr" all
give KR; anything else is a field error, never a guess."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from nentang.kernel.text import fold


def country_options() -> list[tuple[str, str]]:
    """(code, "Name (CODE)") for every country, Việt Nam first, then by folded name."""
    named = sorted(((code, str(name)) for code, name in countries), key=lambda c: fold(c[1]))
    options = [(code, f"{name} ({code})") for code, name in named]
    return sorted(options, key=lambda option: option[0] != "VN")


def country_code(typed: str) -> str | None:
    """The code of what was typed (a code, a name, or an option as listed), or None."""
    text = " ".join((typed or "").split())
    if not text:
        return None
    if len(text) == 2 and text.isascii() and text.upper() in dict(countries):
        return text.upper()
    wanted = fold(text)
    for code, label in country_options():
        if wanted in (fold(label), fold(label.rsplit(" (", 1)[0])):
            return code
    return None


class NationalityField(forms.CharField):
    """A country typed or picked from the page's list (``countries`` datalist)."""

    default_error_messages = {
        "unknown": _("Choose a country from the list, for example Việt Nam or Hàn Quốc."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)
        self.widget.attrs.update({"list": "countries", "autocomplete": "off"})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, str) and len(value) == 2:
            return dict(country_options()).get(value.upper(), value)
        return value

    def clean(self, value: Any) -> str:
        text = super().clean(value)
        if not text:
            return ""
        code = country_code(text)
        if code is None:
            raise forms.ValidationError(self.error_messages["unknown"], code="unknown")
        return code
