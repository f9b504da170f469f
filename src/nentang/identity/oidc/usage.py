"""Every release of a person's data to a client (ID token, userinfo) is written to the
person's data-usage log through the identity core's ``data_usage_record``, in the
caller's transaction, naming the person's fields that the released claims carry."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from nentang.identity.oidc.claims import person_of
from nentang.identity.services.usage import data_usage_record
from nentang.kernel.observability.context import current_request_id

# Claim → the person's field it carries (identity.services.usage.PERSON_FIELDS).
FIELD_OF_CLAIM = {
    "name": "full_name",
    "family_name": "full_name",
    "middle_name": "full_name",
    "given_name": "full_name",
    "birthdate": "date_of_birth",
    "gender": "sex",
    "email": "email",
    "phone_number": "phone",
    "address": "address",
    "vn_id": "id_number",
    "acr": "level",
}


def fields_of(claims: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(FIELD_OF_CLAIM[c] for c in claims if c in FIELD_OF_CLAIM))


def release_record(*, account: Any, application: Any, claims: Iterable[str], purpose: str) -> None:
    """Log that ``application`` received ``claims`` of the account's person (no-op for
    accounts without a person, such as staff accounts)."""
    person = person_of(account)
    fields = fields_of(claims)
    if person is None or not fields:
        return
    data_usage_record(
        person=person,
        person_id=person.pk,
        client_id=application.client_id[:100],
        client_name=application.name or application.client_id,
        fields=fields,
        purpose=purpose or application.name or application.client_id,
        request_id=current_request_id() or "",
    )
