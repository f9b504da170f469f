"""The log's Ed25519 key on disk: a 32-byte seed in hex, created once with mode 0600."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from nacl.utils import random

_lock = threading.Lock()
_cache: dict[Path, bytes] = {}


def load_or_create_seed(path: Path) -> bytes:
    """The seed kept at ``path``, generated (and written with mode 0600) on first use."""
    with _lock:
        if path in _cache:
            return _cache[path]
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            try:
                seed = bytes.fromhex(path.read_text(encoding="ascii").strip())
            except ValueError:
                seed = b""
            if len(seed) != 32:
                raise ValueError(f"{path} does not hold a 32-byte Ed25519 seed in hex") from None
        else:
            seed = random(32)
            with os.fdopen(fd, "w", encoding="ascii") as handle:
                handle.write(seed.hex() + "\n")
        _cache[path] = seed
        return seed
