"""Problem codes of the OpenID Connect provider's own APIs and pages (see
kernel/errors/registry.py). The OAuth endpoints themselves answer in the RFC 6749 /
RFC 6750 error format that OAuth clients expect, not problem+json."""

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

CONSENT_NOT_FOUND = register(
    "consent_not_found",
    status=404,
    title=_("Consent not found"),
    meaning=_("You have no active consent with this id: it was withdrawn already or is not yours."),
    advice=_("Open the list of your consents and choose one of those shown."),
)
INVALID_TOKEN = register(
    "invalid_token",
    status=401,
    title=_("Invalid access token"),
    meaning=_(
        "The bearer access token is missing, unknown, expired or revoked, or its account is locked."
    ),
    advice=_("Obtain a new access token from the token endpoint and send it as Bearer."),
)
INSUFFICIENT_SCOPE = register(
    "insufficient_scope",
    status=403,
    title=_("Insufficient scope"),
    meaning=_("The access token is valid but was not granted the scope this operation needs."),
    advice=_("Ask for the scope named in the WWW-Authenticate header when you obtain the token."),
)
