"""C2SP tlog-checkpoint: the signed tree head as the text of a signed note.

<origin>
<tree size, decimal>
<root hash, base64>
[extension lines]
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from nentang.audit.tlog.hashing import HASH_SIZE
from nentang.audit.tlog.note import NoteError, Signer, Verifier, open_note, sign_note

_SIZE = re.compile(r"^(0|[1-9][0-9]{0,18})$")


class CheckpointError(NoteError):
    """A checkpoint whose text breaks the format, or that belongs to another log."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root_hash: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root_hash).decode()]
        return "\n".join([*lines, *self.extensions]) + "\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """The checkpoint in a note's text (already verified); raises CheckpointError."""
    if not text.endswith("\n"):
        raise CheckpointError("the checkpoint text must end with a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3:
        raise CheckpointError("a checkpoint has an origin, a size and a root hash")
    origin, size_text, root_text, *extensions = lines
    if not origin:
        raise CheckpointError("the checkpoint's origin line is empty")
    if not _SIZE.fullmatch(size_text):
        raise CheckpointError(f"the tree size {size_text!r} is not a decimal number")
    try:
        root = base64.b64decode(root_text, validate=True)
    except binascii.Error:
        raise CheckpointError("the root hash is not base64") from None
    if len(root) != HASH_SIZE:
        raise CheckpointError(f"the root hash is {len(root)} bytes, not {HASH_SIZE}")
    if any(not line for line in extensions):
        raise CheckpointError("extension lines must not be empty")
    return Checkpoint(origin, int(size_text), root, tuple(extensions))


def sign_checkpoint(checkpoint: Checkpoint, signer: Signer) -> str:
    """The signed note of a checkpoint; the key name is the origin, as C2SP recommends."""
    return sign_note(checkpoint.text(), signer)


def open_checkpoint(note: str | bytes, verifier: Verifier, *, origin: str) -> Checkpoint:
    """Verify the note's signature by ``verifier`` and parse it; the origin must be
    ``origin`` (a checkpoint of another log is refused)."""
    checkpoint = parse_checkpoint(open_note(note, verifier))
    if checkpoint.origin != origin:
        raise CheckpointError(f"the checkpoint is for {checkpoint.origin!r}, not {origin!r}")
    return checkpoint
