"""The scopes the provider knows, what each releases, and which a client may ask for.

Person scopes release claims about the person (each shown on the consent page by its
label); API scopes let a token call our own APIs. A client may ask only for the scopes
its policy lists (``ClientPolicy.scopes``); ``openid`` is implied for clients of the
authorization-code grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Scope:
    name: str
    description: str | Promise
    # Claims this scope releases about the person, with their consent-page labels.
    claims: tuple[tuple[str, str | Promise], ...] = ()
    # True for scopes of the person's data (authorization-code clients only).
    personal: bool = True


SCOPES: dict[str, Scope] = {
    scope.name: scope
    for scope in (
        Scope(
            "openid",
            _("Log you in with your e-ID"),
            (
                ("sub", _("An identifier of your account for this service")),
                ("acr", _("Your e-ID level")),
            ),
        ),
        Scope(
            "profile",
            _("Your name, date of birth and sex"),
            (
                ("name", _("Full name")),
                ("family_name", _("Family name")),
                ("middle_name", _("Middle name")),
                ("given_name", _("Given name")),
                ("birthdate", _("Date of birth")),
                ("gender", _("Sex")),
            ),
        ),
        Scope("email", _("Your e-mail address"), (("email", _("E-mail address")),)),
        Scope("phone", _("Your mobile phone number"), (("phone_number", _("Mobile phone")),)),
        Scope("address", _("Your residence address"), (("address", _("Residence address")),)),
        Scope(
            "vn_id",
            _("Your personal identification number"),
            (("vn_id", _("Personal identification number (12 digits)")),),
        ),
        Scope(
            "introspection",
            _("Check tokens presented to this service (RFC 7662)"),
            personal=False,
        ),
        Scope("postal", _("Ship and track parcels (postal merchant API)"), personal=False),
        Scope(
            "publicservices",
            _("Submit and follow your public-service dossiers"),
            personal=False,
        ),
        Scope("postal.scan", _("Record scans of a sorting centre (postal)"), personal=False),
        Scope("smartcity", _("Read and send city sensor data (NGSI-LD)"), personal=False),
        Scope(
            "smartcity.reports",
            _("Send and follow your reports of problems in the city"),
            personal=False,
        ),
        Scope("payments", _("Move money between wallets and accounts (payments)"), personal=False),
    )
}

PERSONAL_SCOPES = tuple(name for name, scope in SCOPES.items() if scope.personal)
# Claims the provider can release, for discovery (plus the protocol claims).
CLAIMS = tuple(dict.fromkeys(claim for scope in SCOPES.values() for claim, _label in scope.claims))


def claims_of(scopes: list[str] | tuple[str, ...] | set[str]) -> list[str]:
    """The person's claims released by ``scopes``, in the registry's order."""
    wanted = set(scopes)
    return [
        claim for name, scope in SCOPES.items() if name in wanted for claim, _label in scope.claims
    ]


def allowed_scopes(application: Any) -> list[str]:
    """The scopes this client may ask for (its policy's, known ones only)."""
    policy = getattr(application, "nentang_policy", None)
    listed = list(policy.scopes) if policy is not None else ["openid"]
    return [name for name in listed if name in SCOPES]


class ScopesBackend:
    """django-oauth-toolkit's scopes backend, answered from the registry and policies."""

    def get_all_scopes(self) -> dict[str, str]:
        return {name: str(scope.description) for name, scope in SCOPES.items()}

    def get_available_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        if application is None:
            return list(SCOPES)
        return allowed_scopes(application)

    def get_default_scopes(
        self, application: Any = None, request: Any = None, *args: Any, **kwargs: Any
    ) -> list[str]:
        if application is None:
            return ["openid"]
        allowed = allowed_scopes(application)
        if getattr(application, "authorization_grant_type", "") == "client-credentials":
            return allowed
        return ["openid"] if "openid" in allowed else []
