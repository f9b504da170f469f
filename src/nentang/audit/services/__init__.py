"""Write operations of the audit context, by topic:

* entries — ``record`` an audit entry (the only way in), pseudonyms, leaf bytes;
* tlog — integrate pending entries into the Merkle tree, sign checkpoints;
* witness — publish signed checkpoints to a witness outside NENTANG_HOME;
* security — record security events, run detections, move alerts, register systems,
  prune raw events, export.
"""

from nentang.audit.services.entries import *  # noqa: F403
from nentang.audit.services.entries import __all__ as _entries
from nentang.audit.services.security import *  # noqa: F403
from nentang.audit.services.security import __all__ as _security
from nentang.audit.services.tlog import *  # noqa: F403
from nentang.audit.services.tlog import __all__ as _tlog
from nentang.audit.services.witness import *  # noqa: F403
from nentang.audit.services.witness import __all__ as _witness

__all__ = [*_entries, *_tlog, *_security, *_witness]
