"""URLs of the identity context, mounted at the root by ``config/urls.py``: the OpenID
provider (discovery must be at ``<issuer>/.well-known/openid-configuration``) and the
e-ID pages (/register, /login — ``LOGIN_URL`` —, /logout, /account/…, /officer/…)."""

from django.urls import include, path

from nentang.identity.views import (
    account,
    contacts,
    crossdevice,
    family,
    login,
    mydata,
    officer,
    officer_actions,
    recovery,
    register,
    security,
)

pages = [
    path("register", register.register, name="register"),
    path("register/communes", register.communes, name="register_communes"),
    path("register/confirm", register.register_confirm, name="register_confirm"),
    path("register/done", register.register_done, name="register_done"),
    path("login", login.login_view, name="login"),
    path("login/second-factor", login.second_factor_view, name="second_factor"),
    path("login/passkey/options", login.passkey_login_options, name="passkey_login_options"),
    path("login/passkey", login.passkey_login, name="passkey_login"),
    path("login/qr", crossdevice.qr_start, name="qr_start"),
    path("login/qr/wait", crossdevice.qr_wait, name="qr_wait"),
    path("login/qr/approve", crossdevice.qr_approve, name="qr_approve"),
    path("logout", login.logout_view, name="logout"),
    path("recover", recovery.recover, name="recover"),
    path("recover/code", recovery.recover_code, name="recover_code"),
    path("account/", account.overview, name="account"),
    path("account/sessions", account.sessions, name="sessions"),
    path("account/sessions/<int:session_id>/end", account.session_end_view, name="session_end"),
    path("account/sessions/end-all", account.sessions_end_all_view, name="sessions_end_all"),
    path("account/consents", account.consents, name="consents"),
    path(
        "account/consents/<uuid:consent_id>/withdraw",
        account.consent_withdraw_view,
        name="consent_withdraw",
    ),
    path("account/data-usage", account.data_usage, name="data_usage"),
    path("account/my-data", mydata.my_data, name="my_data"),
    path("account/my-data/copy", mydata.my_data_readable, name="my_data_readable"),
    path("account/my-data/download", mydata.my_data_download, name="my_data_download"),
    path("account/phone", contacts.change, {"kind": "phone"}, name="phone_change"),
    path("account/email", contacts.change, {"kind": "email"}, name="email_change"),
    path("account/contact/confirm", contacts.confirm, name="contact_confirm"),
    path("account/children", family.children, name="children"),
    path("account/organisations", family.organisations, name="organisations"),
    path("account/passkeys", security.passkey_list, name="passkeys"),
    path("account/passkeys/options", security.passkey_add_options, name="passkey_add_options"),
    path("account/passkeys/add", security.passkey_add, name="passkey_add"),
    path(
        "account/passkeys/<uuid:passkey_id>/rename", security.passkey_rename, name="passkey_rename"
    ),
    path(
        "account/passkeys/<uuid:passkey_id>/remove", security.passkey_remove, name="passkey_remove"
    ),
    path("account/totp", security.totp, name="totp"),
    path("account/backup-codes", security.backup_codes, name="backup_codes"),
    path("officer/people", officer.find, name="officer_find"),
    path("officer/people/<uuid:person_id>", officer.card, name="officer_card"),
    path("officer/people/<uuid:person_id>/portrait", officer.portrait, name="officer_portrait"),
    path("officer/people/<uuid:person_id>/verify", officer_actions.verify, name="officer_verify"),
    path("officer/people/<uuid:person_id>/lock", officer_actions.lock, name="officer_lock"),
    path("officer/people/<uuid:person_id>/unlock", officer_actions.unlock, name="officer_unlock"),
]

urlpatterns = [
    path("", include("nentang.identity.oidc.urls")),
    path("", include((pages, "identity_web"))),
]
