"""Read operations of the publicservices context, with their permission checks (no BOLA):
an applicant sees their own dossiers, an officer their agency's; every read of a
person's data by someone else — or by the platform to pre-fill a form — is logged for
that person (identity's data-usage log)."""

from nentang.publicservices.selectors.catalogue import (
    agencies_for,
    procedure_get,
    procedure_list,
)
from nentang.publicservices.selectors.documents import (
    DocumentSlot,
    dossier_document_open,
    dossier_documents,
    dossier_documents_with_reuse,
)
from nentang.publicservices.selectors.dossiers import (
    QUEUE_ORDER,
    QUEUE_SORTS,
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
from nentang.publicservices.selectors.results import (
    ResultCheck,
    dossier_apology,
    dossier_apology_pdf,
    dossier_has_result,
    dossier_partner_result_pdf,
    dossier_partner_results,
    dossier_receipt_pdf,
    dossier_result_pdf,
    result_status,
    result_verify,
)
from nentang.publicservices.selectors.seams import ResultDelivery, dossier_result_delivery
from nentang.publicservices.selectors.statistics import (
    Measure,
    Row,
    service_statistics,
    statistics_by_month,
    statistics_measures,
    statistics_recount,
)

__all__ = [
    "QUEUE_ORDER",
    "QUEUE_SORTS",
    "DocumentSlot",
    "Measure",
    "ResultCheck",
    "ResultDelivery",
    "Row",
    "SlaBadge",
    "agencies_for",
    "dossier_apology",
    "dossier_apology_pdf",
    "dossier_document_open",
    "dossier_documents",
    "dossier_documents_with_reuse",
    "dossier_for_applicant",
    "dossier_for_officer",
    "dossier_has_result",
    "dossier_partner_result_pdf",
    "dossier_partner_results",
    "dossier_public_status",
    "dossier_receipt_pdf",
    "dossier_result_delivery",
    "dossier_result_pdf",
    "dossier_timeline",
    "dossiers_of_applicant",
    "form_prefill",
    "officer_queue",
    "procedure_get",
    "procedure_list",
    "result_status",
    "result_verify",
    "service_statistics",
    "sla_badge",
    "statistics_by_month",
    "statistics_measures",
    "statistics_recount",
]
