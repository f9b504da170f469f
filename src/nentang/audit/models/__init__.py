"""Tables of the audit context.

* entries.py — the audit entries themselves (append-only) and the queue the integrator
  drains;
* tlog.py — the transparency log derived from them: leaves, tiles, tree state,
  signed checkpoints, the entry counters;
* security.py — security events, detection rules, alerts, the system register.
"""

from nentang.audit.models.entries import AuditEntry, PendingEntry
from nentang.audit.models.security import (
    Alert,
    AlertEvidence,
    AlertTransition,
    DetectionRule,
    RetentionPolicy,
    SecurityEvent,
    System,
)
from nentang.audit.models.tlog import Checkpoint, EntryCounter, LogLeaf, Tile, TreeState

__all__ = [
    "Alert",
    "AlertEvidence",
    "AlertTransition",
    "AuditEntry",
    "Checkpoint",
    "DetectionRule",
    "EntryCounter",
    "LogLeaf",
    "PendingEntry",
    "RetentionPolicy",
    "SecurityEvent",
    "System",
    "Tile",
    "TreeState",
]
