"""Django admin of the publicservices context (operators' tools; every change is audited by
the audit context's admin hook)."""
