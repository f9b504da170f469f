"""HTML pages of the payments context: parse, authorise, call services and selectors,
render the design system's templates (``templates/payments/``). Vietnamese first: every
visible string goes through gettext. Becomes a ``views/`` package as pages grow.
"""

from __future__ import annotations
