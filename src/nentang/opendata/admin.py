"""Django admin of the opendata context (operators' tools; every change is audited by
the audit context's admin hook)."""
