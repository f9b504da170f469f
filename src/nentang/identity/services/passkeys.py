"""Passkeys (WebAuthn Level 3, with Duo's py_webauthn): the phishing-resistant factor.

A passkey is bound to this platform's origin by the browser, so a look-alike site
cannot replay it: it counts as a second factor, and on its own replaces the password
and the authenticator code (NIST SP 800-63B §5.1.8 "phishing resistance", OWASP ASVS
5.0 V6.5). Rules:

* **Relying party**: the RP ID is the host of ``settings.BASE_URL`` and the only origin
  accepted is that URL's origin; a page served under another name cannot use them.
* **Challenges** are random, single-use, kept server-side in the session, and expire
  after ``CHALLENGE_TTL``; a ceremony without its challenge is refused.
* **User verification** (PIN, fingerprint, face) is required in both ceremonies.
* **Signature counter**: an assertion whose counter does not move forward (when the
  authenticator keeps one) is refused and reported as a likely cloned authenticator.
* A locked or disabled account cannot log in with a passkey either, and a throttled
  address is refused as for a password.

Each change is one transaction with its audit entry; each login attempt is a security
event (``auth.success`` / ``auth.failure``) like a password login.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any, NoReturn
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, Passkey, Person
from nentang.identity.problems import ACCOUNT_INACTIVE, ACCOUNT_LOCKED, PASSKEY_NOT_FOUND
from nentang.identity.services.common import Errors, actor_for
from nentang.identity.services.factors import second_factor_removal_check
from nentang.identity.services.login import (
    login_failure_record,
    login_refusal_if_throttled,
    login_success_record,
)
from nentang.identity.services.notices import security_notice
from nentang.identity.services.recovery import security_change_check
from nentang.identity.services.throttling import source_address
from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, Forbidden, NotFound, ValidationFailed
from nentang.kernel.text import clean

if TYPE_CHECKING:
    from webauthn.helpers.structs import PublicKeyCredentialDescriptor

# py_webauthn (with cbor2, pyasn1 and its attestation formats, ~0.5 s of a core) is
# imported inside the functions that use it: most processes never see a passkey.
CHALLENGE_TTL = 300  # seconds: the browser's own timeout is 60 s, people are slower
REGISTRATION_KEY = "identity.webauthn.registration"
AUTHENTICATION_KEY = "identity.webauthn.authentication"
MAX_PASSKEYS = 10
NAME_MAX = 100


def relying_party() -> tuple[str, str]:
    """(RP ID, origin): the host and the origin of ``settings.BASE_URL``."""
    parts = urlsplit(settings.BASE_URL)
    return parts.hostname or "localhost", f"{parts.scheme}://{parts.netloc}"


def _store_challenge(
    session: MutableMapping[str, Any], key: str, challenge: bytes, **extra: str
) -> None:
    from webauthn.helpers import bytes_to_base64url

    session[key] = {"challenge": bytes_to_base64url(challenge), "at": int(time.time()), **extra}


def _take_challenge(session: MutableMapping[str, Any], key: str) -> dict[str, Any] | None:
    """The stored challenge, removed (single use), or None when absent or expired."""
    stored = session.pop(key, None)
    if not isinstance(stored, dict) or not isinstance(stored.get("challenge"), str):
        return None
    if int(time.time()) - int(stored.get("at", 0)) > CHALLENGE_TTL:
        return None
    return stored


def _invalid(message: str) -> NoReturn:
    """422 with one field error on ``credential`` (the browser's answer)."""
    raise ValidationFailed(
        _("Some fields are invalid."),
        errors=[FieldError(field="credential", message=message, code="invalid_credential")],
    )


def _descriptors(passkeys: QuerySet[Passkey]) -> list[PublicKeyCredentialDescriptor]:
    from webauthn.helpers.structs import AuthenticatorTransport, PublicKeyCredentialDescriptor

    descriptors = []
    for passkey in passkeys:
        transports = []
        for name in passkey.transports or []:
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                continue
        descriptors.append(
            PublicKeyCredentialDescriptor(id=bytes(passkey.credential_id), transports=transports)
        )
    return descriptors


def passkeys_of(*, account: Account) -> QuerySet[Passkey]:
    """The account's passkeys, oldest first."""
    return Passkey.objects.filter(account=account).order_by("created_at", "id")


def passkey_registration_options(*, actor: Account, session: MutableMapping[str, Any]) -> str:
    """Start adding a passkey: the creation options (JSON for the browser), with a new
    challenge kept in ``session``. The passkey is discoverable (resident) so that it can
    log in without typing the ID number; the account's existing passkeys are excluded.
    Refused during the cooling-off period after an online recovery."""
    from webauthn import generate_registration_options, options_to_json
    from webauthn.helpers.structs import (
        AuthenticatorSelectionCriteria,
        ResidentKeyRequirement,
        UserVerificationRequirement,
    )

    security_change_check(actor)
    rp_id, _origin = relying_party()
    person = Person.objects.filter(account=actor).only("full_name").first()
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=_("nentang e-ID"),
        user_id=actor.pk.bytes,
        user_name=actor.username,
        user_display_name=person.full_name if person else actor.username,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        exclude_credentials=_descriptors(passkeys_of(account=actor)),
    )
    _store_challenge(session, REGISTRATION_KEY, options.challenge)
    return options_to_json(options)


def _name(errors: Errors, name: str, *, default: str) -> str:
    text = clean(name or "") or default
    if len(text) > NAME_MAX:
        errors.add("name", _("A passkey name is at most 100 characters."), "too_long")
    return text


def passkey_register(
    *,
    actor: Account,
    session: MutableMapping[str, Any],
    credential: str | dict[str, Any],
    name: str = "",
) -> Passkey:
    """Finish adding a passkey: check the browser's attestation response against the
    challenge of ``session``, this platform's RP ID and origin, with user verification;
    then store the credential's id and public key (never any biometric)."""
    from webauthn import verify_registration_response
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import InvalidJSONStructure, InvalidRegistrationResponse

    stored = _take_challenge(session, REGISTRATION_KEY)
    if stored is None:
        _invalid(_("The passkey request expired or was already used. Start again."))
    errors = Errors()
    label = _name(errors, name, default=_("Passkey"))
    errors.raise_if_any()
    rp_id, origin = relying_party()
    try:
        verified = verify_registration_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(stored["challenge"]),
            expected_rp_id=rp_id,
            expected_origin=origin,
            require_user_verification=True,
        )
    except (InvalidRegistrationResponse, InvalidJSONStructure, ValueError, KeyError, TypeError):
        _invalid(_("Your device's answer could not be checked. Nothing was saved; try again."))
    transports = _transports(credential)
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=actor.pk).first()
        existing = Passkey.objects.filter(account=actor).count()
        if existing >= MAX_PASSKEYS:
            _invalid(
                _("An account holds at most %(n)d passkeys. Remove one first.")
                % {"n": MAX_PASSKEYS}
            )
        if Passkey.objects.filter(credential_id=verified.credential_id).exists():
            _invalid(_("This passkey is registered already."))
        passkey = Passkey.objects.create(
            account=actor,
            credential_id=verified.credential_id,
            public_key=verified.credential_public_key,
            sign_count=verified.sign_count,
            transports=transports,
            name=label,
            created_at=timezone.now(),
        )
        auditing.record(
            actor=actor_for(actor),
            action="identity.passkey.register",
            subject_type="identity.account",
            subject=str(actor.pk),
            summary={
                "passkey": str(passkey.pk),
                "device_type": str(verified.credential_device_type),
            },
        )
        security_notice(account=actor, kind="passkey_added")
    return passkey


def _transports(credential: str | dict[str, Any]) -> list[str]:
    from webauthn.helpers.structs import AuthenticatorTransport

    try:
        data = json.loads(credential) if isinstance(credential, str) else credential
        values = data.get("response", {}).get("transports") or []
    except (ValueError, AttributeError):
        return []
    known = {item.value for item in AuthenticatorTransport}
    return [value for value in values if isinstance(value, str) and value in known][:8]


def passkey_authentication_options(
    *, session: MutableMapping[str, Any], account: Account | None = None
) -> str:
    """Start a passkey login: request options (JSON for the browser), with a new
    challenge kept in ``session``. Without ``account`` any passkey of this platform may
    answer (the browser lets the person choose); with it (the second step of a password
    login), only that account's passkeys."""
    from webauthn import generate_authentication_options, options_to_json
    from webauthn.helpers.structs import UserVerificationRequirement

    rp_id, _origin = relying_party()
    allowed = _descriptors(passkeys_of(account=account)) if account is not None else []
    options = generate_authentication_options(
        rp_id=rp_id,
        allow_credentials=allowed,
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    extra = {"account": str(account.pk)} if account is not None else {}
    _store_challenge(session, AUTHENTICATION_KEY, options.challenge, **extra)
    return options_to_json(options)


def _event(
    kind: str,
    *,
    outcome: str,
    severity: str,
    source_ip: str | None,
    account: Account | None,
    detail: dict[str, object],
) -> None:
    auditing.security_event(
        kind=kind,
        outcome=outcome,
        severity=severity,
        source_ip=source_ip,
        actor=actor_for(account) if account is not None else Actor.anonymous(),
        subject=f"account:{account.pk}" if account is not None else "",
        detail={"channel": "web", "method": "passkey", **detail},
    )


def _raw_id(credential: str | dict[str, Any]) -> bytes | None:
    from webauthn.helpers import base64url_to_bytes

    try:
        data = json.loads(credential) if isinstance(credential, str) else credential
        raw = data.get("rawId") or data.get("id")
        return base64url_to_bytes(raw) if isinstance(raw, str) and raw else None
    except (ValueError, AttributeError, TypeError):
        return None


def passkey_authenticate(
    *,
    session: MutableMapping[str, Any],
    credential: str | dict[str, Any],
    source_ip: str | None,
) -> Account:
    """Check a passkey assertion and return its account (log in, or second step).

    Refused, with a field error on ``credential`` and an ``auth.failure`` event: no
    challenge in the session (expired or replayed), an unknown credential, a passkey of
    another account than the one that typed its password, a bad signature, no user
    verification, a signature counter that did not move forward (a likely clone: high
    severity). A locked or disabled account is refused with 403 like a password login,
    a throttled address with 429.
    """
    from webauthn import verify_authentication_response
    from webauthn.helpers import base64url_to_bytes
    from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidJSONStructure

    address = source_address(source_ip)
    stored = _take_challenge(session, AUTHENTICATION_KEY)
    raw_id = _raw_id(credential)
    passkey = (
        Passkey.objects.select_related("account").filter(credential_id=raw_id).first()
        if raw_id
        else None
    )
    account = passkey.account if passkey is not None else None
    login_refusal_if_throttled(
        login=account.username if account else "",
        account=account,
        source_ip=address,
        channel="web",
    )

    def refuse(reason: str, message: str, *, severity: str = "low") -> NoReturn:
        login_failure_record(
            login=account.username if account else "",
            account=account,
            source_ip=address,
            channel="web",
            reason=f"passkey_{reason}",
        )
        if severity != "low":
            _event(
                "auth.failure",
                outcome="failure",
                severity=severity,
                source_ip=address,
                account=account,
                detail={"reason": f"passkey_{reason}"},
            )
        _invalid(message)

    if stored is None:
        refuse("no_challenge", _("The passkey request expired. Try again."))
    if passkey is None or account is None:
        refuse("unknown", _("This passkey is not registered for any account here."))
    expected = stored.get("account")
    if expected and expected != str(account.pk):
        refuse("other_account", _("This passkey belongs to another account."), severity="medium")
    rp_id, origin = relying_party()
    try:
        verified = verify_authentication_response(
            credential=credential,
            expected_challenge=base64url_to_bytes(stored["challenge"]),
            expected_rp_id=rp_id,
            expected_origin=origin,
            credential_public_key=bytes(passkey.public_key),
            credential_current_sign_count=passkey.sign_count,
            require_user_verification=True,
        )
    except InvalidAuthenticationResponse as error:
        if "sign count" in str(error):
            refuse(
                "sign_count",
                _("This passkey looks copied to another device and was refused."),
                severity="high",
            )
        refuse("invalid", _("Your device's answer could not be checked. Try again."))
    except (InvalidJSONStructure, ValueError, KeyError, TypeError):
        refuse("invalid", _("Your device's answer could not be checked. Try again."))
    if account.is_locked or not account.is_active:
        _event(
            "auth.failure",
            outcome="denied",
            severity="medium",
            source_ip=address,
            account=account,
            detail={"reason": "locked" if account.is_locked else "inactive"},
        )
        if account.is_locked:
            raise Forbidden(
                _(
                    "This electronic identification account is locked and cannot log in. "
                    "To unlock it, go to the police of your ward or commune."
                ),
                code=ACCOUNT_LOCKED,
            )
        raise Forbidden(_("This account is disabled and cannot log in."), code=ACCOUNT_INACTIVE)
    Passkey.objects.filter(pk=passkey.pk).update(
        sign_count=verified.new_sign_count, last_used_at=timezone.now()
    )
    login_success_record(account=account, login=account.username, source_ip=address, channel="web")
    return account


def _own_passkey(actor: Account, passkey_id: uuid.UUID) -> Passkey:
    passkey = Passkey.objects.filter(pk=passkey_id, account=actor).first()
    if passkey is None:
        raise NotFound(_("You have no passkey with this id."), code=PASSKEY_NOT_FOUND)
    return passkey


def passkey_rename(*, actor: Account, passkey_id: uuid.UUID, name: str) -> Passkey:
    """Give one of the holder's own passkeys a name they recognise ("Phone", "Laptop")."""
    passkey = _own_passkey(actor, passkey_id)
    errors = Errors()
    label = clean(name or "")
    if not label:
        errors.add("name", _("Enter a name for the passkey."), "required")
    elif len(label) > NAME_MAX:
        errors.add("name", _("A passkey name is at most 100 characters."), "too_long")
    errors.raise_if_any()
    with transaction.atomic():
        Passkey.objects.filter(pk=passkey.pk).update(name=label)
        auditing.record(
            actor=actor_for(actor),
            action="identity.passkey.rename",
            subject_type="identity.account",
            subject=str(actor.pk),
            summary={"passkey": str(passkey.pk)},
        )
        security_notice(account=actor, kind="passkey_removed")
    passkey.name = label
    return passkey


def passkey_remove(*, actor: Account, passkey_id: uuid.UUID) -> None:
    """Remove one of the holder's own passkeys (a lost or replaced device); not during
    the cooling-off period after an online recovery."""
    passkey = _own_passkey(actor, passkey_id)
    security_change_check(actor)
    with transaction.atomic():
        Account.objects.select_for_update().filter(pk=actor.pk).first()  # one removal at a time
        second_factor_removal_check(actor, removing="passkey")
        Passkey.objects.filter(pk=passkey.pk).delete()
        auditing.record(
            actor=actor_for(actor),
            action="identity.passkey.remove",
            subject_type="identity.account",
            subject=str(actor.pk),
            summary={"passkey": str(passkey.pk)},
        )
        security_notice(account=actor, kind="passkey_removed")
