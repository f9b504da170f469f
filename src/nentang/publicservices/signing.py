"""The installation's signing certificate for results, and PAdES signatures with pyHanko.

A result (a birth certificate extract, a permit…) leaves the platform as a PDF signed
with PAdES (ETSI EN 319 142, ``/ETSI.CAdES.detached``) under a per-installation key and
self-signed certificate kept in ``$NENTANG_HOME/publicservices/signing.pem`` (key and
certificate in one file, so they cannot drift apart), generated on first use through
``kernel.privatefiles`` (atomic, mode 0600, one key however many processes start at
once). An operator replaces the file with a key certified by a trust-service provider
(Decree 23/2025/NĐ-CP on digital signatures) without any code change.

Verification is pyHanko's validator with this certificate as the trust root: the
signature must be intact, cryptographically valid, trusted and cover the whole file (an
update appended after signing is refused).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime
import io
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from asn1crypto import keys as asn1_keys  # type: ignore[import-untyped]  # ships no type information
from asn1crypto import pem as asn1_pem
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.conf import settings

from nentang.kernel.privatefiles import load_or_create_text

T = TypeVar("T")
FIELD_NAME = "KetQuaGiaiQuyet"
_lock = threading.Lock()
_cache: dict[Path, tuple[asn1_keys.PrivateKeyInfo, asn1_x509.Certificate]] = {}


def signing_path() -> Path:
    return Path(settings.HOME) / "publicservices" / "signing.pem"


def _generate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Nền tảng số (nentang)"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Kết quả giải quyết thủ tục hành chính"),
        ]
    )
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
    return (key_pem + cert_pem).decode("ascii")


def _parse(text: str) -> tuple[asn1_keys.PrivateKeyInfo, asn1_x509.Certificate]:
    key = certificate = None
    for kind, _headers, der in asn1_pem.unarmor(text.encode("ascii"), multiple=True):
        if kind == "PRIVATE KEY":
            key = asn1_keys.PrivateKeyInfo.load(der)
        elif kind == "CERTIFICATE":
            certificate = asn1_x509.Certificate.load(der)
    if key is None or certificate is None:
        raise ValueError("a private key and a certificate are needed")
    return key, certificate


def _check(text: str) -> str | None:
    try:
        _parse(text)
    except (ValueError, UnicodeEncodeError) as error:
        return f"it is not a PEM key and certificate ({error})"
    return None


def signing_identity() -> tuple[asn1_keys.PrivateKeyInfo, asn1_x509.Certificate]:
    """The installation's key and certificate, generated on first use."""
    path = signing_path()
    with _lock:
        if path not in _cache:
            _cache[path] = _parse(load_or_create_text(path, generate=_generate, check=_check))
        return _cache[path]


def certificate() -> asn1_x509.Certificate:
    return signing_identity()[1]


def pdf_sign(data: bytes, *, reason: str, location: str) -> bytes:
    """``data`` (an unsigned PDF) signed with PAdES under the installation's key."""
    # pyHanko (with aiohttp for its timestamp client) is imported where it is used: it
    # costs every `nentang` process ~0.3 s of a core at start-up otherwise.
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers
    from pyhanko.sign.fields import SigSeedSubFilter
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key, cert = signing_identity()
    signer = signers.SimpleSigner(
        signing_cert=cert,
        signing_key=key,
        cert_registry=SimpleCertificateStore.from_certs([cert]),  # type: ignore[no-untyped-call]  # pyHanko leaves it unannotated
    )
    metadata = signers.PdfSignatureMetadata(
        field_name=FIELD_NAME,
        subfilter=SigSeedSubFilter.PADES,
        md_algorithm="sha256",
        reason=reason,
        location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(data))
    output = _outside_event_loop(signers.sign_pdf, writer, metadata, signer=signer)
    return bytes(output.getvalue())


def _outside_event_loop(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """pyHanko's synchronous API runs its coroutines with ``asyncio.run``, which refuses
    to start inside a running event loop (an async caller, Playwright's sync API): there
    the call goes to a worker thread of its own."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return function(*args, **kwargs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(function, *args, **kwargs).result()


@dataclass(frozen=True)
class Verdict:
    """What the validator found: ``valid`` only when every check passed."""

    valid: bool
    intact: bool = False
    trusted: bool = False
    whole_file: bool = False
    signed_at: datetime.datetime | None = None
    problem: str = ""


def pdf_verify(data: bytes) -> Verdict:
    """Check ``data``'s signature with pyHanko against the installation's certificate."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except Exception as error:
        return Verdict(valid=False, problem=f"unreadable: {type(error).__name__}")
    if len(signatures) != 1:
        return Verdict(valid=False, problem=f"{len(signatures)} signatures, expected 1")
    context = ValidationContext(trust_roots=[certificate()], allow_fetching=False)
    try:
        status = _outside_event_loop(validate_pdf_signature, signatures[0], context)
    except (SignatureValidationError, ValueError, KeyError, TypeError) as error:
        return Verdict(valid=False, problem=f"invalid: {type(error).__name__}")
    whole = status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    return Verdict(
        valid=bool(status.bottom_line and whole),
        intact=bool(status.intact),
        trusted=bool(status.trusted),
        whole_file=whole,
        signed_at=status.signer_reported_dt,
        problem="" if status.bottom_line and whole else "signature does not verify",
    )
