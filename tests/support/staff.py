"""Staff logins in tests: staff sessions must present a second factor (issue 8 item 1).

``staff_login(client, account)`` gives the account an authenticator app (when it has
no second factor yet) and opens a Django test client session that presented it — what
the e-ID login does after password and code. ``totp_code(secret)`` is the current code,
for tests that go through the real login pages (browser tests).
"""

from __future__ import annotations

import time
from typing import Any

import pyotp
from django.test import Client
from django.utils import timezone

from nentang.identity.models import Account, TotpDevice
from nentang.identity.services.factors import SESSION_FLAG, second_factor_mandatory


def second_factor_of(account: Account) -> str:
    """The account's authenticator secret, set up (confirmed) when it had none."""
    device = TotpDevice.objects.filter(account=account).first()
    if device is not None and device.confirmed_at is not None:
        return device.secret
    secret = pyotp.random_base32()
    now = timezone.now()
    TotpDevice.objects.update_or_create(
        account=account,
        defaults={"secret": secret, "confirmed_at": now, "last_step": 0},
        create_defaults={"secret": secret, "confirmed_at": now, "last_step": 0, "created_at": now},
    )
    return secret


def totp_code(secret: str) -> str:
    return pyotp.TOTP(secret).now()


def staff_login(client: Client, account: Account, *, factor: str = "totp") -> str:
    """Log ``account`` in on ``client`` as after password and second factor; returns
    the authenticator secret."""
    secret = second_factor_of(account)
    client.force_login(account)
    session = client.session
    session[SESSION_FLAG] = factor
    session.save()
    return secret


def pass_second_factor(page: Any, secret: str, *, ahead: int = 0) -> None:
    """On the second-factor page of a real browser: type the authenticator's code (of
    ``ahead`` time steps later: each step is accepted once per account) and go on."""
    code = pyotp.TOTP(secret).at(time.time() + 30 * ahead)
    page.get_by_label("Mã 6 chữ số trong ứng dụng xác thực").fill(code)
    page.get_by_role("button", name="Tiếp tục").click()
    page.wait_for_load_state()


def log_in_as(client: Client, account: Account) -> None:
    """``force_login`` for anyone: staff accounts as after their second factor."""
    if second_factor_mandatory(account):
        staff_login(client, account)
    else:
        client.force_login(account)
