"""What a client learns about a person: the subject identifier, the assurance level
(``acr``) and the claims of the granted scopes.

Subject identifiers are **pairwise** by default (OpenID Connect Core, section 8.1): the
``sub`` a client sees is an HMAC of its sector and the account id under a secret of this
installation, so two services cannot correlate a person by ``sub``. Clients marked
internal (services of this platform) receive the public subject, the account id.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from typing import Any

from nentang.identity.models import Account, Person
from nentang.identity.oidc.keys import pairwise_secret
from nentang.identity.oidc.scopes import claims_of

ACR_LEVEL1 = "urn:nentang:acr:level1"
ACR_LEVEL2 = "urn:nentang:acr:level2"
ACR_VALUES = (ACR_LEVEL1, ACR_LEVEL2)
LEVEL_OF_ACR = {ACR_LEVEL1: 1, ACR_LEVEL2: 2}
ACR_OF_LEVEL = {1: ACR_LEVEL1, 2: ACR_LEVEL2}


def subject(*, account_id: Any, client_id: str, internal: bool, sector: str = "") -> str:
    """The ``sub`` of ``account_id`` for this client (pairwise unless internal)."""
    if internal:
        return str(account_id)
    message = f"{sector or client_id}\x00{account_id}".encode()
    digest = hmac.new(pairwise_secret(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def person_of(account: Account) -> Person | None:
    try:
        return account.person
    except Person.DoesNotExist:
        return None


def level_of(account: Account) -> int:
    """The e-ID level of the account's person; accounts without a person count as 1."""
    person = person_of(account)
    return int(person.level) if person is not None else 1


def split_name(full_name: str) -> tuple[str, str, str]:
    """Vietnamese order: family name first, given name last, middle names between."""
    words = full_name.split()
    if not words:
        return "", "", ""
    if len(words) == 1:
        return "", "", words[0]
    return words[0], " ".join(words[1:-1]), words[-1]


def _address(person: Person) -> dict[str, str]:
    from nentang.addresses.selectors import commune_get
    from nentang.kernel.errors import ProblemError

    parts: dict[str, str] = {"street_address": person.street, "country": "VN"}
    try:
        commune = commune_get(code=person.commune_code)
    except ProblemError:
        commune = None
    if commune is not None:
        parts["locality"] = commune.name
        parts["region"] = commune.province.full_name
    formatted = [person.street, parts.get("locality", ""), parts.get("region", ""), "Việt Nam"]
    parts["formatted"] = ", ".join(item for item in formatted if item)
    return parts


def person_claims(account: Account, scopes: list[str] | set[str]) -> dict[str, Any]:
    """The claims of ``scopes`` that the person has a value for (empty ones are left out)."""
    wanted = set(claims_of(list(scopes))) - {"sub", "acr"}
    person = person_of(account)
    if person is None or not wanted:
        return {}
    family, middle, given = split_name(person.full_name)
    values: dict[str, Any] = {}
    if "name" in wanted:
        values["name"] = person.full_name
    if "family_name" in wanted and family:
        values["family_name"] = family
    if "middle_name" in wanted and middle:
        values["middle_name"] = middle
    if "given_name" in wanted and given:
        values["given_name"] = given
    if "birthdate" in wanted:
        values["birthdate"] = person.date_of_birth.isoformat()
    if "gender" in wanted:
        values["gender"] = person.sex
    if "email" in wanted and person.email:
        values["email"] = person.email
    if "phone_number" in wanted and person.phone:
        values["phone_number"] = person.phone
    if "address" in wanted and person.street:
        values["address"] = _address(person)
    if "vn_id" in wanted:
        values["vn_id"] = person.id_number
    return values
