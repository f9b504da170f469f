"""Publishing signed checkpoints to a witness outside ``NENTANG_HOME``.

An intruder with the database and the home folder could cut the log's tail and sign a
new, smaller checkpoint: nothing left on this machine would disagree. A copy of each
checkpoint kept elsewhere (``NENTANG_AUDIT_WITNESS``: a directory on another disk or
share, or an http(s) URL that accepts PUT and answers GET) does: ``nentang audit
verify`` compares the log with it.

Like a C2SP witness, the publisher only moves the witness forward: a checkpoint is
published when it is at least as large as the one the witness holds and consistent with
it (a proof from the stored tiles). A smaller or inconsistent checkpoint is refused and
logged as an error: the log lost entries or was forked, and the witness keeps the
evidence. Publishing runs after the checkpoint's transaction committed; a witness that
cannot be reached is logged and tried again with the next checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from nentang.audit.selectors.tlog import DatabaseTiles
from nentang.audit.selectors.witness import (
    WITNESS_FILE,
    WitnessError,
    read_witness,
    witness_location,
)
from nentang.audit.tlog import Checkpoint as CheckpointText
from nentang.audit.tlog import (
    MissingHashError,
    NoteError,
    ProofError,
    prove_consistency,
    verify_consistency,
)
from nentang.kernel.outbound import OutboundError, redact, request
from nentang.kernel.privatefiles import file_lock, write_private

__all__ = ["WITNESS_FILE", "witness_publish"]

logger = logging.getLogger("nentang.audit.witness")


def witness_publish(note: str) -> bool:
    """Publish the signed checkpoint ``note`` to the configured witness; True when the
    witness now holds it, False when none is configured, it refused, or it failed."""
    location = settings.NENTANG_AUDIT_WITNESS
    if not location:
        return False
    try:
        if location.startswith(("http://", "https://")):
            return _publish(note, lambda: _put(location, note))
        directory = Path(location)
        with file_lock(directory / f".{WITNESS_FILE}.lock"):
            return _publish(note, lambda: _write(directory, note))
    except (OutboundError, OSError, WitnessError) as error:
        logger.warning("audit witness %s not updated: %s", witness_location(), error)
        return False


def _publish(note: str, store: Callable[[], None]) -> bool:
    from nentang.audit.selectors.tlog_verify import open_our_checkpoint

    new = open_our_checkpoint(note)
    held = read_witness()
    if held is not None:
        try:
            old = open_our_checkpoint(held)
        except NoteError as error:
            logger.error(
                "audit witness %s holds something that is not a checkpoint of this log (%s); "
                "replacing it",
                witness_location(),
                error,
            )
        else:
            refusal = _refusal(old, new)
            if refusal:
                logger.error("audit witness %s: %s", witness_location(), refusal)
                return False
            if old.size == new.size:
                return True  # it holds this tree already
    store()
    return True


def _refusal(old: CheckpointText, new: CheckpointText) -> str:
    if new.size < old.size:
        return (
            f"refused a checkpoint of {new.size} entries: the witness holds one of "
            f"{old.size}, so the log lost entries since"
        )
    if new.size == old.size:
        return "" if new.root_hash == old.root_hash else "refused a different tree of the same size"
    try:
        proof = prove_consistency(DatabaseTiles(), old.size, new.size)
        verify_consistency(old.size, new.size, old.root_hash, new.root_hash, proof.hashes)
    except (ProofError, MissingHashError) as error:
        return (
            f"refused a checkpoint of {new.size} entries that is not consistent with the "
            f"witnessed one of {old.size} ({error}): the log was rewritten"
        )
    return ""


def _write(directory: Path, note: str) -> None:
    write_private(directory / WITNESS_FILE, note.encode("utf-8"))


def _put(url: str, note: str) -> None:
    response = request(
        "PUT",
        url,
        content=note.encode("utf-8"),
        headers={"Content-Type": "text/plain; charset=utf-8"},
    )
    if not response.is_success:
        raise WitnessError(f"{redact(url)} answered HTTP {response.status_code} to PUT")
