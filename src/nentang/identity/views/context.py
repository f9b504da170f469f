"""What every page may need to know about identity: whether passkeys can work here.

WebAuthn refuses an IP address as the relying party's id ("This is an invalid domain"),
so an installation reached at http://127.0.0.1:… cannot offer passkeys; its pages say
why and where to go instead of showing a button that always fails."""

from __future__ import annotations

import ipaddress
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest


@cache
def _passkeys_possible(base_url: str) -> tuple[bool, str]:
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return True, base_url
    port = f":{parts.port}" if parts.port else ""
    loopback = host in ("127.0.0.1", "::1")
    return False, f"{parts.scheme}://localhost{port}/" if loopback else ""


def passkeys(request: HttpRequest) -> dict[str, Any]:
    possible, named = _passkeys_possible(str(settings.BASE_URL))
    return {"passkeys_possible": possible, "passkeys_named_url": named}
