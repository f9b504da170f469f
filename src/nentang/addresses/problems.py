"""Problem codes of the addresses context (see kernel/errors/registry.py)."""

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

PROVINCE_NOT_FOUND = register(
    "province_not_found",
    status=404,
    title=_("Province not found"),
    meaning=_("No province-level unit has this code (Decision 19/2025/QĐ-TTg)."),
    advice=_("List the 34 provinces and cities at /api/v1/addresses/provinces."),
)
WARD_NOT_FOUND = register(
    "ward_not_found",
    status=404,
    title=_("Ward or commune not found"),
    meaning=_("No commune-level unit (xã, phường or đặc khu) has this code."),
    advice=_("Search by name at /api/v1/addresses/wards?q=… to find the code."),
)
