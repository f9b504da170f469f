"""Integrating entries into the transparency log and signing checkpoints.

(Being written: see the audit issue. ``integration_schedule`` is called after every
commit that recorded entries.)
"""

from __future__ import annotations

__all__ = ["integration_schedule"]


def integration_schedule() -> None:
    """Ask the background integrator to run (deduplicated)."""
