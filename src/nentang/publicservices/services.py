"""Write operations of the publicservices context.

Each is a keyword-only, typed ``<entity>_<verb>`` function that takes the acting
account explicitly, checks its permission, is its own transaction and records its audit
entry inside it (``kernel.auditing.record``). Follow-up work goes through the outbox
(``kernel.events.emit``) or ``transaction.on_commit``. Split into a ``services/``
package by topic before this file passes ~600 lines.
"""

from __future__ import annotations
