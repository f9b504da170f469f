"""Python's cyclic garbage collector held off during one bounded batch.

A started nentang process holds some 330,000 objects the collector tracks. A batch that
keeps a few thousand new objects alive for its whole length (a sorting centre's 1,000
scans: the locked shipments, the event rows, the outbox payloads) has them promoted
from generation to generation while it runs, which soon triggers a full collection over
every object of the process: up to a third of the batch's CPU time, and nothing to
collect (what the batch made is freed by reference counting when it ends). Held off,
the collector runs after the batch as usual, over whatever cycles it left.

Only for work whose size is bounded (it allocates a known, limited amount): the
collector is process-wide, so the pause is counted across threads and the collector
comes back when the last pausing thread leaves, or was never on if it was off before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_pauses = 0
_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Hold off automatic garbage collection for the block (see the module docstring)."""
    global _pauses, _was_enabled
    with _lock:
        if _pauses == 0:
            _was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _lock:
            _pauses -= 1
            if _pauses == 0 and _was_enabled:
                gc.enable()
