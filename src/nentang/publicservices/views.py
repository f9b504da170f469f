"""HTML pages of the publicservices context: parse, authorise, call services and selectors,
render the design system's templates (``templates/publicservices/``). Vietnamese first: every
visible string goes through gettext. Becomes a ``views/`` package as pages grow.
"""

from __future__ import annotations
