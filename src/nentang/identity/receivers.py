"""Session tracking from Django's own login and logout.

An integration with Django's auth, not domain flow: logins happen in Django's views
(the admin's, ours, the OpenID Connect provider's), and Django reports the new session
only through ``user_logged_in``. Each one becomes an ``AccountSession`` (listed on the
account page, ended by "sign out everywhere"); a logout marks it ended.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.http import HttpRequest

from nentang.identity.auth import request_source_ip
from nentang.identity.models import Account
from nentang.identity.services.sessions import session_mark_ended, session_start
from nentang.identity.services.throttling import source_address


def on_logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    if request is None or session is None or not isinstance(user, Account):
        return
    if session.session_key is None:
        session.save()  # login() saves later; the key is needed now
    session_start(
        account=user,
        session_key=str(session.session_key),
        ip_address=source_address(request_source_ip(request)),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
    )


def on_logged_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if key:
        session_mark_ended(session_key=str(key))


def connect() -> None:
    user_logged_in.connect(on_logged_in, dispatch_uid="nentang.identity.session_start")
    user_logged_out.connect(on_logged_out, dispatch_uid="nentang.identity.session_end")
