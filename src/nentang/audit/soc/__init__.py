"""The SOC pages (/soc/): alerts, security events, the audit-log browser, the system
register. HTML only: each view parses, calls a service or selector of the audit context
(which checks the operator's permission again) and renders a design-system page."""
