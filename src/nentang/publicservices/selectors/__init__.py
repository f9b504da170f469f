"""Read operations of the publicservices context, with their permission checks (no BOLA):
an applicant sees their own dossiers, an officer their agency's; every read of a
person's data by someone else — or by the platform to pre-fill a form — is logged for
that person (identity's data-usage log)."""

from nentang.publicservices.selectors.catalogue import (
    agencies_for,
    procedure_get,
    procedure_list,
)
from nentang.publicservices.selectors.dossiers import (
    QUEUE_ORDER,
    SlaBadge,
    dossier_for_applicant,
    dossier_for_officer,
    dossier_public_status,
    dossier_timeline,
    dossiers_of_applicant,
    form_prefill,
    officer_queue,
    sla_badge,
)
from nentang.publicservices.selectors.seams import ResultDelivery, dossier_result_delivery
from nentang.publicservices.selectors.statistics import Row, service_statistics

__all__ = [
    "QUEUE_ORDER",
    "ResultDelivery",
    "Row",
    "SlaBadge",
    "agencies_for",
    "dossier_for_applicant",
    "dossier_for_officer",
    "dossier_public_status",
    "dossier_result_delivery",
    "dossier_timeline",
    "dossiers_of_applicant",
    "form_prefill",
    "officer_queue",
    "procedure_get",
    "procedure_list",
    "service_statistics",
    "sla_badge",
]
