"""Problem codes of the identity context (see kernel/errors/registry.py).

Field-level mistakes of a form (an ID number that disagrees with the date of birth, a
phone number that is not a Vietnamese mobile, a weak password …) are one 422
``validation_failed`` with one entry per field; the codes here are for what is not a
field's fault: a conflict with existing records, a missing permission, a refused login.
"""

from django.utils.translation import gettext_lazy as _

from nentang.kernel.errors.registry import register

# --- registration ------------------------------------------------------------------

ID_NUMBER_TAKEN = register(
    "id_number_taken",
    status=409,
    title=_("ID number already registered"),
    meaning=_(
        "An electronic identification account already exists for this personal ID number. "
        "Each person has one account."
    ),
    advice=_(
        "Log in with this ID number instead. If you did not register it, contact the "
        "police of your ward or commune to have the account checked."
    ),
)

ID_NUMBER_UNAVAILABLE = register(
    "id_number_unavailable",
    status=409,
    title=_("No personal ID number could be issued"),
    meaning=_(
        "A newborn's personal ID number could not be drawn: every serial of this place, "
        "century and year is used, or many births were being registered at the same moment."
    ),
    advice=_("Try again in a moment; if it happens again, tell the system's operator."),
)
TAX_CODE_TAKEN = register(
    "tax_code_taken",
    status=409,
    title=_("Tax code already registered"),
    meaning=_("An organisation account already exists for this tax code."),
    advice=_("Log in with the tax code, or ask the legal representative to check the account."),
)
LOGIN_TAKEN = register(
    "login_taken",
    status=409,
    title=_("Login name already used"),
    meaning=_("Another account already uses this login name."),
    advice=_("Choose a different login name. Nothing was changed."),
)
AGENCY_CODE_TAKEN = register(
    "agency_code_taken",
    status=409,
    title=_("Agency code already used"),
    meaning=_("Another agency already has this code."),
    advice=_("Choose a different code, or edit the existing agency."),
)

# --- lookups -------------------------------------------------------------------------

PERSON_NOT_FOUND = register(
    "person_not_found",
    status=404,
    title=_("Person not found"),
    meaning=_("No person with an electronic identification has this ID number or id."),
    advice=_("Check the number with the person's identity card."),
)
ACCOUNT_NOT_FOUND = register(
    "account_not_found",
    status=404,
    title=_("Account not found"),
    meaning=_("No electronic identification account has this id."),
    advice=_("Find the person first, then open their account from there."),
)
SESSION_NOT_FOUND = register(
    "session_not_found",
    status=404,
    title=_("Session not found"),
    meaning=_("None of your open sessions has this id: it may have ended already."),
    advice=_("Reload the list of your sessions."),
)
AGENCY_NOT_FOUND = register(
    "agency_not_found",
    status=404,
    title=_("Agency not found"),
    meaning=_("No agency has this code."),
    advice=_("Check the code in the list of agencies."),
)
PASSKEY_NOT_FOUND = register(
    "passkey_not_found",
    status=404,
    title=_("Passkey not found"),
    meaning=_("None of your passkeys has this id: it may have been removed already."),
    advice=_("Reload the list of your passkeys on your account page."),
)
NO_PERSONAL_PROFILE = register(
    "no_personal_profile",
    status=404,
    title=_("No personal profile"),
    meaning=_(
        "This account is not a person's account (it belongs to an organisation or to "
        "staff), so it has no personal data and no personal-data usage log."
    ),
    advice=_("Log in with a citizen's account to see personal data."),
)

# --- permissions ---------------------------------------------------------------------

OFFICER_ROLE_REQUIRED = register(
    "officer_role_required",
    status=403,
    title=_("Officer role required"),
    meaning=_(
        "Only an active officer holding the role named in the message may do this, "
        "within the area of their agency."
    ),
    advice=_("Ask the identity administrator of your agency to grant the role."),
)
OUTSIDE_AGENCY_AREA = register(
    "outside_agency_area",
    status=403,
    title=_("Outside the area of your agency"),
    meaning=_(
        "Officers act on accounts of people and organisations within the administrative "
        "area of their own agency."
    ),
    advice=_("Send the request to an agency of the person's province or commune."),
)
NOT_YOUR_ACCOUNT = register(
    "not_your_account",
    status=403,
    title=_("Not your account"),
    meaning=_("A holder may act only on their own account."),
    advice=_("Log in with the account you want to change."),
)
LEVEL2_REQUIRED = register(
    "level2_required",
    status=403,
    title=_("Level 2 electronic identification required"),
    meaning=_(
        "This needs a level-2 electronic identification: verified in person by an "
        "enrolment officer (Decree 69/2024/NĐ-CP)."
    ),
    advice=_("Go to the police of your ward or commune with your identity card to reach level 2."),
)
SECOND_FACTOR_REQUIRED = register(
    "second_factor_required",
    status=403,
    title=_("Second factor required"),
    meaning=_(
        "This action needs the second factor of your account (authenticator code or "
        "passkey) in this session."
    ),
    advice=_("Confirm with your authenticator app or passkey, then try again."),
)
SECOND_FACTOR_MANDATORY = register(
    "second_factor_mandatory",
    status=409,
    title=_("A staff account keeps a second factor"),
    meaning=_(
        "Officers, security operators and administrators must always have a second factor "
        "(an authenticator app or a passkey): this is the last one of the account."
    ),
    advice=_("Add another passkey or an authenticator app first, then remove this one."),
)
HOLDER_SESSION_REQUIRED = register(
    "holder_session_required",
    status=403,
    title=_("Only the holder can read this"),
    meaning=_(
        "This part of an e-ID (such as the log of who used the person's data) is shown only "
        "to the holder signed in on this platform, never to a service holding an access token."
    ),
    advice=_("Log in on this platform and open your account page."),
)
ADMINISTRATOR_REQUIRED = register(
    "administrator_required",
    status=403,
    title=_("Administrator required"),
    meaning=_("Only an administrator of this installation may do this."),
    advice=_("Ask the administrator of this installation."),
)

# --- account state -------------------------------------------------------------------

ACCOUNT_ALREADY_LOCKED = register(
    "account_already_locked",
    status=409,
    title=_("Account already locked"),
    meaning=_("The account is locked already; locking it again changes nothing."),
    advice=_("Reload the account to see when and why it was locked."),
)
ACCOUNT_NOT_LOCKED = register(
    "account_not_locked",
    status=409,
    title=_("Account not locked"),
    meaning=_("The account is not locked, so there is nothing to unlock."),
    advice=_("Reload the account to see its current state."),
)
PERSON_ALREADY_LEVEL2 = register(
    "person_already_level2",
    status=409,
    title=_("Already at level 2"),
    meaning=_("This person's electronic identification is already at level 2."),
    advice=_("Nothing to do. Open the person's verification history to see when it happened."),
)
TOTP_ALREADY_ENROLLED = register(
    "totp_already_enrolled",
    status=409,
    title=_("Authenticator app already set up"),
    meaning=_("This account already has a confirmed authenticator app."),
    advice=_("Remove the existing authenticator app first to set up a new one."),
)
TOTP_NOT_ENROLLED = register(
    "totp_not_enrolled",
    status=409,
    title=_("No authenticator app"),
    meaning=_("This account has no authenticator app set up, or it is not confirmed yet."),
    advice=_("Set up an authenticator app from your account page first."),
)

# --- login ---------------------------------------------------------------------------

INVALID_CREDENTIALS = register(
    "invalid_credentials",
    status=401,
    title=_("Wrong login or password"),
    meaning=_(
        "The login or the password is wrong. For your safety we do not say which; "
        "repeated mistakes lock the login for a while."
    ),
    advice=_(
        "Citizens log in with their 12-digit personal ID number, organisations with "
        "their tax code. Check both and try again."
    ),
)
LOGIN_LOCKED_OUT = register(
    "login_locked_out",
    status=429,
    title=_("Too many wrong passwords"),
    meaning=_(
        "After repeated wrong passwords this login is blocked for a while, to protect the "
        "account from password guessing. Each new block lasts longer."
    ),
    advice=_("Wait for the time given in the message (Retry-After), then try again."),
)
LOGIN_RATE_LIMITED = register(
    "login_rate_limited",
    status=429,
    title=_("Too many failed logins from your network"),
    meaning=_("Too many logins failed from your network address in a short time."),
    advice=_("Wait for the time given in the message (Retry-After), then try again."),
)
ACCOUNT_LOCKED = register(
    "account_locked",
    status=403,
    title=_("Account locked"),
    meaning=_(
        "This electronic identification account is locked (at the holder's request, by "
        "an officer, because the ID was revoked, or because the holder died), so it "
        "cannot log in or be used by any service (Decree 69/2024/NĐ-CP)."
    ),
    advice=_("To unlock it, go to the police of your ward or commune with your identity card."),
)
ACCOUNT_INACTIVE = register(
    "account_inactive",
    status=403,
    title=_("Account disabled"),
    meaning=_("This account has been disabled by the administrator and cannot log in."),
    advice=_("Contact the administrator of this installation."),
)
GUARDIAN_NOT_ADULT = register(
    "guardian_not_adult",
    status=403,
    title=_("Only an adult registers a child"),
    meaning=_(
        "A child under 14 is registered online by a parent or guardian who is 18 or older "
        "(Civil Code 2015, art. 49)."
    ),
    advice=_("Ask the child's adult guardian, or go to the police of your ward or commune."),
)
RESPOND_PERMISSION_REQUIRED = register(
    "respond_permission_required",
    status=403,
    title=_("Security operator permission required"),
    meaning=_(
        "Blocking an address or locking an account in response to a security alert needs "
        "a security operator account holding that permission."
    ),
    advice=_("Ask the administrator of the security operations centre."),
)
BLOCK_ENDED = register(
    "block_ended",
    status=409,
    title=_("Block already ended"),
    meaning=_("This address block was lifted or has run out: there is nothing to lift."),
    advice=_("Reload the alert to see the current state."),
)
OWN_ACCOUNT_LOCK = register(
    "own_account_lock",
    status=409,
    title=_("Cannot lock your own account"),
    meaning=_("A security operator cannot lock the account they are using."),
    advice=_("Ask another operator to handle the alert."),
)

# --- recovery and security changes -------------------------------------------------

RECOVERY_COOLING_OFF = register(
    "recovery_cooling_off",
    status=409,
    title=_("Security changes wait after a recovery"),
    meaning=_(
        "The password of this account was recovered online a short time ago. For a day "
        "after that, the second factor, passkeys, backup codes, the phone and the e-mail "
        "cannot be changed, so that someone who took over the phone cannot also take over "
        "the account."
    ),
    advice=_(
        "Try again after the time given in the message. If you did not recover the "
        "password yourself, go to the police of your ward or commune at once."
    ),
)

# --- cross-device login --------------------------------------------------------------

CROSS_DEVICE_EXPIRED = register(
    "cross_device_expired",
    status=409,
    title=_("QR code expired or used"),
    meaning=_(
        "A login QR code lives two minutes and can be approved once. This one has run out, "
        "was approved or refused already, or its login was taken."
    ),
    advice=_("Show a new QR code on the screen where you want to log in, and scan it again."),
)
CROSS_DEVICE_NOT_FOR_STAFF = register(
    "cross_device_not_for_staff",
    status=403,
    title=_("Not for staff accounts"),
    meaning=_(
        "Logging in by scanning a QR code with a phone is for citizens. Staff and "
        "organisation accounts log in with their password and their own second factor."
    ),
    advice=_("Log in on that screen with your login, password and second factor."),
)
