"""Demo data of the opendata context for ``nentang demo``.

Idempotent: look everything up first and create it through the services only when
missing, from seeded generators, so running the demo twice changes nothing.
"""

from __future__ import annotations

from nentang.kernel import demodata


@demodata.loader("opendata")
def load(progress: demodata.Progress) -> None:
    progress.start("Open data", 1)
    progress.advance()
