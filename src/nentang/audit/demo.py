"""Demo data of security monitoring: a SOC operator and a replayed brute-force attack.

Idempotent: the operator is created once (its password reset to the demo one), and
the attack is replayed only while no alert of the brute-force rule exists for the demo
address, so running ``nentang demo`` twice changes nothing.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from nentang.audit.models import Alert
from nentang.audit.services.entries import pseudonym
from nentang.audit.services.security import (
    SOC_PERMISSIONS,
    security_defaults_install,
    security_event_record,
)
from nentang.kernel import demodata
from nentang.kernel.auditing import Actor

SOC_LOGIN = "soc"
SOC_PASSWORD = "demo-soc-2026"  # noqa: S105 - a documented demo account
SOC_GROUP = "SOC operators"
# TEST-NET-3 (RFC 5737): an address for documentation, never a real attacker.
DEMO_ATTACKER = "203.0.113.66"
ATTEMPTS = 9

ACCOUNTS = (
    demodata.DemoAccount(
        role="security operator (SOC)",
        login=SOC_LOGIN,
        password=SOC_PASSWORD,
        note="/soc/",
    ),
)


def _operator() -> None:
    group, _created = Group.objects.get_or_create(name=SOC_GROUP)
    group.permissions.set(
        [
            Permission.objects.get(content_type__app_label=app, codename=codename)
            for app, codename in (permission.split(".", 1) for permission in SOC_PERMISSIONS)
        ]
    )
    user_model = get_user_model()
    user = user_model.objects.filter(username=SOC_LOGIN).first()
    if user is None:
        user = user_model.objects.create_user(
            username=SOC_LOGIN, password=SOC_PASSWORD, is_staff=True
        )
    elif not user.check_password(SOC_PASSWORD):
        user.set_password(SOC_PASSWORD)
        user.save(update_fields=["password"])
    user.groups.add(group)


def _attack_replayed() -> bool:
    return Alert.objects.filter(rule__code="auth-brute-force", key=DEMO_ATTACKER).exists()


def _replay_attack(progress: demodata.Progress) -> None:
    """Failed logins against a guessed administrator account, then one that worked."""
    target = pseudonym("admin")
    for _attempt in range(ATTEMPTS):
        security_event_record(
            kind="auth.failure",
            outcome="failure",
            severity="low",
            source_ip=DEMO_ATTACKER,
            actor=Actor.anonymous(),
            subject=target,
            detail={"channel": "admin", "demo": True},
        )
        progress.advance()
    security_event_record(
        kind="auth.success",
        outcome="success",
        source_ip=DEMO_ATTACKER,
        actor=Actor.officer("admin"),
        subject=target,
        detail={"channel": "admin", "demo": True},
    )
    progress.advance()


@demodata.loader("audit", accounts=ACCOUNTS)
def load(progress: demodata.Progress) -> None:
    progress.start("SOC operator and a replayed brute-force attack", ATTEMPTS + 2)
    with transaction.atomic():
        security_defaults_install()
        _operator()
    progress.advance()
    if not _attack_replayed():
        with transaction.atomic():
            _replay_attack(progress)
    else:
        progress.advance(ATTEMPTS + 1)
