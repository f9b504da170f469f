"""Read operations of the publicservices context, with their permission checks (no BOLA):
a reader sees only what they may see, and every read of a person's data by someone
else is logged for that person (``identity.services.data_usage_record``).
"""

from __future__ import annotations
