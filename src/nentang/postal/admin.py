"""Operators' view of the postal tables (Django admin): read-only, because every change
goes through the services (audit entry, webhooks, COD port). The flagged tracking events
— impossible transitions that were stored but not applied — are one filter away."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

from nentang.postal.models import (
    CodRemittance,
    Facility,
    Merchant,
    MerchantStaff,
    PostalWorker,
    Shipment,
    TrackingEvent,
)


class ReadOnly(admin.ModelAdmin):  # type: ignore[type-arg]
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


@admin.register(Facility)
class FacilityAdmin(ReadOnly):
    list_display = ("code", "name", "kind", "city", "ward_code", "is_active")
    list_filter = ("kind", "city")


@admin.register(PostalWorker)
class PostalWorkerAdmin(ReadOnly):
    list_display = ("full_name", "facility", "is_active", "created_at")


@admin.register(Merchant)
class MerchantAdmin(ReadOnly):
    list_display = ("name", "code", "tax_code", "client_id", "remittance_days", "is_active")


@admin.register(MerchantStaff)
class MerchantStaffAdmin(ReadOnly):
    list_display = ("merchant", "account", "is_active", "created_at")


@admin.register(Shipment)
class ShipmentAdmin(ReadOnly):
    list_display = ("s10", "status", "service", "merchant", "cod_status", "created_at")
    list_filter = ("status", "service", "cod_status")
    search_fields = ("=s10", "=client_order_code", "=dossier_reference")
    show_full_result_count = False


@admin.register(TrackingEvent)
class TrackingEventAdmin(ReadOnly):
    list_display = ("shipment", "code", "occurred_at", "facility_code", "flag", "recorded_at")
    list_filter = ("flag", "code")
    list_select_related = ("shipment",)
    show_full_result_count = False


@admin.register(CodRemittance)
class CodRemittanceAdmin(ReadOnly):
    list_display = ("merchant", "amount", "shipment_count", "status", "paid_at")
