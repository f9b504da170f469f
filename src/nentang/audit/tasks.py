"""Background tasks of the audit context. Thin: each calls services.

Run them with ``nentang worker`` (queue ``default``).
"""

from __future__ import annotations

from django_tasks import task

from nentang.audit.services.tlog import checkpoint_schedule, checkpoint_sign, integrate_pending

AUDIT_QUEUE = "default"


@task(queue_name=AUDIT_QUEUE)
def integrate_entries() -> dict[str, int]:
    """Integrate every queued audit entry into the tree, then make sure a checkpoint
    follows within the configured interval."""
    integrated = integrate_pending()
    if integrated:
        checkpoint_schedule()
    return {"integrated": integrated}


@task(queue_name=AUDIT_QUEUE)
def sign_checkpoint() -> dict[str, int | None]:
    """Sign a checkpoint if the tree grew since the last one."""
    checkpoint = checkpoint_sign(only_if_grown=True)
    return {"size": None if checkpoint is None else checkpoint.size}
