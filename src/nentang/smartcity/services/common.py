"""Who calls and which tenant they reach: shared by the smartcity services."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone

from nentang.kernel import auditing
from nentang.kernel.auditing import Actor
from nentang.smartcity.models import Tenant, TenantGrant
from nentang.smartcity.ngsild.errors import NgsiError


@dataclass(frozen=True)
class Caller:
    """The NGSI-LD caller: a machine client (bearer token) or trusted platform code
    (the MQTT bridge, the demo, operators' commands)."""

    actor: Actor
    client_id: str = ""
    trusted: bool = False

    @classmethod
    def client(cls, client_id: str) -> Caller:
        return cls(Actor.client(client_id), client_id)

    @classmethod
    def system(cls, name: str) -> Caller:
        return cls(Actor.system(name), "", trusted=True)


def tenant_for(caller: Caller, name: str, *, write: bool) -> Tenant:
    """The tenant ``name`` if the caller may read (or write) it, else an NGSI-LD error."""
    if caller.trusted:
        tenant = Tenant.objects.filter(name=name).first()
        if tenant is None:
            raise NgsiError("NonexistentTenant", f"There is no tenant {name!r}.")
        return tenant
    # One query: the grant with its tenant. A tenant this client has no grant for looks
    # like a tenant that does not exist.
    grant = (
        TenantGrant.objects.select_related("tenant")
        .filter(tenant__name=name, client_id=caller.client_id)
        .first()
    )
    if grant is None:
        raise NgsiError("NonexistentTenant", f"There is no tenant {name!r}.")
    if write and not grant.can_write:
        raise NgsiError("Forbidden", "This client may read this tenant but not change it.")
    return grant.tenant


def tenant_create(*, actor: Actor, name: str, title: str, retention_days: int = 0) -> Tenant:
    """Create the tenant ``name`` (idempotent: an existing tenant is returned as it is)."""
    from django.db import connection, transaction

    if len(name) > 64 or not all(c.isalnum() or c in "-_" for c in name):
        raise NgsiError("BadRequestData", "A tenant name is letters, digits, '-' and '_'.")
    with transaction.atomic():
        tenant, created = Tenant.objects.get_or_create(
            name=name,
            defaults={
                "title": title,
                "retention_days": retention_days,
                "created_at": timezone.now(),
            },
        )
        if created:
            auditing.record(
                actor=actor,
                action="smartcity.tenant.create",
                subject_type="smartcity.tenant",
                subject=name or "(default)",
                summary={"title": title},
            )
    if created and connection.vendor == "postgresql":
        # The history's monthly partitions are kept ahead by a daily task (queued once).
        from nentang.smartcity.services.partitions import history_partitions_schedule

        transaction.on_commit(history_partitions_schedule, robust=True)
    return tenant


def tenant_grant(*, actor: Actor, tenant: str, client_id: str, can_write: bool) -> TenantGrant:
    """Let a machine client read (and, with ``can_write``, change) a tenant."""
    from django.db import transaction

    with transaction.atomic():
        row = Tenant.objects.get(name=tenant)
        same = TenantGrant.objects.filter(tenant=row, client_id=client_id, can_write=can_write)
        existing = same.first()
        if existing is not None:
            return existing  # unchanged: nothing to record
        grant, _ = TenantGrant.objects.update_or_create(
            tenant=row, client_id=client_id, defaults={"can_write": can_write}
        )
        auditing.record(
            actor=actor,
            action="smartcity.tenant.grant",
            subject_type="smartcity.tenant",
            subject=tenant or "(default)",
            summary={"client_id": client_id, "can_write": can_write},
        )
    return grant
