"""Security notices to the person: an SMS to the phone on record and an e-mail when
there is an address (ASVS 5.0 V6.3.7: users are told of changes to their
authentication and of suspicious logins).

The SMS goes through the identity context's SMS port (``services.sms``), the e-mail
through Django's mail backend (console or file in the demo), both only after the
change commits: a rolled-back change tells nobody. The text never carries a code or
a link — a notice that looks like a phishing message would teach the wrong habit —
only what happened, when, and where to turn when it was not the person.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from nentang.identity.models import Account, Person
from nentang.identity.services.sms import sms_sender

logger = logging.getLogger("nentang.identity.notices")

KINDS = (
    "new_sign_in",
    "password_recovered",
    "second_factor_added",
    "second_factor_removed",
    "passkey_added",
    "passkey_removed",
    "backup_codes_made",
    "backup_code_used",
    "account_locked",
    "account_unlocked",
)


def _what(kind: str) -> str:
    texts = {
        "new_sign_in": _("a login from a device or network not used before"),
        "password_recovered": _("the password was reset online and every session ended"),
        "second_factor_added": _("an authenticator app was turned on"),
        "second_factor_removed": _("the authenticator app was turned off"),
        "passkey_added": _("a passkey was added"),
        "passkey_removed": _("a passkey was removed"),
        "backup_codes_made": _("new backup codes were made (the old ones stopped working)"),
        "backup_code_used": _("a backup code was used to log in"),
        "account_locked": _("the e-ID was locked"),
        "account_unlocked": _("the e-ID was unlocked"),
    }
    return texts[kind]


def _text(kind: str, at: datetime) -> str:
    when = formats.date_format(timezone.localtime(at), "d/m/Y H:i")
    return _(
        "nentang e-ID, %(when)s: %(what)s. If this was not you, call the hotline or go to "
        "the police of your ward or commune at once."
    ) % {"when": when, "what": _what(kind)}


def security_notice(*, account: Account, kind: str, at: datetime | None = None) -> None:
    """Tell the holder of ``account`` that ``kind`` (one of :data:`KINDS`) happened.
    Sent after the surrounding transaction commits; only persons have contacts on
    record (staff are told by their agency's own channels)."""
    assert kind in KINDS, kind
    person = Person.objects.filter(account=account).only("phone", "email").first()
    if person is None or not (person.phone or person.email):
        return
    with translation.override(settings.LANGUAGE_CODE):
        text = _text(kind, at or timezone.now())
        subject = _("nentang e-ID: security notice")
    phone, email = person.phone, person.email

    def send() -> None:
        if phone:
            try:
                sms_sender().send(to=phone, text=text)
            except Exception:  # a gateway outage must not undo the change that happened
                logger.exception("security notice SMS failed")
        if email:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=True)

    transaction.on_commit(send, robust=True)


def contact_changed_notice(
    *, kind: str, new_masked: str, old_phone: str, old_email: str, at: datetime
) -> None:
    """Tell the holder at the contacts they had *before* a change of ``kind`` (``phone``
    or ``email``) that it happened: an SMS to the old phone and an e-mail to the old
    address, after commit. The new contact is shown masked; the text says what to do
    when it was not the person (the old contact is the one an intruder does not hold)."""
    with translation.override(settings.LANGUAGE_CODE):
        when = formats.date_format(timezone.localtime(at), "d/m/Y H:i")
        if kind == "phone":
            what = _("the mobile phone of your e-ID was changed to %(new)s") % {"new": new_masked}
        else:
            what = _("the e-mail of your e-ID was changed to %(new)s") % {"new": new_masked}
        text = _(
            "nentang e-ID, %(when)s: %(what)s. If this was not you, log in, change your "
            "password and sign out everywhere; to lock your e-ID, call the hotline or go "
            "to the police of your ward or commune at once."
        ) % {"when": when, "what": what}
        subject = _("nentang e-ID: security notice")

    def send() -> None:
        if old_phone:
            try:
                sms_sender().send(to=old_phone, text=text)
            except Exception:  # a gateway outage must not undo the change that happened
                logger.exception("contact change notice SMS failed")
        if old_email:
            send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, [old_email], fail_silently=True)

    transaction.on_commit(send, robust=True)
