"""Tables of the identity context.

* accounts.py — login accounts (the Django user model), lock history, sessions, factors;
* people.py — persons, level-2 verifications, guardianship;
* organisations.py — organisations and their legal representatives;
* agencies.py — agencies and officers with roles;
* usage.py — the personal-data usage log shown to each person.
"""

from nentang.identity.models.accounts import (
    Account,
    AccountLockEvent,
    AccountSession,
    Passkey,
    TotpDevice,
)
from nentang.identity.models.agencies import Agency, Officer
from nentang.identity.models.organisations import Organisation
from nentang.identity.models.people import LevelVerification, Person
from nentang.identity.models.usage import DataUsage

__all__ = [
    "Account",
    "AccountLockEvent",
    "AccountSession",
    "Agency",
    "DataUsage",
    "LevelVerification",
    "Officer",
    "Organisation",
    "Passkey",
    "Person",
    "TotpDevice",
]
