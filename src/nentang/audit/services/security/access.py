"""Who may operate security monitoring: active staff holding a Django permission.

Services and selectors check here, so the SOC pages, the CLI and tests meet the same
rule. Until the identity context lands, SOC operators are Django staff accounts with
the ``audit`` permissions (see audit/demo.py for the demo operator).
"""

from __future__ import annotations

from typing import Any, Protocol

from django.utils.translation import gettext as _

from nentang.audit.problems import AUDIT_PERMISSION_REQUIRED
from nentang.kernel.auditing import Actor
from nentang.kernel.errors import Forbidden


class Operator(Protocol):
    """The narrow view of a user that the security services need."""

    @property
    def is_active(self) -> bool: ...

    @property
    def is_staff(self) -> bool: ...

    def get_username(self) -> str: ...

    def has_perm(self, perm: str, obj: Any = None) -> bool: ...


# Permissions, named once (Django's default model permissions and one of ours).
VIEW_ALERTS = "audit.view_alert"
CHANGE_ALERTS = "audit.change_alert"
VIEW_EVENTS = "audit.view_securityevent"
EXPORT_EVENTS = "audit.export_securityevent"
VIEW_AUDIT_LOG = "audit.view_auditentry"
VIEW_SYSTEMS = "audit.view_system"
ADD_SYSTEMS = "audit.add_system"
CHANGE_SYSTEMS = "audit.change_system"
CHANGE_RETENTION = "audit.change_retentionpolicy"

SOC_PERMISSIONS = (
    VIEW_ALERTS,
    CHANGE_ALERTS,
    VIEW_EVENTS,
    EXPORT_EVENTS,
    VIEW_AUDIT_LOG,
    VIEW_SYSTEMS,
    ADD_SYSTEMS,
    CHANGE_SYSTEMS,
    CHANGE_RETENTION,
    "audit.view_retentionpolicy",
    "audit.view_detectionrule",
    # Responses to alerts (block an address, lock an account) are identity's to decide.
    "identity.respond_to_alerts",
)


def may(operator: Operator | None, permission: str) -> bool:
    if operator is None or not operator.is_active or not operator.is_staff:
        return False
    return operator.has_perm(permission)


def require(operator: Operator | None, permission: str) -> None:
    """Raise 403 ``audit_permission_required`` unless ``operator`` holds ``permission``."""
    if not may(operator, permission):
        raise Forbidden(
            _("This needs a security operator account with the permission “%(perm)s”.")
            % {"perm": permission},
            code=AUDIT_PERMISSION_REQUIRED,
        )


def operator_actor(operator: Operator) -> Actor:
    """The operator as an audit actor: an officer, pseudonymised by the log."""
    return Actor.officer(operator.get_username())
