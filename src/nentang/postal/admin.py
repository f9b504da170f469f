"""Django admin of the postal context (operators' tools; every change is audited by
the audit context's admin hook)."""
