"""Django admin of the payments context (operators' tools; every change is audited by
the audit context's admin hook)."""
