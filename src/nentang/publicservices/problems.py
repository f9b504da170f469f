"""Problem codes of the publicservices context (see kernel/errors/registry.py): each code a
service raises is registered here with its status, title, meaning and advice."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

PROCEDURE_NOT_FOUND = register(
    "procedure_not_found",
    status=404,
    title=_("Procedure not found"),
    meaning=_("No procedure in force in the catalogue has this id."),
    advice=_("List the catalogue and use the id of one of its procedures."),
)
DOSSIER_NOT_FOUND = register(
    "dossier_not_found",
    status=404,
    title=_("Dossier not found"),
    meaning=_("No dossier you may see has this id or receipt code."),
    advice=_("Check the id; applicants see their own dossiers, officers their agency's."),
)
ACTION_NOT_ALLOWED = register(
    "action_not_allowed",
    status=409,
    title=_("Action not allowed in this state"),
    meaning=_("The dossier's workflow does not allow this action in its current state."),
    advice=_("Read the dossier's state and its allowed actions, then choose one of them."),
)
STEP_ROLE_REQUIRED = register(
    "dossier_step_role_required",
    status=403,
    title=_("This step needs another role"),
    meaning=_("Only an officer of the dossier's agency with the role of its step may act."),
    advice=_("Ask a colleague with the right role (reception, processing or approval)."),
)
EID_LEVEL_TOO_LOW = register(
    "eid_level_too_low",
    status=403,
    title=_("Level-2 electronic identification needed"),
    meaning=_(
        "This procedure needs a level-2 e-ID account (Decree 69/2024/NĐ-CP); yours is level 1."
    ),
    advice=_(
        "Bring your citizen identity card to the police of your ward or commune to have "
        "your account verified to level 2, then apply again."
    ),
)
APPLICANT_NOT_ALLOWED = register(
    "applicant_not_allowed",
    status=403,
    title=_("You may not apply for this procedure"),
    meaning=_("This procedure is for other applicants (a person, an organisation, a guardian)."),
    advice=_("Sign in with the account of someone who may apply."),
)
AGENCY_NOT_RECEIVING = register(
    "agency_not_receiving",
    status=422,
    title=_("This agency does not receive this procedure"),
    meaning=_("The agency has no one-stop-shop unit, or it is not at this procedure's level."),
    advice=_("Choose one of the agencies listed for the procedure."),
)
SUPPLEMENT_LIMIT_REACHED = register(
    "supplement_limit_reached",
    status=409,
    title=_("Supplementation was already requested"),
    meaning=_(
        "The one-stop-shop rules allow a single request for supplementation (Decree "
        "61/2018/NĐ-CP); this dossier already had it."
    ),
    advice=_("Receive the dossier, or refuse it with the reasons."),
)
RECEIPT_SEQUENCE_EXHAUSTED = register(
    "receipt_sequence_exhausted",
    status=409,
    title=_("No receipt number left today"),
    meaning=_("This unit has given 9,999 receipt codes today, the most the format allows."),
    advice=_("Receive the dossier on the next working day."),
)
INVALID_UNIT_CODE = register(
    "invalid_unit_code",
    status=422,
    title=_("Invalid unit identifier"),
    meaning=_("A receiving unit's identifier is V1V2V3.Z1Z2.Y1Y2.MX1X2, e.g. 000.31.29.H29."),
    advice=_("Take the identifier from the province's list of electronic document units."),
)
FEE_MISMATCH = register(
    "fee_mismatch",
    status=409,
    title=_("The amount paid is not the fee"),
    meaning=_("The amount of this payment differs from the fee the dossier waits for."),
    advice=_("Pay exactly the fee that was requested."),
)
FEE_PAYMENT_UNAVAILABLE = register(
    "fee_payment_unavailable",
    status=409,
    title=_("Online payment is not available"),
    meaning=_("This installation takes no fee payments online."),
    advice=_("Pay the fee at the one-stop shop of the agency that received the dossier."),
)
DOCUMENTS_MISSING = register(
    "dossier_documents_missing",
    status=422,
    title=_("Required documents are missing"),
    meaning=_(
        "The procedure requires documents that the dossier does not have (Decree "
        "61/2018/NĐ-CP: a dossier is received only when complete)."
    ),
    advice=_(
        "Attach each document named in the errors (or reuse your earlier file where the "
        "procedure allows it), then submit again."
    ),
)
DOSSIER_HANDED_OFF = register(
    "dossier_handed_off",
    status=403,
    title=_("The dossier is with another agency"),
    meaning=_(
        "The dossier was handed off to another agency (interconnected procedure): your "
        "agency keeps read-only access to its history."
    ),
    advice=_("The agency now working on the dossier acts on it; follow it on its timeline."),
)
HANDOFF_AGENCY_MISSING = register(
    "handoff_agency_missing",
    status=409,
    title=_("No agency to hand the dossier off to"),
    meaning=_(
        "The next step is performed by another agency, and no active agency of that kind "
        "and level serves the dossier's place."
    ),
    advice=_("Ask the administrator to register that agency, then hand the dossier off."),
)
