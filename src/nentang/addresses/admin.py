"""Read-only admin for the administrative units: they change by law, through migrations.

The search box folds what is typed, so "sai gon", "Sài Gòn" and "SÀI GÒN" find the same
units; a 2- or 5-digit code finds the unit with that code.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest

from nentang.addresses.models import Commune, DataSource, Province
from nentang.kernel.text import fold


class ReadOnlyAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Browse only: reference data is loaded by migrations, never edited by hand."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False


class FoldedSearchAdmin(ReadOnlyAdmin):
    """Search by folded name (every word must appear) or by exact code."""

    search_fields = ("name_folded",)  # turns the search box on; the lookup is below

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        if term.isascii() and term.isdigit():
            return queryset.filter(code=term), False
        condition = Q()
        for word in fold(term).split():
            condition &= Q(name_folded__contains=word)
        return queryset.filter(condition), False


@admin.register(Province)
class ProvinceAdmin(FoldedSearchAdmin):
    list_display = ("code", "name", "full_name", "kind", "effective_from", "effective_to")
    list_filter = ("kind",)
    ordering = ("code",)


@admin.register(Commune)
class CommuneAdmin(FoldedSearchAdmin):
    list_display = ("code", "name", "kind", "province", "effective_from", "effective_to")
    list_filter = ("kind", "province")
    list_select_related = ("province",)
    ordering = ("code",)
    show_full_result_count = False


@admin.register(DataSource)
class DataSourceAdmin(ReadOnlyAdmin):
    list_display = ("name", "version", "licence", "effective_from", "loaded_at")
