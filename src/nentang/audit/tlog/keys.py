"""The log's Ed25519 key on disk: a 32-byte seed in hex, created once with mode 0600
(kernel.privatefiles: atomic, one seed however many processes start at once)."""

from __future__ import annotations

import threading
from pathlib import Path

from nentang.kernel.privatefiles import load_or_create_key

_lock = threading.Lock()
_cache: dict[Path, bytes] = {}


def load_or_create_seed(path: Path) -> bytes:
    """The seed kept at ``path``, generated on first use; a damaged file raises
    :class:`~nentang.kernel.privatefiles.SecretFileError`."""
    with _lock:
        if path not in _cache:
            _cache[path] = load_or_create_key(path, size=32)
        return _cache[path]
