"""Read operations of the identity context. A person reads only their own data; officers
read other people's through ``services.person_find_by_id_number``, which logs the read.
"""

from nentang.identity.selectors.clients import (
    MachineCaller,
    PersonCaller,
    client_exists,
    machine_token,
    person_token_caller,
)
from nentang.identity.selectors.people import (
    DATA_USAGE_ORDER,
    account_lock_history,
    agency_get,
    agency_list,
    agency_officers,
    data_usage_for,
    officer_for_account,
    organisation_for_account,
    organisations_represented,
    person_by_id,
    person_for_account,
    person_own,
    person_verifications,
    person_wards,
    registration_statistics,
    session_list,
)

__all__ = [
    "DATA_USAGE_ORDER",
    "MachineCaller",
    "PersonCaller",
    "account_lock_history",
    "agency_get",
    "agency_list",
    "agency_officers",
    "client_exists",
    "data_usage_for",
    "machine_token",
    "officer_for_account",
    "organisation_for_account",
    "organisations_represented",
    "person_by_id",
    "person_for_account",
    "person_own",
    "person_token_caller",
    "person_verifications",
    "person_wards",
    "registration_statistics",
    "session_list",
]
