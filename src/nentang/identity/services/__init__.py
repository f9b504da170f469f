"""Write operations of the identity context, by topic:

* people — ``person_register`` (level 1, online), ``child_register`` (with evidence of the tie),
  ``child_register_at_birth`` (a newborn's personal ID number, by a civil-status officer),
  ``person_verify_level2`` (in person, by an enrolment officer);
* bulk — ``persons_import`` (many level-1 persons at once, one password hash);
* usage — ``person_find_by_id_number`` (an officer's logged read),
  ``data_usage_record`` (a release to a client service);
* accounts — ``account_lock`` / ``account_unlock`` with their history;
* responses — a security operator's ``address_block`` / ``account_lock_for_alert``
  (and their undoing) from an alert;
* organisations — ``organisation_register`` (tax code, level-2 legal representative);
* agencies — ``agency_create``, ``officer_create``, ``administrator_create``;
* login — ``login_authenticate`` with throttling and lockout (used by
  ``identity.auth.AccountBackend`` for every login);
* factors — TOTP (``totp_enrol`` / ``totp_confirm`` / ``totp_verify``) and the
  session's second-factor flag;
* sessions — ``session_start`` / ``session_touch`` / ``session_end`` /
  ``sessions_end_all`` and the ``revoker`` hook for tokens.

Each function is keyword-only, takes the acting account explicitly, checks its
permission, is its own transaction and writes its audit entry inside it.
"""

from nentang.identity.oidc.services import client_register
from nentang.identity.services.accounts import account_lock, account_unlock
from nentang.identity.services.agencies import (
    administrator_create,
    agency_create,
    officer_create,
)
from nentang.identity.services.births import birth_place_code, child_register_at_birth
from nentang.identity.services.bulk import PersonRecord, persons_import
from nentang.identity.services.children import child_register
from nentang.identity.services.factors import (
    TotpEnrolment,
    requires_second_factor,
    second_factor_mandatory,
    second_factor_mark,
    second_factor_removal_check,
    second_factor_require,
    second_factor_satisfied,
    totp_confirm,
    totp_enrol,
    totp_verify,
)
from nentang.identity.services.login import (
    LoginPolicy,
    LoginThrottled,
    login_authenticate,
)
from nentang.identity.services.organisations import organisation_register
from nentang.identity.services.people import (
    Residence,
    person_register,
    person_verify_level2,
)
from nentang.identity.services.responses import (
    BLOCK_HOURS,
    account_for_actor,
    account_lock_for_alert,
    account_unlock_for_alert,
    address_block,
    address_blocks_active,
    address_unblock,
)
from nentang.identity.services.sessions import (
    SIGNED_OUT_EVERYWHERE,
    revoker,
    session_end,
    session_mark_ended,
    session_start,
    session_touch,
    sessions_end_all,
)
from nentang.identity.services.usage import (
    OFFICER_READ_FIELDS,
    PERSON_FIELDS,
    data_usage_record,
    person_find_by_id_number,
    person_find_by_name,
)

__all__ = [
    "BLOCK_HOURS",
    "OFFICER_READ_FIELDS",
    "PERSON_FIELDS",
    "SIGNED_OUT_EVERYWHERE",
    "LoginPolicy",
    "LoginThrottled",
    "PersonRecord",
    "Residence",
    "TotpEnrolment",
    "account_for_actor",
    "account_lock",
    "account_lock_for_alert",
    "account_unlock",
    "account_unlock_for_alert",
    "address_block",
    "address_blocks_active",
    "address_unblock",
    "administrator_create",
    "agency_create",
    "birth_place_code",
    "child_register",
    "child_register_at_birth",
    "client_register",
    "data_usage_record",
    "login_authenticate",
    "officer_create",
    "organisation_register",
    "person_find_by_id_number",
    "person_find_by_name",
    "person_register",
    "person_verify_level2",
    "persons_import",
    "requires_second_factor",
    "revoker",
    "second_factor_mandatory",
    "second_factor_mark",
    "second_factor_removal_check",
    "second_factor_require",
    "second_factor_satisfied",
    "session_end",
    "session_mark_ended",
    "session_start",
    "session_touch",
    "sessions_end_all",
    "totp_confirm",
    "totp_enrol",
    "totp_verify",
]
