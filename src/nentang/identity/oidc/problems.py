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
CLIENT_NOT_FOUND = register(
    "client_not_found",
    status=404,
    title=_("Client not found"),
    meaning=_("Your organisation has no client with this id."),
    advice=_("Open the integrators' portal and choose one of your organisation's clients."),
)
ORGANISATION_ACCOUNT_REQUIRED = register(
    "organisation_account_required",
    status=403,
    title=_("Organisation e-ID required"),
    meaning=_("Clients are registered by organisations, logged in with their organisation e-ID."),
    advice=_("Log in with your organisation's e-ID (its tax code and password)."),
)
CLIENT_LIMIT_REACHED = register(
    "client_limit_reached",
    status=409,
    title=_("Too many clients"),
    meaning=_("An organisation may register a limited number of clients."),
    advice=_("Remove clients you no longer use, or ask the platform's operator."),
)
CLIENT_HAS_NO_SECRET = register(
    "client_has_no_secret",
    status=409,
    title=_("This client has no secret"),
    meaning=_("Public clients and clients that sign with their own keys have no secret."),
    advice=_("Rotate the keys you publish at your JWKS URI instead."),
)
