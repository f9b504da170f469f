"""Problem codes of the audit context (see kernel/errors/registry.py)."""

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

# --- security monitoring (SOC): alerts, system register, exports ---------------------

AUDIT_PERMISSION_REQUIRED = register(
    "audit_permission_required",
    status=403,
    title=_("Security operator permission required"),
    meaning=_(
        "Security monitoring is open only to active staff accounts that hold the "
        "permission named in the message."
    ),
    advice=_("Ask the administrator of this installation to grant the permission."),
)
ALERT_NOT_FOUND = register(
    "alert_not_found",
    status=404,
    title=_("Alert not found"),
    meaning=_("No security alert has this id."),
    advice=_("Open the list of alerts and choose one from there."),
)
ALERT_TRANSITION_NOT_ALLOWED = register(
    "alert_transition_not_allowed",
    status=409,
    title=_("Alert cannot move to this state"),
    meaning=_(
        "Alerts move from open to acknowledged to resolved, and a resolved alert stays "
        "resolved. The alert is already in a state from which this step is not possible."
    ),
    advice=_("Reload the alert to see its current state. Nothing was changed."),
)
SYSTEM_NOT_FOUND = register(
    "system_not_found",
    status=404,
    title=_("System not found"),
    meaning=_("No information system in the register has this code."),
    advice=_("Open the system register and choose a system from there."),
)
SYSTEM_CODE_TAKEN = register(
    "system_code_taken",
    status=409,
    title=_("System code already used"),
    meaning=_("Another system in the register already has this code."),
    advice=_("Choose a different code, or edit the existing system."),
)

# --- transparency log: entries, proofs (tlog) ----------------------------------------

AUDIT_ENTRY_NOT_FOUND = register(
    "audit_entry_not_found",
    status=404,
    title=_("Audit log entry not found"),
    meaning=_(
        "The audit log has no entry at this index yet: indices start at 0 and stop one "
        "below the size of the log."
    ),
    advice=_("Read the current size at /api/v1/audit/tree and ask for a smaller index."),
)
AUDIT_TREE_SIZE_TOO_LARGE = register(
    "audit_tree_size_too_large",
    status=400,
    title=_("Tree size larger than the audit log"),
    meaning=_("The tree size asked for is larger than the number of entries in the log."),
    advice=_(
        "Use the size of a signed checkpoint (/audit/checkpoint) or a smaller size. "
        "Nothing was changed."
    ),
)
AUDIT_INDEX_OUT_OF_RANGE = register(
    "audit_index_out_of_range",
    status=400,
    title=_("Index outside the tree"),
    meaning=_("An inclusion proof needs an index smaller than the tree size it is proved against."),
    advice=_("Ask for a tree size larger than the index, or check the index. Nothing was changed."),
)
AUDIT_CONSISTENCY_SIZES = register(
    "audit_consistency_sizes",
    status=400,
    title=_("Tree sizes in the wrong order"),
    meaning=_(
        "A consistency proof shows that an older tree is a prefix of a newer one, so the "
        "first size cannot be larger than the second."
    ),
    advice=_("Give the smaller (older) size as first and the larger as second."),
)
