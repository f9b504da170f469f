"""Reads other contexts need through the wiring: where a paper result goes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from nentang.identity import services as identity
from nentang.publicservices.models import Dossier
from nentang.publicservices.services.common import not_found, parse_uuid, procedure_of

PLATFORM_CLIENT = "publicservices"
PLATFORM_NAME = "Cổng dịch vụ công"


@dataclass(frozen=True)
class ResultDelivery:
    """The applicant as the recipient of a paper result, the agency as its sender."""

    reference: str
    recipient_name: str
    recipient_phone: str
    recipient_street: str
    recipient_ward_code: str
    sender_name: str
    sender_ward_code: str


def dossier_result_delivery(*, dossier_id: Any) -> ResultDelivery:
    """For the post (called by the wiring when a result is issued for postal delivery):
    the applicant's name, phone and address, and the agency's. The read of the
    applicant's data is written to their data-usage log."""
    key = parse_uuid(dossier_id)
    dossier = (
        Dossier.objects.select_related("applicant", "agency").filter(pk=key).first()
        if key
        else None
    )
    if dossier is None or dossier.agency is None or not dossier.receipt_code:
        raise not_found()
    person, agency = dossier.applicant, dossier.agency
    identity.data_usage_record(
        person_id=person.pk,
        client_id=PLATFORM_CLIENT,
        client_name=f"{PLATFORM_NAME}: {agency.name}",
        fields=["full_name", "phone", "address"],
        purpose=_("Sending the result of “%(name)s” by post")
        % {"name": procedure_of(dossier).name.vi},
        person=person,
    )
    return ResultDelivery(
        reference=dossier.receipt_code,
        recipient_name=person.full_name,
        recipient_phone=person.phone,
        recipient_street=person.street,
        recipient_ward_code=person.commune_code,
        sender_name=agency.name,
        # A province-level agency has no ward of its own in the register: its results
        # leave from the post office of the applicant's ward (documented limitation).
        sender_ward_code=agency.commune_code or person.commune_code,
    )
