"""Tables of the identity context.

* accounts.py — login accounts (the Django user model), lock history, failed logins,
  sessions, factors;
* people.py — persons, level-2 verifications, guardianship;
* organisations.py — organisations and their legal representatives;
* agencies.py — agencies and officers with roles;
* recovery.py — online account recovery requests and backup codes;
* contacts.py — the holder's online changes of phone and e-mail;
* crossdevice.py — logins approved from a phone by QR code;
* usage.py — the personal-data usage log shown to each person;
* responses.py — security operators' responses to alerts (blocked addresses);
* oidc.py — the OpenID Connect provider: client policies, consents, authorizations.
"""

from nentang.identity.models.accounts import (
    Account,
    AccountLockEvent,
    AccountSession,
    LoginFailure,
    LoginThrottle,
    Passkey,
    TotpDevice,
)
from nentang.identity.models.agencies import Agency, Officer
from nentang.identity.models.contacts import ContactChange
from nentang.identity.models.crossdevice import CrossDeviceLogin
from nentang.identity.models.oidc import Authorization, ClientAssertionUse, ClientPolicy, Consent
from nentang.identity.models.organisations import Organisation
from nentang.identity.models.people import LevelVerification, PendingRegistration, Person
from nentang.identity.models.recovery import AccountRecovery, BackupCode
from nentang.identity.models.responses import AddressBlock
from nentang.identity.models.usage import DataUsage

__all__ = [
    "Account",
    "AccountLockEvent",
    "AccountRecovery",
    "AccountSession",
    "AddressBlock",
    "Agency",
    "Authorization",
    "BackupCode",
    "ClientAssertionUse",
    "ClientPolicy",
    "Consent",
    "ContactChange",
    "CrossDeviceLogin",
    "DataUsage",
    "LevelVerification",
    "LoginFailure",
    "LoginThrottle",
    "Officer",
    "Organisation",
    "Passkey",
    "PendingRegistration",
    "Person",
    "TotpDevice",
]
