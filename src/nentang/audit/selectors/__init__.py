"""Read operations of the audit context: tlog (entries by index, proofs, tiles,
checkpoints) and security (alerts, events, systems), each permission-checked where
the data is not public."""

from nentang.audit.selectors.security import *  # noqa: F403
from nentang.audit.selectors.security import __all__ as _security
from nentang.audit.selectors.tlog import *  # noqa: F403
from nentang.audit.selectors.tlog import __all__ as _tlog

__all__ = [*_tlog, *_security]
