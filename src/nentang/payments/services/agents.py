"""Cash-out at an agent with the customer's consent.

An agent must not be able to empty a wallet by typing a phone number: a cash-out needs
the customer's current withdrawal code, six digits that only the customer's own wallet
page shows (an HMAC of the wallet id and the 10-minute window under the deployment's
secret key; the previous window is still accepted, so a code read just before the turn
of a window works). The agent's page passes it here with the amount.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import FieldError, RateLimited, ValidationFailed
from nentang.payments.models import Account, Transfer, Wallet, WithdrawalCodeFailure
from nentang.payments.problems import WITHDRAWAL_CODE_INVALID
from nentang.payments.services.wallets import cash_out

WINDOW = 600  # seconds
# Wrong codes accepted in two windows (the codes that are valid then), counted per
# (agent, wallet): one agent's five guesses in a million shut only that agent out of the
# wallet's cash-out, so a single agent cannot keep a customer from their cash at every
# other agent. The per-wallet ceiling bounds guessing across agents: three agents' worth
# of wrong codes in 20 minutes and the wallet's cash-out waits at every agent.
MAX_FAILURES = 5
MAX_FAILURES_PER_WALLET = 15


def _code(wallet: Wallet, window: int) -> str:
    key = hashlib.sha256(f"payments-withdrawal:{settings.SECRET_KEY}".encode()).digest()
    digest = hmac.new(key, f"{wallet.id}:{window}".encode(), hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:8], 'big') % 1_000_000:06d}"


def withdrawal_code(*, wallet: Wallet, now: datetime.datetime | None = None) -> str:
    """The code the wallet's holder shows an agent to take cash out (10 minutes)."""
    return _code(wallet, int((now or timezone.now()).timestamp()) // WINDOW)


def agent_cash_out(
    *,
    actor: Actor,
    agent: Account,
    wallet: Wallet,
    amount: object,
    idempotency_key: str,
    customer_code: str,
    now: datetime.datetime | None = None,
) -> Transfer:
    """Pay cash out of ``wallet`` at ``agent``, the customer having shown their code;
    the wallet's monthly limits apply (``cash_out``)."""
    now = now or timezone.now()
    window = int(now.timestamp()) // WINDOW
    given = (customer_code or "").strip()
    with transaction.atomic():  # the wallet's row serialises parallel guesses
        Wallet.objects.select_for_update().filter(pk=wallet.pk).exists()
        since = now - datetime.timedelta(seconds=2 * WINDOW)
        counted = WithdrawalCodeFailure.objects.filter(wallet=wallet, at__gt=since).aggregate(
            everywhere=Count("id"), here=Count("id", filter=Q(agent_code=agent.code))
        )
        everywhere, here = counted["everywhere"], counted["here"]
        if here >= MAX_FAILURES or everywhere >= MAX_FAILURES_PER_WALLET:
            raise RateLimited(
                _("Too many wrong codes for this wallet: try again in 20 minutes."),
                retry_after=2 * WINDOW,
            )
        right = any(hmac.compare_digest(given, _code(wallet, w)) for w in (window, window - 1))
        if not right:  # committed: the error below is raised after the block
            WithdrawalCodeFailure.objects.create(wallet=wallet, agent_code=agent.code, at=now)
            severity = "low"
            if everywhere + 1 >= MAX_FAILURES_PER_WALLET:
                severity = "high"  # several agents guessing one wallet's code
            elif here + 1 >= MAX_FAILURES:
                severity = "medium"
            auditing.security_event(
                kind="authz.denied",
                outcome="denied",
                severity=severity,
                actor=Actor.system(agent.code),
                subject="payments.withdrawal_code",
                detail={
                    "wallet": str(wallet.pk),
                    "failures": here + 1,
                    "failures_all_agents": everywhere + 1,
                },
            )
    if not right:
        message = _("The code is wrong or expired: ask the customer for the code in their wallet.")
        raise ValidationFailed(
            message,
            code=WITHDRAWAL_CODE_INVALID,
            errors=[FieldError("customer_code", message, WITHDRAWAL_CODE_INVALID)],
        )
    # The customer consented with their code: the agent acts for them (audited as the agent).
    del actor  # the page's user; the ledger records the agent
    return cash_out(
        actor=Actor.system(agent.code), wallet=wallet, agent=agent, amount=amount,
        idempotency_key=idempotency_key,
    )  # fmt: skip
