"""Private files under ``NENTANG_HOME``: secrets and state, written atomically, owner only.

Every secret file of the platform (the generated ``SECRET_KEY``, the audit log's
signing seed and pseudonym key, the OpenID provider's keys) goes through this module,
so that each of them is:

* **never seen half-written** — the content goes to a temporary file in the same
  directory (created ``0600``), is flushed and ``fsync``-ed, and only then appears under
  its name in one step (``link`` for a file made once, ``replace`` for one rewritten),
  followed by an ``fsync`` of the directory so the name survives a crash;
* **made once** — creation runs under an exclusive ``flock`` and the final ``link``
  refuses to overwrite, so two processes starting on a fresh home agree on one key
  (before this, a reader could see the file between its creation and its write and
  cache an empty key for its lifetime);
* **refused when damaged** — an empty, short or malformed key on disk stops the process
  with a sentence naming the file, instead of being used;
* **private** — files ``0600``, directories ``0700``, whatever the umask.

No Django here: ``config.env`` uses it before the settings exist.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = [
    "FILE_MODE",
    "PRIVATE_UMASK",
    "SecretFileError",
    "file_lock",
    "load_or_create_key",
    "load_or_create_text",
    "private_directory",
    "private_file",
    "private_process",
    "write_private",
]

FILE_MODE = 0o600
DIRECTORY_MODE = 0o700
# What nentang processes create is for their owner only: the SQLite file and its WAL,
# uploads, metrics files, keys (Decree 13/2023 and Law 91/2025 on personal data).
PRIVATE_UMASK = 0o077


class SecretFileError(ValueError):
    """A secret file is missing its content or holds something that is not a key.

    ``str(error)`` is one sentence for the operator naming the file and what to do.
    """


def private_directory(path: Path) -> Path:
    """Create ``path`` (and missing parents) with mode 0700; tighten it if it exists."""
    missing = []
    current = path
    while not current.exists():
        missing.append(current)
        if current.parent == current:
            break
        current = current.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=DIRECTORY_MODE)
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, DIRECTORY_MODE)
    return path


def private_process() -> None:
    """From now on this process creates files 0600 and folders 0700 (umask 077),
    whatever umask it was started with: the SQLite file, its WAL and shared memory,
    uploads, metrics files, exports. Called when the configuration is read, before any
    of them exists; Granian's workers and the task worker inherit it."""
    os.umask(PRIVATE_UMASK)


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 when missing; tighten it when it exists
    (a database file made by an older version under a permissive umask)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, FILE_MODE)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private(path: Path, data: bytes, *, replace: bool = True) -> bool:
    """Put ``data`` at ``path`` atomically with mode 0600: a reader sees the old
    content, or none, or all of the new, never a part.

    With ``replace=False`` the file is created only if it does not exist yet (an
    atomic ``link``); returns False, writing nothing, when it already existed.
    """
    private_directory(path.parent)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    try:
        try:
            os.fchmod(fd, FILE_MODE)  # whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        if replace:
            os.replace(temporary, path)
            created = True
        else:
            try:
                os.link(temporary, path)
                created = True
            except FileExistsError:
                created = False
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
    if created:
        _fsync_directory(path.parent)
    return created


@contextlib.contextmanager
def file_lock(path: Path) -> Iterator[None]:
    """An exclusive lock between processes, held on the (0600) file ``path``."""
    private_directory(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, FILE_MODE)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)


def _read(path: Path, check: Callable[[str], str | None]) -> str:
    try:
        text = path.read_text(encoding="utf-8").strip()
    except UnicodeDecodeError:
        text = "\ufffd"
    problem = "it is empty" if not text else check(text)
    if problem:
        raise SecretFileError(
            f"{path} is damaged ({problem}); restore it from a backup, or delete it to "
            "generate a new one (which invalidates what the old one signed or keyed)."
        )
    if os.stat(path).st_mode & 0o077:
        os.chmod(path, FILE_MODE)  # written by an older version or by hand: make it private
    return text


def load_or_create_text(
    path: Path, *, generate: Callable[[], str], check: Callable[[str], str | None]
) -> str:
    """The secret kept at ``path`` (surrounding white space removed), generated by
    ``generate`` and written once on first use.

    ``check`` returns why a stored text is not acceptable (None when it is); an
    unacceptable file raises :class:`SecretFileError` and is never overwritten: a key
    that others relied on must not be silently replaced.
    """
    if path.exists():
        return _read(path, check)
    with file_lock(path.with_name(f".{path.name}.lock")):
        if not path.exists():  # another process may have won the lock
            fresh = generate().strip()
            if check(fresh):
                raise ValueError(f"generated secret for {path} fails its own check")
            write_private(path, (fresh + "\n").encode("utf-8"), replace=False)
    return _read(path, check)


def load_or_create_key(path: Path, *, size: int = 32) -> bytes:
    """``size`` random bytes kept at ``path`` in hex, generated on first use."""

    def check(text: str) -> str | None:
        try:
            value = bytes.fromhex(text)
        except ValueError:
            return "it is not hexadecimal"
        if len(value) != size:
            return f"it holds {len(value)} bytes, not {size}"
        return None

    return bytes.fromhex(
        load_or_create_text(path, generate=lambda: secrets.token_hex(size), check=check)
    )
