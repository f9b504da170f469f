"""Protocol endpoints and pages of the OpenID provider (routed by oidc/urls.py)."""
