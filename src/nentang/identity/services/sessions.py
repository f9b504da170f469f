"""Signed-in sessions of an account: listed on the account page, ended one by one or
all at once ("sign out everywhere").

Ending a session deletes it from Django's session store (the browser is signed out at
its next request) and marks the ``AccountSession`` ended. Signing out everywhere also
emits the outbox event ``identity.account.signed_out_everywhere`` and runs the
registered revokers in the same transaction, so that the OpenID Connect provider can
revoke the account's tokens too::

    from nentang.identity.services import sessions

    @sessions.revoker
    def revoke_tokens(account: Account, reason: str) -> None: ...
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from importlib import import_module

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from nentang.identity.models import Account, AccountSession
from nentang.identity.problems import SESSION_NOT_FOUND
from nentang.identity.services.common import actor_for
from nentang.kernel import auditing, events
from nentang.kernel.errors import NotFound

SIGNED_OUT_EVERYWHERE = "identity.account.signed_out_everywhere"
# last_seen_at is written at most this often per session: a read-mostly page load must
# not turn into a write each time.
TOUCH_INTERVAL = timedelta(minutes=1)

Revoker = Callable[[Account, str], None]
_REVOKERS: list[Revoker] = []


def revoker(function: Revoker) -> Revoker:
    """Register ``function(account, reason)`` to run when all sessions of an account end
    (sign out everywhere, account locked), inside that transaction."""
    if function not in _REVOKERS:
        _REVOKERS.append(function)
    return function


def _session_store() -> type:
    return import_module(settings.SESSION_ENGINE).SessionStore  # type: ignore[no-any-return]


def session_start(
    *,
    account: Account,
    session_key: str,
    ip_address: str | None,
    user_agent: str = "",
) -> AccountSession:
    """Track a new signed-in session (called on every login, whatever the page).
    Idempotent per session key."""
    now = timezone.now()
    session, _created = AccountSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "account": account,
            "last_seen_at": now,
            "ip_address": ip_address,
            "user_agent": (user_agent or "")[:300],
            "ended_at": None,
        },
        create_defaults={
            "account": account,
            "created_at": now,
            "last_seen_at": now,
            "ip_address": ip_address,
            "user_agent": (user_agent or "")[:300],
        },
    )
    return session


def session_touch(*, session_key: str) -> None:
    """Note that the session was used now (at most once per ``TOUCH_INTERVAL``)."""
    now = timezone.now()
    AccountSession.objects.filter(
        session_key=session_key, ended_at__isnull=True, last_seen_at__lt=now - TOUCH_INTERVAL
    ).update(last_seen_at=now)


def session_mark_ended(*, session_key: str) -> None:
    """The holder signed out of this session (Django already flushed it)."""
    AccountSession.objects.filter(session_key=session_key, ended_at__isnull=True).update(
        ended_at=timezone.now()
    )


def session_second_factor_mark(*, session_key: str, method: str) -> None:
    """Record on the session which second factor was presented (``totp``, ``passkey``)."""
    AccountSession.objects.filter(session_key=session_key).update(second_factor=method[:16])


def session_end(*, actor: Account, session_id: int) -> None:
    """The holder ends one of their own sessions (e.g. a lost phone)."""
    session = AccountSession.objects.filter(
        pk=session_id, account=actor, ended_at__isnull=True
    ).first()
    if session is None:
        raise NotFound(_("No open session of yours has this id."), code=SESSION_NOT_FOUND)
    with transaction.atomic():
        _session_store()(session_key=session.session_key).delete()
        AccountSession.objects.filter(pk=session.pk).update(ended_at=timezone.now())
        auditing.record(
            actor=actor_for(actor),
            action="identity.session.end",
            subject_type="identity.account",
            subject=str(actor.pk),
            summary={"sessions": 1},
        )


def end_all_sessions(account: Account, *, reason: str, keep_session_key: str | None = None) -> int:
    """End every open session of ``account`` except ``keep_session_key``; runs the
    revokers and emits the outbox event. Must run inside the caller's transaction."""
    open_sessions = list(
        AccountSession.objects.select_for_update()
        .filter(account=account, ended_at__isnull=True)
        .exclude(session_key=keep_session_key or "")
        .values_list("pk", "session_key")
    )
    store = _session_store()
    for _pk, key in open_sessions:
        store(session_key=key).delete()
    AccountSession.objects.filter(pk__in=[pk for pk, _key in open_sessions]).update(
        ended_at=timezone.now()
    )
    for function in list(_REVOKERS):
        function(account, reason)
    events.emit(
        SIGNED_OUT_EVERYWHERE,
        {
            "account_id": str(account.pk),
            "reason": reason,
            "sessions_ended": len(open_sessions),
        },
    )
    return len(open_sessions)


def sessions_end_all(*, actor: Account, keep_session_key: str | None = None) -> int:
    """ "Sign out everywhere": the holder ends all their sessions but the current one
    (``keep_session_key``) and, through the revokers, every token issued to services.
    Returns how many sessions ended."""
    with transaction.atomic():
        ended = end_all_sessions(
            actor, reason="signed_out_everywhere", keep_session_key=keep_session_key
        )
        auditing.record(
            actor=actor_for(actor),
            action="identity.session.end_all",
            subject_type="identity.account",
            subject=str(actor.pk),
            summary={"sessions": ended, "kept_current": bool(keep_session_key)},
        )
    return ended
