"""Write operations of the publicservices context, by topic:

* receipts — ``receiving_unit_configure`` and the receipt codes of Circular 01/2018;
* applicants — ``dossier_draft_save``, ``dossier_submit``, ``dossier_resubmit``,
  ``dossier_withdraw``;
* officers — ``dossier_receive``, ``dossier_request_supplement``, ``dossier_process``,
  ``dossier_approve``, ``dossier_reject``, ``dossier_issue_result``,
  ``dossier_return_result``, ``dossier_assign``, ``dossier_comment``,
  ``dossier_hand_off`` (to the agency of the next step: liên thông),
  ``dossier_refuse_part`` (a partner refuses its part; the rest goes on);
* documents — ``dossier_document_upload`` (type by content, size limit),
  ``dossier_document_reuse`` (an earlier file, where the catalogue allows);
* results — the signed result made in ``dossier_approve`` and the receipt slip;
* seams — ``dossier_fee_paid`` (payments) and ``dossier_result_delivered`` (post).

Each function is keyword-only, takes the actor explicitly, checks its permission, is
its own transaction and writes its audit entry (and outbox event) inside it. The
dossier's log is appended by ``common.record``, the one place the engine is applied.
"""

from nentang.publicservices.services.applicants import (
    dossier_draft_save,
    dossier_resubmit,
    dossier_submit,
    dossier_withdraw,
)
from nentang.publicservices.services.documents import (
    DocumentUpload,
    dossier_document_reuse,
    dossier_document_upload,
)
from nentang.publicservices.services.fees import (
    FeeCollector,
    dossier_fee_pay,
    fee_collector_install,
    fee_online_payment_available,
)
from nentang.publicservices.services.officers import (
    dossier_apologise,
    dossier_approve,
    dossier_assign,
    dossier_comment,
    dossier_hand_off,
    dossier_issue_result,
    dossier_process,
    dossier_receive,
    dossier_refuse_part,
    dossier_reject,
    dossier_request_supplement,
    dossier_result_revoke,
    dossier_return_result,
)
from nentang.publicservices.services.receipts import (
    RECEIPT_CODE,
    receipt_code_allocate,
    receiving_unit_configure,
)
from nentang.publicservices.services.seams import dossier_fee_paid, dossier_result_delivered
from nentang.publicservices.services.statistics import statistics_rebuild

__all__ = [
    "RECEIPT_CODE",
    "DocumentUpload",
    "FeeCollector",
    "dossier_apologise",
    "dossier_approve",
    "dossier_assign",
    "dossier_comment",
    "dossier_document_reuse",
    "dossier_document_upload",
    "dossier_draft_save",
    "dossier_fee_paid",
    "dossier_fee_pay",
    "dossier_hand_off",
    "dossier_issue_result",
    "dossier_process",
    "dossier_receive",
    "dossier_refuse_part",
    "dossier_reject",
    "dossier_request_supplement",
    "dossier_resubmit",
    "dossier_result_delivered",
    "dossier_result_revoke",
    "dossier_return_result",
    "dossier_submit",
    "dossier_withdraw",
    "fee_collector_install",
    "fee_online_payment_available",
    "receipt_code_allocate",
    "receiving_unit_configure",
    "statistics_rebuild",
]
