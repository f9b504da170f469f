"""Signing keys of the OpenID provider and the pairwise-subject secret, under
``$NENTANG_HOME/oidc/``.

Each signing key is one file ``keys/<kid>.json`` (mode 0600, the directory 0700) holding
the private JWK, its algorithm (ES256 or RS256), when it was created and, once a newer
key of its algorithm replaced it, when it was retired. The ``kid`` is the RFC 7638
thumbprint of the public key.

* The **active** key of an algorithm is its newest key not retired; ID tokens are
  signed with it. When there is none (first start) one is generated, under a file lock
  so that two server workers do not both generate one.
* ``rotate`` adds a new key per algorithm and retires the previous one. A retired key
  stays in the JWKS until every token it signed has expired: ``retired_at`` +
  ``ID_TOKEN_EXPIRE_SECONDS`` + clock skew. Relying parties keep verifying old tokens
  and pick up the new key on their next JWKS fetch.

Running servers see a rotation made by another process (``nentang keys rotate``) on
their next request: the key set is re-read whenever the directory changes.
"""

from __future__ import annotations

import base64
import contextlib
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from django.conf import settings
from jwcrypto import jwk

from nentang.kernel.privatefiles import (
    file_lock,
    load_or_create_text,
    private_directory,
    write_private,
)

ALGORITHMS = ("ES256", "RS256")
DEFAULT_ALGORITHM = "ES256"
CLOCK_SKEW = timedelta(minutes=5)
RSA_BITS = 3072


@dataclass(frozen=True)
class SigningKey:
    kid: str
    alg: str
    created_at: datetime
    retired_at: datetime | None
    key: jwk.JWK

    def public_jwk(self) -> dict[str, Any]:
        data: dict[str, Any] = self.key.export_public(as_dict=True)
        data.update({"kid": self.kid, "alg": self.alg, "use": "sig"})
        return data

    @property
    def active(self) -> bool:
        return self.retired_at is None

    def sign_jwt(self, payload: str) -> str:
        """A compact JWS (RFC 7515) of ``payload`` (a JSON text) with header ``alg``,
        ``kid`` and ``typ: JWT``, signed with this key — what jwcrypto's
        ``JWT.make_signed_token`` produces, without its per-token deep copies of the
        header registries (a tenth of a code exchange's CPU): ES256 is the raw
        ``r || s`` of 32 bytes each (RFC 7518 §3.4), RS256 PKCS#1 v1.5 with SHA-256."""
        header = json.dumps({"alg": self.alg, "kid": self.kid, "typ": "JWT"}, separators=(",", ":"))
        signing_input = f"{_b64(header.encode())}.{_b64(payload.encode())}".encode("ascii")
        private = _signer(self)
        if self.alg == "ES256":
            der = private.sign(signing_input, ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
        elif self.alg == "RS256":
            signature = private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
        else:
            raise ValueError(f"unsupported signing algorithm {self.alg!r}")
        return f"{signing_input.decode('ascii')}.{_b64(signature)}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


_SIGNERS: dict[str, Any] = {}


def _signer(key: SigningKey) -> Any:
    """The key's private key object of ``cryptography`` (one per kid)."""
    found = _SIGNERS.get(key.kid)
    if found is None:
        found = key.key.get_op_key("sign")
        _SIGNERS[key.kid] = found
    return found


def oidc_home() -> Path:
    return Path(settings.HOME) / "oidc"


def key_directory() -> Path:
    return oidc_home() / "keys"


def _ensure_directory(path: Path) -> None:
    private_directory(path)


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only, atomically (a reader sees old or new)."""
    write_private(path, text.encode("utf-8"))


def _locked(directory: Path) -> contextlib.AbstractContextManager[None]:
    return file_lock(directory / ".lock")


def _generate(alg: str) -> jwk.JWK:
    if alg == "ES256":
        return jwk.JWK.generate(kty="EC", crv="P-256")
    if alg == "RS256":
        return jwk.JWK.generate(kty="RSA", size=RSA_BITS)
    raise ValueError(f"unsupported signing algorithm {alg!r}; expected one of {ALGORITHMS}")


def _serialise(key: SigningKey) -> str:
    return json.dumps(
        {
            "kid": key.kid,
            "alg": key.alg,
            "created_at": key.created_at.isoformat(),
            "retired_at": key.retired_at.isoformat() if key.retired_at else None,
            "private_jwk": key.key.export_private(as_dict=True),
        },
        indent=1,
    )


def _parse(path: Path) -> SigningKey:
    data = json.loads(path.read_text(encoding="utf-8"))
    retired = data.get("retired_at")
    return SigningKey(
        kid=data["kid"],
        alg=data["alg"],
        created_at=datetime.fromisoformat(data["created_at"]),
        retired_at=datetime.fromisoformat(retired) if retired else None,
        key=jwk.JWK(**data["private_jwk"]),
    )


def _new_key(alg: str, now: datetime) -> SigningKey:
    private = _generate(alg)
    return SigningKey(
        kid=private.thumbprint(), alg=alg, created_at=now, retired_at=None, key=private
    )


class _Cache:
    """The parsed key files, re-read when the directory's modification time changes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.stamp: tuple[str, int] | None = None
        self.keys: list[SigningKey] = []


_cache = _Cache()


def _stamp(directory: Path) -> tuple[str, int] | None:
    try:
        return (str(directory), directory.stat().st_mtime_ns)
    except FileNotFoundError:
        return None


def _read_all(directory: Path) -> list[SigningKey]:
    if not directory.exists():
        return []
    return sorted(
        (_parse(path) for path in directory.glob("*.json")),
        key=lambda item: (item.created_at, item.kid),
    )


def all_keys() -> list[SigningKey]:
    """Every stored key, oldest first."""
    directory = key_directory()
    stamp = _stamp(directory)
    with _cache.lock:
        if stamp is None or stamp != _cache.stamp:
            _cache.keys = _read_all(directory)
            _cache.stamp = stamp
        return list(_cache.keys)


def _active(keys: list[SigningKey], alg: str) -> SigningKey | None:
    candidates = [key for key in keys if key.alg == alg and key.active]
    return candidates[-1] if candidates else None


def active_key(alg: str = DEFAULT_ALGORITHM) -> SigningKey:
    """The key that signs new tokens with ``alg``; generated on first use."""
    if alg not in ALGORITHMS:
        raise ValueError(f"unsupported signing algorithm {alg!r}; expected one of {ALGORITHMS}")
    found = _active(all_keys(), alg)
    if found is not None:
        return found
    directory = key_directory()
    with _locked(directory):
        found = _active(_read_all(directory), alg)  # another worker may have won the lock
        if found is None:
            found = _new_key(alg, datetime.now(UTC))
            _write_private(directory / f"{found.kid}.json", _serialise(found))
    return found


def retention() -> timedelta:
    """How long a retired key stays published: the longest life of a token it signed."""
    from oauth2_provider.settings import oauth2_settings

    return timedelta(seconds=int(oauth2_settings.ID_TOKEN_EXPIRE_SECONDS)) + CLOCK_SKEW


def published_keys(now: datetime | None = None) -> list[SigningKey]:
    """The keys in the JWKS: every active key, and retired keys still within retention."""
    for alg in ALGORITHMS:
        active_key(alg)
    moment = now or datetime.now(UTC)
    keep = retention()
    return [key for key in all_keys() if key.retired_at is None or key.retired_at + keep > moment]


def key_for_kid(kid: str) -> SigningKey | None:
    for key in all_keys():
        if key.kid == kid:
            return key
    return None


def jwks() -> dict[str, Any]:
    return {"keys": [key.public_jwk() for key in published_keys()]}


def rotate(algorithms: tuple[str, ...] = ALGORITHMS) -> list[SigningKey]:
    """Add a new signing key for each algorithm and retire the one it replaces; delete
    the files of keys retired longer than the retention. Returns the new keys."""
    for alg in algorithms:
        if alg not in ALGORITHMS:
            raise ValueError(f"unsupported signing algorithm {alg!r}; expected one of {ALGORITHMS}")
    directory = key_directory()
    now = datetime.now(UTC)
    created: list[SigningKey] = []
    with _locked(directory):
        keys = _read_all(directory)
        for alg in algorithms:
            for old in keys:
                if old.alg == alg and old.active:
                    retired = SigningKey(old.kid, old.alg, old.created_at, now, old.key)
                    _write_private(directory / f"{old.kid}.json", _serialise(retired))
            fresh = _new_key(alg, now)
            _write_private(directory / f"{fresh.kid}.json", _serialise(fresh))
            created.append(fresh)
        keep = retention()
        for old in keys:
            if old.retired_at is not None and old.retired_at + keep <= now:
                (directory / f"{old.kid}.json").unlink(missing_ok=True)
    return created


def pairwise_secret() -> bytes:
    """The key of the pairwise subject identifiers (32 random bytes, made once).

    Losing it changes every pairwise ``sub``: back it up with the database.
    """
    path = oidc_home() / "pairwise.key"
    cached = _pairwise.get(str(path))
    if cached is not None:
        return cached

    def check(text: str) -> str | None:
        try:
            return None if len(base64.b64decode(text, validate=True)) == 32 else "not 32 bytes"
        except ValueError:
            return "it is not base64"

    text = load_or_create_text(
        path, generate=lambda: base64.b64encode(secrets.token_bytes(32)).decode(), check=check
    )
    secret = base64.b64decode(text)
    _pairwise[str(path)] = secret
    return secret


_pairwise: dict[str, bytes] = {}
