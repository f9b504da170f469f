"""Demo data of the payments context for ``nentang demo``.

Idempotent: look everything up first and create it through the services only when
missing, from seeded generators, so running the demo twice changes nothing.
"""

from __future__ import annotations

from nentang.kernel import demodata


@demodata.loader("payments")
def load(progress: demodata.Progress) -> None:
    progress.start("Mobile money and payments", 1)
    progress.advance()
