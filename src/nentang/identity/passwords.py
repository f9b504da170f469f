"""Django's password validators with messages of our own (issue 9, "English in pages").

Django's Vietnamese catalogue has no translation of the minimum-length message, and the
similarity message names the model field ("username") rather than what the person
knows as their login. The rules are Django's; only the words are ours, in the identity
catalogue. Wired in ``settings.AUTH_PASSWORD_VALIDATORS``.
"""

from __future__ import annotations

from django.contrib.auth import password_validation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self) -> str:
        return ngettext(
            "The password is too short: use at least %(count)d character.",
            "The password is too short: use at least %(count)d characters.",
            self.min_length,
        ) % {"count": self.min_length}

    def get_help_text(self) -> str:
        return ngettext(
            "At least %(count)d character.", "At least %(count)d characters.", self.min_length
        ) % {"count": self.min_length}


class UserAttributeSimilarityValidator(password_validation.UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        return _(
            "The password is too like your login (your ID number or tax code) or your "
            "e-mail: choose one that has nothing to do with them."
        )

    def get_help_text(self) -> str:
        return _("Not like your login or your e-mail.")
