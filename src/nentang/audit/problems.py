"""Problem codes of the audit context (see kernel/errors/registry.py)."""
