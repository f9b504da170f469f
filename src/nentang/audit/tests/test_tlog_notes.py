"""C2SP signed-note and tlog-checkpoint: signatures verify with an independent Ed25519
implementation (``cryptography``) and the key-ID rule; forged, truncated or foreign
notes are refused."""

from __future__ import annotations

import base64
import hashlib
import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from nentang.audit.tlog import (
    Checkpoint,
    CheckpointError,
    NoteError,
    Signer,
    Verifier,
    open_checkpoint,
    open_note,
    parse_checkpoint,
    sign_checkpoint,
    sign_note,
)
from nentang.audit.tlog.keys import load_or_create_seed

ORIGIN = "dichvucong.example.vn/audit"
SEED = bytes(range(32))
ROOT = hashlib.sha256(b"root").digest()


@pytest.fixture
def signer() -> Signer:
    return Signer(ORIGIN, SEED)


@pytest.fixture
def note(signer: Signer) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, 20_852_163, ROOT), signer)


def test_the_checkpoint_note_has_the_c2sp_shape(note: str) -> None:
    body, signature_line = note.split("\n\n")
    assert body.split("\n") == [ORIGIN, "20852163", base64.b64encode(ROOT).decode()]
    assert signature_line.startswith(f"— {ORIGIN} ")
    assert signature_line.endswith("\n")
    assert len(base64.b64decode(signature_line.split(" ")[2])) == 4 + 64


def test_the_signature_verifies_with_cryptography_and_the_key_id_rule(
    signer: Signer, note: str
) -> None:
    body = note.split("\n\n")[0] + "\n"
    raw = base64.b64decode(note.rstrip("\n").rsplit(" ", 1)[1])
    public = signer.verifier.public_key
    expected_id = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + public).digest()[:4]
    assert raw[:4] == expected_id
    Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], body.encode())
    with pytest.raises(InvalidSignature):
        Ed25519PublicKey.from_public_bytes(public).verify(raw[4:], body.encode() + b"x")


def test_the_verifier_key_has_the_note_format(signer: Signer) -> None:
    encoded = signer.verifier.encode()
    name, key_id, material = encoded.split("+", 2)
    raw = base64.b64decode(material)
    assert name == ORIGIN
    assert raw[0] == 1
    assert raw[1:] == signer.verifier.public_key
    assert key_id == hashlib.sha256(ORIGIN.encode() + b"\n" + raw).digest()[:4].hex()
    assert Verifier.parse(encoded) == signer.verifier


@pytest.mark.parametrize(
    "text",
    [
        "name+deadbeef",
        "name+zz+AQ==",
        "name+deadbeef+AQ==",
        "na me+deadbeef+" + base64.b64encode(b"\x01" + bytes(32)).decode(),
        "name+deadbeef+" + base64.b64encode(b"\x02" + bytes(32)).decode(),
        "name+deadbeef+" + base64.b64encode(b"\x01" + bytes(32)).decode(),  # wrong ID
    ],
)
def test_malformed_verifier_keys_are_refused(text: str) -> None:
    with pytest.raises(NoteError):
        Verifier.parse(text)


def test_the_checkpoint_opens_with_the_right_key(signer: Signer, note: str) -> None:
    opened = open_checkpoint(note, signer.verifier, origin=ORIGIN)
    assert opened == Checkpoint(ORIGIN, 20_852_163, ROOT)
    assert open_checkpoint(note.encode(), signer.verifier, origin=ORIGIN) == opened


def test_a_wrong_key_is_refused(note: str) -> None:
    stranger = Signer(ORIGIN, os.urandom(32)).verifier
    with pytest.raises(NoteError, match="no signature by"):
        open_note(note, stranger)


def test_a_forged_signature_is_refused(signer: Signer, note: str) -> None:
    body, line = note.split("\n\n")
    raw = bytearray(base64.b64decode(line.rstrip("\n").rsplit(" ", 1)[1]))
    raw[10] ^= 1
    forged = f"{body}\n\n— {ORIGIN} {base64.b64encode(bytes(raw)).decode()}\n"
    with pytest.raises(NoteError, match="does not verify"):
        open_note(forged, signer.verifier)


def test_a_changed_body_is_refused(signer: Signer, note: str) -> None:
    with pytest.raises(NoteError, match="does not verify"):
        open_note(note.replace("20852163", "20852164"), signer.verifier)


@pytest.mark.parametrize("cut", [1, 10, 60, 100])
def test_a_truncated_note_is_refused(signer: Signer, note: str, cut: int) -> None:
    with pytest.raises(NoteError):
        open_checkpoint(note[:-cut], signer.verifier, origin=ORIGIN)


def test_other_signatures_are_ignored_but_one_of_ours_is_required(signer: Signer) -> None:
    witness = Signer("witness.example/w1", os.urandom(32))
    text = Checkpoint(ORIGIN, 5, ROOT).text()
    cosigned = sign_note(text, signer) + witness.signature_line(text)
    assert open_note(cosigned, signer.verifier) == text
    only_witness = sign_note(text, witness)
    with pytest.raises(NoteError, match="no signature by"):
        open_note(only_witness, signer.verifier)


def test_a_checkpoint_of_another_log_is_refused(signer: Signer, note: str) -> None:
    with pytest.raises(CheckpointError, match="is for"):
        open_checkpoint(note, signer.verifier, origin="other.example/audit")


@pytest.mark.parametrize(
    "note",
    [
        "",
        "no newline at the end",
        "text\n",  # no blank line, no signature
        "text\n\n",  # a blank line, no signature
        "text\n\nnot a signature line\n",
        "text\n\n— name not-base64!\n",
        "text\n\n— name AAAA\n",  # too short to hold a key ID and a signature
        "te\x01xt\n\n— name AAAAAAAA\n",  # control character
    ],
)
def test_malformed_notes_are_refused(signer: Signer, note: str) -> None:
    with pytest.raises(NoteError):
        open_note(note, signer.verifier)


def test_invalid_utf8_is_refused(signer: Signer) -> None:
    with pytest.raises(NoteError, match="UTF-8"):
        open_note(b"\xff\xfe\n\n- x y\n", signer.verifier)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a\n1\n", "origin, a size"),
        ("\n1\n" + base64.b64encode(ROOT).decode() + "\n", "origin line is empty"),
        ("a\n01\n" + base64.b64encode(ROOT).decode() + "\n", "not a decimal"),
        ("a\n-1\n" + base64.b64encode(ROOT).decode() + "\n", "not a decimal"),
        ("a\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n", "31 bytes"),
        ("a\n1\nnot base64\n", "not base64"),
        ("a\n1\n" + base64.b64encode(ROOT).decode() + "\n\n", "must not be empty"),
        ("a\n1\n" + base64.b64encode(ROOT).decode(), "newline"),
    ],
)
def test_malformed_checkpoints_are_refused(text: str, message: str) -> None:
    with pytest.raises(CheckpointError, match=message):
        parse_checkpoint(text)


def test_extension_lines_are_kept() -> None:
    checkpoint = Checkpoint("a", 3, ROOT, ("ext one",))
    assert parse_checkpoint(checkpoint.text()) == checkpoint


def test_the_signing_key_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    path = tmp_path / "audit" / "checkpoint.key"
    seed = load_or_create_seed(path)
    assert len(seed) == 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_seed(path) == seed
    damaged = tmp_path / "damaged.key"
    damaged.write_text("not hex\n")
    with pytest.raises(ValueError, match="is not hexadecimal"):
        load_or_create_seed(damaged)
