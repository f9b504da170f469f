"""The client address behind trusted reverse proxies (issue 8, item 19).

Before: every per-address throttle read ``REMOTE_ADDR``, so behind a reverse proxy all
citizens shared the proxy's address (one spraying attacker locked everyone out). Now
``NENTANG_TRUSTED_PROXIES`` names the proxies whose X-Forwarded-For is believed, read
from the right, so a client cannot pick its own address by writing the header.
"""

from __future__ import annotations

import ipaddress

import pytest
from django.http import HttpRequest
from django.test import RequestFactory, override_settings

from nentang.kernel.security import client_address

PROXIES = (ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("fd00::/8"))


def request(remote: str, forwarded: str | None = None) -> HttpRequest:
    made = RequestFactory().get("/", REMOTE_ADDR=remote)
    if forwarded is not None:
        made.META["HTTP_X_FORWARDED_FOR"] = forwarded
    return made


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        # No trusted proxy in front: the header is the client's word, never believed.
        ("198.51.100.7", "203.0.113.9", "198.51.100.7"),
        # Behind the proxy: the address it appended.
        ("10.0.0.2", "198.51.100.7", "198.51.100.7"),
        # Two proxies: the nearest untrusted hop; a forged left part is ignored.
        ("10.0.0.2", "203.0.113.9, 198.51.100.7, 10.0.0.3", "198.51.100.7"),
        # The proxy without a header: the proxy itself.
        ("10.0.0.2", None, "10.0.0.2"),
        # Garbage in the chain stops the walk at the last good hop.
        ("10.0.0.2", "198.51.100.7, not-an-ip", "10.0.0.2"),
        ("fd00::1", "2001:db8::7", "2001:db8::7"),
        ("::ffff:198.51.100.7", None, "198.51.100.7"),
    ],
)
def test_the_client_address_believes_only_trusted_proxies(
    remote: str, forwarded: str | None, expected: str
) -> None:
    with override_settings(NENTANG_TRUSTED_PROXIES=PROXIES):
        assert client_address(request(remote, forwarded)) == expected


def test_without_trusted_proxies_the_header_is_ignored() -> None:
    with override_settings(NENTANG_TRUSTED_PROXIES=()):
        assert client_address(request("10.0.0.2", "198.51.100.7")) == "10.0.0.2"
