"""Django admin of the smartcity context (operators' tools; every change is audited by
the audit context's admin hook)."""
