"""Fixtures for the outbox, webhook and outbound-HTTP tests.

The webhook receiver (tests/support/http.py) is a real HTTP server on 127.0.0.1 in a
thread: nothing here mocks httpx or our own code, and no test traffic leaves loopback.
"""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from tests.support.http import Receiver

LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def allow_loopback(settings: Any) -> None:
    """Let outbound HTTP reach 127.0.0.0/8 and ::1, as a development machine would."""
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = LOOPBACK


@pytest.fixture
def no_allowed_networks(settings: Any) -> None:
    """Production rules: public addresses only."""
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = ()


@pytest.fixture
def closed_port() -> int:
    """A loopback port where nothing listens (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class SelfSigned:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.cert))


def make_self_signed(directory: Path, dns_name: str) -> SelfSigned:
    """A throw-away certificate for ``dns_name`` only (no IP address in it)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a test certificate")
    cert, key = directory / f"{dns_name}.crt", directory / f"{dns_name}.key"
    subprocess.run(
        [
            openssl,
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "1",
            "-subj",
            f"/CN={dns_name}",
            "-addext",
            f"subjectAltName=DNS:{dns_name}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=30,
    )
    return SelfSigned(cert=cert, key=key)


@pytest.fixture
def tls_receiver_factory(tmp_path: Path) -> Iterator[Any]:
    """Start HTTPS receivers whose certificate names a given host; closes them after."""
    started: list[Receiver] = []

    def start(dns_name: str) -> tuple[Receiver, SelfSigned]:
        certificate = make_self_signed(tmp_path, dns_name)
        server = Receiver(tls=certificate.server_context())
        started.append(server)
        return server, certificate

    yield start
    for server in started:
        server.close()


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
