"""Which URLs and addresses an outbound request may reach (the SSRF rules).

Webhook URLs, OIDC ``jwks_uri``/``redirect_uri`` look-ups and partner APIs are URLs that
people typed, so a request must never become a way into our own network:

* only ``http`` and ``https``; no credentials in the URL;
* the host is resolved **once**, and the request is refused when *any* of its addresses is
  loopback, private, link-local (cloud metadata at 169.254.169.254), multicast, reserved,
  unspecified, carrier-grade NAT (100.64.0.0/10), IPv6 site-local, or an IPv6 form that
  embeds such an IPv4 address (IPv4-mapped, NAT64) or tunnels to one (6to4, Teredo) —
  unless the address lies in ``settings.NENTANG_OUTBOUND_ALLOW_NETWORKS``.

:func:`check_url` applies these rules and returns the :class:`Target` to connect to.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpx
from django.conf import settings

from nentang.kernel.outbound.errors import OutboundBlocked, OutboundError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

_CGNAT = ipaddress.ip_network("100.64.0.0/10")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_METADATA = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


@dataclass(frozen=True)
class Target:
    """A checked URL: its host name and every address it resolved to, all allowed."""

    url: httpx.URL
    host: str
    port: int
    addresses: tuple[IPAddress, ...]


def redact(url: httpx.URL | str) -> str:
    """``scheme://host[:port]/path`` — no credentials, query or fragment (they carry tokens)."""
    parsed = httpx.URL(url) if isinstance(url, str) else url
    netloc = parsed.netloc.decode("ascii", errors="replace")
    return f"{parsed.scheme}://{netloc}{parsed.path}"


def allowed_networks() -> tuple[IPNetwork, ...]:
    """The operator's exceptions to the SSRF rules, read at call time (tests override it)."""
    return tuple(getattr(settings, "NENTANG_OUTBOUND_ALLOW_NETWORKS", ()))


def _ipv4_reason(address: ipaddress.IPv4Address) -> str | None:
    if address.is_loopback:
        return "loopback"
    if address in _METADATA:
        return "link-local (cloud metadata service)"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address in _CGNAT:
        return "carrier-grade NAT (100.64.0.0/10)"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


def blocked_reason(
    address: IPAddress, *, allow_networks: Iterable[IPNetwork] | None = None
) -> str | None:
    """Why ``address`` may not be contacted, or ``None`` when it may.

    The allow-list matches the address as written: ``127.0.0.0/8`` does not let
    ``::ffff:127.0.0.1`` through.
    """
    networks = allowed_networks() if allow_networks is None else tuple(allow_networks)
    if any(address.version == net.version and address in net for net in networks):
        return None
    if isinstance(address, ipaddress.IPv4Address):
        return _ipv4_reason(address)

    embedded = address.ipv4_mapped
    if embedded is not None:
        inner = _ipv4_reason(embedded)
        return f"IPv4-mapped IPv6 address of {embedded} ({inner})" if inner else None
    if address in _NAT64:
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        inner = _ipv4_reason(embedded)
        return f"NAT64 address of {embedded} ({inner})" if inner else None
    if address.sixtofour is not None:
        return f"6to4 address tunnelling to {address.sixtofour}"
    if address.teredo is not None:
        return "Teredo tunnel address"
    if address.is_loopback:
        return "loopback"
    if address in _METADATA:
        return "unique-local (cloud metadata service)"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if address.is_unspecified:
        return "unspecified"
    if address.is_site_local:
        return "site-local"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not globally routable"
    return None


def _resolve(host: str, port: int, url: str) -> tuple[IPAddress, ...]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise OutboundError(
            f"Cannot resolve host {host!r} for {url}: {error}.", url=url, host=host
        ) from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        # IPv6 link-local answers may carry a scope ("fe80::1%eth0"); the rules ignore it.
        address = ipaddress.ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise OutboundError(f"Host {host!r} has no address for {url}.", url=url, host=host)
    return tuple(addresses)


def check_url(url: str, *, allow_networks: Iterable[IPNetwork] | None = None) -> Target:
    """Parse, resolve and check ``url`` against the SSRF rules; return what to connect to.

    Raises :class:`OutboundBlocked` when the URL or any resolved address is refused and
    :class:`OutboundError` when the host cannot be resolved.
    """
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError) as error:
        raise OutboundBlocked(
            f"Refused {url!r}: not a valid URL ({error}).", reason="invalid URL"
        ) from None
    shown = redact(parsed) if parsed.scheme else repr(url)
    if parsed.scheme not in ("http", "https"):
        raise OutboundBlocked(
            f"Refused {shown}: only http and https URLs are allowed.",
            reason="scheme",
            url=shown,
        )
    if parsed.userinfo:
        raise OutboundBlocked(
            f"Refused {shown}: the URL must not carry a user name or password.",
            reason="credentials in URL",
            url=shown,
        )
    host = parsed.raw_host.decode("ascii")
    if not host:
        raise OutboundBlocked(f"Refused {shown}: the URL has no host.", reason="no host")
    port = parsed.port or (443 if parsed.scheme == "https" else 80)
    networks = allowed_networks() if allow_networks is None else tuple(allow_networks)

    try:
        addresses: tuple[IPAddress, ...] = (ipaddress.ip_address(host),)
        literal = True
    except ValueError:
        addresses = _resolve(host, port, shown)
        literal = False
    for address in addresses:
        reason = blocked_reason(address, allow_networks=networks)
        if reason is not None:
            via = "" if literal else f" resolves to {address}, which"
            raise OutboundBlocked(
                f"Refused {shown}: host {host!r}{via} is {reason}; outbound requests may "
                "only reach public addresses (see NENTANG_OUTBOUND_ALLOW_NETWORKS).",
                reason=reason,
                url=shown,
                host=host,
                address=str(address),
            )
    return Target(url=parsed, host=host, port=port, addresses=addresses)
