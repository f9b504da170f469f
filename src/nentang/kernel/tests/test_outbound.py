"""The outbound HTTP client: SSRF rules, pinning, timeouts, size cap, redirects, retries."""

from __future__ import annotations

import ipaddress
import socket
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.support.http import Receiver, Reply

from nentang.kernel.outbound import (
    OutboundBlocked,
    OutboundClient,
    OutboundError,
    OutboundTimeout,
    OutboundTooLarge,
    Timeouts,
    blocked_reason,
    check_url,
    request,
)

# --- SSRF refusals -------------------------------------------------------------------


@pytest.mark.usefixtures("no_allowed_networks")
def test_loopback_is_refused_by_default_and_nothing_is_sent(receiver: Receiver) -> None:
    with pytest.raises(OutboundBlocked) as refused:
        request("GET", receiver.url + "/hook?token=s3cret")

    assert refused.value.reason == "loopback"
    assert refused.value.address == "127.0.0.1"
    assert "127.0.0.1" in str(refused.value)
    assert "s3cret" not in str(refused.value)  # query strings never reach messages
    assert receiver.requests == []


@pytest.mark.usefixtures("allow_loopback")
def test_loopback_is_reached_when_the_operator_allows_it(receiver: Receiver) -> None:
    receiver.reply(Reply(200, '{"xin_chao": "thế giới"}'.encode()))

    response = request("GET", receiver.url + "/ping")

    assert response.status_code == 200
    assert response.json() == {"xin_chao": "thế giới"}
    assert response.address == "127.0.0.1"
    assert [r.path for r in receiver.requests] == ["/ping"]


@pytest.mark.usefixtures("no_allowed_networks")
@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.1/", "private"),
        ("http://10.255.255.254:8080/x", "private"),
        ("http://172.16.5.4/", "private"),
        ("http://192.168.1.1/", "private"),
        ("http://169.254.169.254/latest/meta-data/", "link-local (cloud metadata service)"),
        ("http://169.254.1.1/", "link-local"),
        ("http://100.64.0.1/", "carrier-grade NAT (100.64.0.0/10)"),
        ("http://0.0.0.0/", "unspecified"),
        ("http://224.0.0.1/", "multicast"),
        ("http://240.0.0.1/", "private"),
        ("http://[::1]/", "loopback"),
        ("http://[::]/", "unspecified"),
        ("http://[fe80::1]/", "link-local"),
        ("http://[fc00::1]/", "private"),
        ("http://[fd00:ec2::254]/", "unique-local (cloud metadata service)"),
        ("http://[fec0::1]/", "site-local"),
        ("http://[ff02::1]/", "multicast"),
        ("http://[::ffff:127.0.0.1]/", "IPv4-mapped IPv6 address of 127.0.0.1 (loopback)"),
        ("http://[::ffff:10.0.0.1]/", "IPv4-mapped IPv6 address of 10.0.0.1 (private)"),
        (
            "http://[::ffff:169.254.169.254]/",
            "IPv4-mapped IPv6 address of 169.254.169.254 (link-local (cloud metadata service))",
        ),
        ("http://[64:ff9b::a00:1]/", "NAT64 address of 10.0.0.1 (private)"),
        ("http://[2002:7f00:1::]/", "6to4 address tunnelling to 127.0.0.1"),
        ("http://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/", "Teredo tunnel address"),
        ("http://[::127.0.0.1]/", "reserved"),
    ],
)
def test_non_public_addresses_are_refused(url: str, reason: str) -> None:
    with pytest.raises(OutboundBlocked) as refused:
        check_url(url)

    assert refused.value.reason == reason
    assert reason in str(refused.value)


@pytest.mark.usefixtures("no_allowed_networks")
def test_numeric_host_spellings_are_resolved_then_refused() -> None:
    # 2130706433 == 0x7f000001: the resolver turns it into 127.0.0.1, which is checked.
    with pytest.raises(OutboundBlocked) as refused:
        check_url("http://2130706433/")

    assert refused.value.address == "127.0.0.1"
    assert "resolves to 127.0.0.1" in str(refused.value)


@pytest.mark.usefixtures("no_allowed_networks")
def test_a_host_name_that_resolves_to_loopback_is_refused(receiver: Receiver) -> None:
    with pytest.raises(OutboundBlocked) as refused:
        request("POST", f"http://localhost:{receiver.port}/hook", content=b"{}")

    assert refused.value.host == "localhost"
    assert refused.value.reason == "loopback"
    assert "'localhost' resolves to" in str(refused.value)
    assert receiver.requests == []


def test_allow_list_matches_the_address_as_written(settings: Any) -> None:
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)

    assert blocked_reason(ipaddress.ip_address("127.0.0.1")) is None
    assert blocked_reason(ipaddress.ip_address("::ffff:127.0.0.1")) is not None
    assert blocked_reason(ipaddress.ip_address("::1")) == "loopback"


def test_public_addresses_pass() -> None:
    for address in ("93.184.215.14", "2606:4700:4700::1111", "::ffff:93.184.215.14"):
        assert blocked_reason(ipaddress.ip_address(address), allow_networks=()) is None


@given(
    network=st.sampled_from(
        ["10.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "100.64.0.0/10", "192.168.0.0/16"]
    ),
    offset=st.integers(min_value=0, max_value=2**16 - 1),
    mapped=st.booleans(),
)
def test_every_address_of_a_non_public_network_is_refused(
    network: str, offset: int, mapped: bool
) -> None:
    net = ipaddress.IPv4Network(network)
    v4 = net.network_address + (offset % net.num_addresses)
    address: ipaddress.IPv4Address | ipaddress.IPv6Address = (
        ipaddress.IPv6Address(f"::ffff:{v4}") if mapped else v4
    )

    assert blocked_reason(address, allow_networks=()) is not None


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://example.com/file", "scheme"),
        ("file:///etc/passwd", "scheme"),
        ("gopher://example.com/", "scheme"),
        ("http://an:mat-khau-bi-mat@example.com/", "credentials in URL"),
        ("http:///no-host", "no host"),
    ],
)
def test_only_plain_http_urls_are_accepted(url: str, reason: str) -> None:
    with pytest.raises(OutboundBlocked) as refused:
        check_url(url)

    assert refused.value.reason == reason
    assert "mat-khau-bi-mat" not in str(refused.value)


@pytest.mark.usefixtures("allow_loopback")
def test_the_host_is_resolved_once_and_the_checked_address_is_used(
    receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A rebinding resolver: the first answer passes the check, later answers point
    # elsewhere (127.0.0.2, where nothing listens). The request must use the first.
    real = socket.getaddrinfo
    answers = iter(["127.0.0.1"])
    asked: list[str] = []

    def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host == "rebind.nentang.test":
            asked.append(host)
            return real(next(answers, "127.0.0.2"), port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)

    response = request("GET", f"http://rebind.nentang.test:{receiver.port}/x")

    assert response.status_code == 200
    assert response.address == "127.0.0.1"
    assert asked == ["rebind.nentang.test"]
    assert receiver.requests[0].headers["host"] == f"rebind.nentang.test:{receiver.port}"


@pytest.mark.usefixtures("allow_loopback")
def test_tls_verifies_the_certificate_for_the_host_name_not_the_address(
    tls_receiver_factory: Any,
) -> None:
    # The certificate names only "localhost"; we connect to 127.0.0.1. Verification
    # succeeds only because SNI and the name check use the host name of the URL.
    server, certificate = tls_receiver_factory("localhost")
    with OutboundClient(verify=certificate.client_context()) as client:
        response = client.get(f"https://localhost:{server.port}/secure")

    assert response.status_code == 200
    assert server.server_names == ["localhost"]
    assert server.requests[0].headers["host"] == f"localhost:{server.port}"


@pytest.mark.usefixtures("allow_loopback")
def test_tls_refuses_a_certificate_for_another_name(tls_receiver_factory: Any) -> None:
    server, certificate = tls_receiver_factory("khac.nentang.test")
    with (
        OutboundClient(verify=certificate.client_context()) as client,
        pytest.raises(OutboundError) as failed,
    ):
        client.get(f"https://localhost:{server.port}/secure")

    assert "CERTIFICATE_VERIFY_FAILED" in str(failed.value)
    assert server.requests == []


# --- timeouts and size ---------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_a_server_that_sleeps_hits_the_read_timeout(receiver: Receiver) -> None:
    receiver.reply(Reply(200, delay=3.0))
    client = OutboundClient(timeouts=Timeouts(read=0.3))
    started = time.monotonic()

    with client, pytest.raises(OutboundTimeout) as timed_out:
        client.get(receiver.url + "/slow")

    assert timed_out.value.phase == "read"
    assert "read timeout (0.3 s)" in str(timed_out.value)
    assert time.monotonic() - started < 2.0


@pytest.mark.usefixtures("allow_loopback")
def test_a_slow_drip_body_hits_the_total_deadline(receiver: Receiver) -> None:
    # Each byte arrives within the read timeout, but the whole exceeds the deadline.
    receiver.reply(Reply(200, body=b"x" * 50, drip=0.1))
    client = OutboundClient(timeouts=Timeouts(read=1.0, total=0.5))
    started = time.monotonic()

    with client, pytest.raises(OutboundTimeout) as timed_out:
        client.get(receiver.url + "/drip")

    assert timed_out.value.phase == "total"
    assert time.monotonic() - started < 2.0


@pytest.mark.usefixtures("allow_loopback")
def test_a_response_larger_than_the_cap_is_refused(receiver: Receiver) -> None:
    receiver.reply(Reply(200, body=b"a" * 2_000))
    with OutboundClient(max_response_bytes=1_000) as client, pytest.raises(OutboundTooLarge):
        client.get(receiver.url + "/big")


@pytest.mark.usefixtures("allow_loopback")
def test_discarding_the_body_ignores_its_size(receiver: Receiver) -> None:
    receiver.reply(Reply(202, body=b"a" * 2_000))
    with OutboundClient(max_response_bytes=1_000) as client:
        response = client.post(receiver.url + "/hook", content=b"{}", discard_body=True)

    assert response.status_code == 202
    assert response.content == b""


# --- redirects -----------------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_redirects_are_not_followed_by_default(receiver: Receiver) -> None:
    receiver.reply(Reply(302, headers={"Location": "/elsewhere"}))

    response = request("GET", receiver.url + "/start")

    assert response.status_code == 302
    assert [r.path for r in receiver.requests] == ["/start"]


@pytest.mark.usefixtures("allow_loopback")
def test_followed_redirects_are_checked_at_every_hop(receiver: Receiver) -> None:
    receiver.reply(
        Reply(302, headers={"Location": "/second"}),
        Reply(307, headers={"Location": "http://169.254.169.254/latest/meta-data/"}),
    )
    client = OutboundClient(follow_redirects=True)

    with client, pytest.raises(OutboundBlocked) as refused:
        client.get(receiver.url + "/first")

    assert refused.value.address == "169.254.169.254"
    assert [r.path for r in receiver.requests] == ["/first", "/second"]


@pytest.mark.usefixtures("allow_loopback")
def test_followed_redirect_switches_post_to_get_on_303(receiver: Receiver) -> None:
    receiver.reply(Reply(303, headers={"Location": "/result"}), Reply(200, b"done"))
    with OutboundClient(follow_redirects=True) as client:
        response = client.post(receiver.url + "/form", json={"a": 1})

    assert response.text == "done"
    assert [(r.method, r.path) for r in receiver.requests] == [
        ("POST", "/form"),
        ("GET", "/result"),
    ]


# --- retries -------------------------------------------------------------------------


@pytest.mark.usefixtures("allow_loopback")
def test_transient_5xx_is_retried_for_idempotent_requests(receiver: Receiver) -> None:
    receiver.reply(Reply(503), Reply(502), Reply(200, b"ok"))
    with OutboundClient(retries=2, retry_backoff=0.01) as client:
        response = client.get(receiver.url + "/flaky")

    assert response.status_code == 200
    assert len(receiver.requests) == 3


@pytest.mark.usefixtures("allow_loopback")
def test_a_post_is_not_repeated_after_the_server_saw_it(receiver: Receiver) -> None:
    receiver.reply(Reply(503), Reply(200))
    with OutboundClient(retries=2, retry_backoff=0.01) as client:
        response = client.post(receiver.url + "/pay", json={"amount": 150_000})

    assert response.status_code == 503
    assert len(receiver.requests) == 1


@pytest.mark.usefixtures("allow_loopback")
def test_connection_failures_are_retried_then_reported(closed_port: int) -> None:
    with OutboundClient(retries=2, retry_backoff=0.01) as client:
        started = time.monotonic()
        with pytest.raises(OutboundError) as failed:
            client.post(f"http://127.0.0.1:{closed_port}/hook", content=b"{}")

    assert not isinstance(failed.value, OutboundBlocked)
    assert f"Cannot connect to 127.0.0.1 at 127.0.0.1 for http://127.0.0.1:{closed_port}" in str(
        failed.value
    )
    assert time.monotonic() - started >= 0.03  # two pauses: 0.01 s and 0.02 s


def test_retries_are_bounded() -> None:
    with pytest.raises(ValueError, match="retries must be between 0 and 3"):
        OutboundClient(retries=10)
