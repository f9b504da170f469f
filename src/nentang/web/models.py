"""Who runs this installation: shown in the header, the footer and the legal pages.

One row (id 1), edited in the admin (Administration → Installation). Until it is set,
neutral defaults apply and the footer tells operators where to set it.
"""

from __future__ import annotations

from django.core.validators import FileExtensionValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

DEFAULT_NAME = "nentang"


class Installation(models.Model):
    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    name = models.CharField(
        _("name of the service"),
        max_length=120,
        default=DEFAULT_NAME,
        help_text=_("Shown in the header of every page, e.g. “Cổng dịch vụ công tỉnh Huế”."),
    )
    agency = models.CharField(
        _("responsible agency"),
        max_length=200,
        blank=True,
        help_text=_("The agency that runs this service and answers for the data it holds."),
    )
    address = models.CharField(_("address of the agency"), max_length=300, blank=True)
    hotline = models.CharField(
        _("hotline"),
        max_length=20,
        blank=True,
        validators=[
            RegexValidator(r"^[0-9 +().-]{3,20}$", _("Digits, spaces and + ( ) . - only."))
        ],
    )
    email = models.EmailField(_("contact e-mail"), blank=True)
    privacy_email = models.EmailField(
        _("personal-data contact e-mail"),
        blank=True,
        help_text=_("Where people send requests about their personal data (Law 91/2025)."),
    )
    emblem = models.FileField(
        _("emblem or logo"),
        upload_to="installation/",
        blank=True,
        validators=[FileExtensionValidator(["svg", "png"])],
        help_text=_("SVG or PNG, square, shown at 40 × 40 px. Empty: the platform's mark."),
    )
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    class Meta:
        verbose_name = _("installation")
        verbose_name_plural = _("installation")

    def __str__(self) -> str:
        return self.name

    @property
    def configured(self) -> bool:
        return bool(self.agency)
