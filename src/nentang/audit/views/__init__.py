"""The audit context's HTTP pages (HTML and plain files; the JSON API is ``api.py``):

* ``tlog`` — the transparency log served as C2SP tlog-tiles (/audit/…);
* ``soc`` and ``soc_register`` — the security operations pages (/soc/): alerts, security
  events, the audit-log browser, the system register.

Each view parses, calls a service or selector of the audit context (which checks the
operator's permission again) and renders a design-system page.
"""
