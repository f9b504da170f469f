"""The catalogue as readers see it: the procedures in force, searched in folded
Vietnamese ("dang ky khai sinh" finds "Đăng ký khai sinh"), and who receives them."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from nentang.kernel.errors import NotFound
from nentang.kernel.text import fold
from nentang.publicservices.catalogue import Procedure, catalogue
from nentang.publicservices.models import ReceivingUnit
from nentang.publicservices.problems import PROCEDURE_NOT_FOUND


def procedure_list(*, query: str = "", level: str = "") -> list[Procedure]:
    """Procedures in force whose name or code contains every word of ``query``."""
    words = fold(query or "").split()
    found = []
    for procedure in catalogue().in_force():
        if level and procedure.agency_level != level:
            continue
        if all(word in procedure.name_folded for word in words):
            found.append(procedure)
    return found


def procedure_get(*, slug: str, version: int | None = None) -> Procedure:
    procedure = (
        catalogue().current(slug or "") if version is None else catalogue().get(slug, version)
    )
    if procedure is None:
        raise NotFound(_("No procedure in force has this id."), code=PROCEDURE_NOT_FOUND)
    return procedure


def agencies_for(*, procedure: Procedure) -> list[Any]:
    """The agencies that receive a procedure: a one-stop-shop unit at its level."""
    units = ReceivingUnit.objects.select_related("agency").filter(agency__is_active=True)
    if procedure.agency_level == "commune":
        units = units.exclude(agency__commune_code="")
    else:
        units = units.filter(agency__commune_code="")
    return [unit.agency for unit in units.order_by("agency__name", "agency_id")]
