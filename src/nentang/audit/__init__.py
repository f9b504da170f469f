"""Tamper-evident audit log (RFC 6962/9162 transparency log) and security monitoring."""
