"""C2SP signed-note: text signed by Ed25519 keys, and the verifier-key format.

A note is its text (ending in a newline), a blank line, then signature lines
``— <key name> <base64(key ID ‖ signature)>``. The key ID is the first four bytes of
``SHA-256(key name ‖ 0x0A ‖ 0x01 ‖ public key)`` (0x01 = Ed25519). Verifiers are given a
key as ``<name>+<hex key ID>+<base64(0x01 ‖ public key)>``; they ignore signatures by
other keys and reject the note unless a signature by their key verifies.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass, field

from nacl.exceptions import BadSignatureError, CryptoError
from nacl.signing import SigningKey, VerifyKey

ED25519 = 0x01
SIGNATURE_PREFIX = "— "  # em dash, space
MAX_NOTE_BYTES = 1 << 20
MAX_SIGNATURES = 100
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f]")
_NAME = re.compile(r"^[^\s+]+$")


class NoteError(ValueError):
    """A note or key that is malformed, or whose signature does not verify."""


def check_key_name(name: str) -> str:
    if not name or not _NAME.fullmatch(name):
        raise NoteError(f"key name {name!r} must be non-empty, without spaces or '+'")
    return name


def key_id(name: str, public_key: bytes) -> bytes:
    """The 4-byte key ID of an Ed25519 key, as signed-note recommends."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """An Ed25519 public key with its note name."""

    name: str
    public_key: bytes
    key_id: bytes = field(init=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.public_key) != 32:
            raise NoteError("an Ed25519 public key is 32 bytes")
        object.__setattr__(self, "key_id", key_id(self.name, self.public_key))

    def encode(self) -> str:
        """``<name>+<hex key ID>+<base64(0x01 ‖ public key)>``."""
        material = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    @classmethod
    def parse(cls, text: str) -> Verifier:
        parts = text.strip().split("+", 2)  # base64 may itself hold a "+"
        if len(parts) != 3:
            raise NoteError("a verifier key is <name>+<hex key ID>+<base64 key>")
        name, hex_id, material = parts
        try:
            raw = base64.b64decode(material, validate=True)
            wanted_id = bytes.fromhex(hex_id)
        except (binascii.Error, ValueError):
            raise NoteError("the verifier key's ID or key material is not hex/base64") from None
        if len(hex_id) != 8 or len(raw) != 33 or raw[0] != ED25519:
            raise NoteError("the verifier key is not an Ed25519 key (type 0x01, 32 bytes)")
        verifier = cls(name=name, public_key=raw[1:])
        if verifier.key_id != wanted_id:
            raise NoteError("the verifier key's ID does not match its name and key")
        return verifier

    def verifies(self, message: bytes, signature: bytes) -> bool:
        try:
            VerifyKey(self.public_key).verify(message, signature)
        except (BadSignatureError, CryptoError, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    """An Ed25519 private key (its 32-byte seed) with its note name."""

    name: str
    seed: bytes = field(repr=False)

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if len(self.seed) != 32:
            raise NoteError("an Ed25519 seed is 32 bytes")

    @property
    def verifier(self) -> Verifier:
        return Verifier(self.name, bytes(SigningKey(self.seed).verify_key))

    def signature_line(self, text: str) -> str:
        signature = SigningKey(self.seed).sign(text.encode()).signature
        encoded = base64.b64encode(self.verifier.key_id + signature).decode()
        return f"{SIGNATURE_PREFIX}{self.name} {encoded}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n"):
        raise NoteError("the note text must end with a newline")
    if _CONTROL.search(text):
        raise NoteError("the note contains a control character other than newline")


def sign_note(text: str, signer: Signer) -> str:
    """The signed note: ``text``, a blank line, the signer's signature line."""
    _check_text(text)
    return f"{text}\n{signer.signature_line(text)}"


def open_note(note: str | bytes, verifier: Verifier) -> str:
    """The text of ``note`` once a signature by ``verifier`` verifies; raises
    :class:`NoteError` for a malformed note, a failing signature by that key, or none."""
    if isinstance(note, bytes):
        if len(note) > MAX_NOTE_BYTES:
            raise NoteError("the note is too large")
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError:
            raise NoteError("the note is not valid UTF-8") from None
    if len(note.encode()) > MAX_NOTE_BYTES:
        raise NoteError("the note is too large")
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise NoteError("the note has no blank line before its signatures")
    text, lines = note[: split + 1], note[split + 2 :].splitlines()
    if not lines:
        raise NoteError("the note has no signature")
    if len(lines) > MAX_SIGNATURES:
        raise NoteError(f"the note has more than {MAX_SIGNATURES} signatures")
    verified = 0
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise NoteError("a signature line must start with an em dash and a space")
        name, _space, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        try:
            check_key_name(name)
            raw = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise NoteError(f"the signature by {name} is not base64") from None
        if len(raw) < 5 or " " in encoded:
            raise NoteError(f"the signature line of {name} is malformed")
        if name != verifier.name or raw[:4] != verifier.key_id:
            continue  # another key's signature: ignored, as signed-note requires
        if not verifier.verifies(text.encode(), raw[4:]):
            raise NoteError(f"the signature by {name} does not verify: the note was altered")
        verified += 1
    if not verified:
        raise NoteError(f"the note carries no signature by {verifier.name}")
    return text
