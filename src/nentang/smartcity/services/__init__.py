"""Write operations of the smartcity context (see docs/new-context.md): NGSI-LD entities
and batches (``entities``), subscriptions, tenants and grants (``common``). Each is a
keyword-only function taking the caller, checking its tenant grant, one transaction with
its audit entry."""

from __future__ import annotations

from nentang.smartcity.services.common import Caller, tenant_create, tenant_for, tenant_grant
from nentang.smartcity.services.devices import (
    KINDS,
    Reading,
    device_register,
    readings_ingest,
    signature,
)
from nentang.smartcity.services.entities import (
    AttrsResult,
    BatchResult,
    batch_delete,
    batch_write,
    entity_attr_delete,
    entity_attr_patch,
    entity_attrs_write,
    entity_create,
    entity_delete,
    entity_replace,
)
from nentang.smartcity.services.open_data import (
    feed_publisher_set,
    feeds_publish,
    feeds_schedule,
)
from nentang.smartcity.services.ratings import report_rate
from nentang.smartcity.services.reports import desk_set, report_act, report_create
from nentang.smartcity.services.retention import (
    history_prune,
    history_prune_schedule,
    tenant_retention_set,
)
from nentang.smartcity.services.routing import ward_route_set
from nentang.smartcity.services.subscriptions import (
    subscription_create,
    subscription_delete,
    subscription_set_active,
)
from nentang.smartcity.services.thresholds import threshold_set

__all__ = [
    "KINDS",
    "AttrsResult",
    "BatchResult",
    "Caller",
    "Reading",
    "batch_delete",
    "batch_write",
    "desk_set",
    "device_register",
    "entity_attr_delete",
    "entity_attr_patch",
    "entity_attrs_write",
    "entity_create",
    "entity_delete",
    "entity_replace",
    "feed_publisher_set",
    "feeds_publish",
    "feeds_schedule",
    "history_prune",
    "history_prune_schedule",
    "readings_ingest",
    "report_act",
    "report_create",
    "report_rate",
    "signature",
    "subscription_create",
    "subscription_delete",
    "subscription_set_active",
    "tenant_create",
    "tenant_for",
    "tenant_grant",
    "tenant_retention_set",
    "threshold_set",
    "ward_route_set",
]
