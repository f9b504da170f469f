"""Public API of the administrative units: provinces and wards (commune-level units).

Reference data published by the State, so no authentication. "Ward" here means any
commune-level unit (xã, phường or đặc khu), as carriers' and payment APIs use the word;
``kind`` tells which one it is.
"""

from __future__ import annotations

import datetime
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Router, Schema
from ninja.params.functions import Path, Query

from nentang.addresses import selectors
from nentang.addresses.models import Commune, CommuneKind, Province, ProvinceKind
from nentang.kernel.api import Problem
from nentang.kernel.pagination import CursorQuery, LimitQuery, PageOut, paginate

router = Router(tags=["addresses"], auth=None)

ProvinceCode = Annotated[
    str,
    Path(
        description=gettext_noop("Province code, 2 digits (Decision 19/2025/QĐ-TTg), e.g. `79`."),
        pattern=r"^[0-9]{2}$",
    ),
]
WardCode = Annotated[
    str,
    Path(
        description=gettext_noop(
            "Ward (commune-level) code, 5 digits (Decision 19/2025/QĐ-TTg), e.g. `26740`."
        ),
        pattern=r"^[0-9]{5}$",
    ),
]
NameQuery = Annotated[
    str | None,
    Query(
        max_length=100,
        description=gettext_noop(
            "Words of the name, with or without Vietnamese marks, in any case: "
            "“phuong sai gon”, “Sài Gòn” and “SAI GON” all find Phường Sài Gòn."
        ),
    ),
]
Cursor = CursorQuery
Limit = LimitQuery


class ProvinceListItemOut(Schema):
    code: str
    name: str
    full_name: str
    kind: ProvinceKind
    kind_name: str

    @staticmethod
    def resolve_kind_name(obj: Province) -> str:
        return obj.get_kind_display()


class ProvinceOut(Schema):
    code: str
    name: str
    full_name: str
    kind: ProvinceKind
    kind_name: str
    effective_from: datetime.date
    effective_to: datetime.date | None
    ward_count: int

    @classmethod
    def build(cls, province: Province, *, ward_count: int) -> ProvinceOut:
        return cls(
            code=province.code,
            name=province.name,
            full_name=province.full_name,
            kind=ProvinceKind(province.kind),
            kind_name=province.get_kind_display(),
            effective_from=province.effective_from,
            effective_to=province.effective_to,
            ward_count=ward_count,
        )


class ProvinceWardItemOut(Schema):
    code: str
    name: str
    short_name: str
    kind: CommuneKind
    kind_name: str

    @staticmethod
    def resolve_kind_name(obj: Commune) -> str:
        return obj.get_kind_display()


class WardSearchItemOut(Schema):
    code: str
    name: str
    short_name: str
    kind: CommuneKind
    kind_name: str
    province_code: str
    province_name: str

    @staticmethod
    def resolve_kind_name(obj: Commune) -> str:
        return obj.get_kind_display()

    @staticmethod
    def resolve_province_code(obj: Commune) -> str:
        return obj.province_id

    @staticmethod
    def resolve_province_name(obj: Commune) -> str:
        return obj.province.name


class WardProvinceOut(Schema):
    code: str
    name: str
    full_name: str


class WardOut(Schema):
    code: str
    name: str
    short_name: str
    kind: CommuneKind
    kind_name: str
    province: WardProvinceOut
    effective_from: datetime.date
    effective_to: datetime.date | None

    @staticmethod
    def resolve_kind_name(obj: Commune) -> str:
        return obj.get_kind_display()


@router.get(
    "/provinces",
    response=list[ProvinceListItemOut],
    summary=gettext_noop("The 34 provincial units in force"),
    description=gettext_noop(
        "Tỉnh and thành phố in force today, by code (Resolution 202/2025/QH15)."
    ),
)
def province_list(request: HttpRequest) -> list[Province]:
    return list(selectors.province_list())


@router.get(
    "/provinces/{code}",
    response={200: ProvinceOut, 404: Problem, 422: Problem},
    summary=gettext_noop("One provincial unit by its 2-digit code"),
    description=gettext_noop(
        "404 `province_not_found` for an unknown code, 422 for a code that is not 2 digits."
    ),
)
def province_detail(request: HttpRequest, code: ProvinceCode) -> ProvinceOut:
    province = selectors.province_get(code=code)
    count = selectors.province_commune_count(province=province)
    return ProvinceOut.build(province, ward_count=count)


@router.get(
    "/provinces/{code}/wards",
    response={200: PageOut[ProvinceWardItemOut], 400: Problem, 404: Problem, 422: Problem},
    summary=gettext_noop("The wards (xã, phường, đặc khu) of one province, by name"),
    description=gettext_noop(
        "Ordered by folded name then code; 404 `province_not_found` for an unknown province."
    ),
)
def province_ward_list(
    request: HttpRequest,
    code: ProvinceCode,
    q: NameQuery = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> object:
    communes = selectors.commune_list(province_code=code, q=q)
    return paginate(communes, order=selectors.COMMUNE_ORDER, cursor=cursor, limit=limit)


@router.get(
    "/wards",
    response={200: PageOut[WardSearchItemOut], 400: Problem, 422: Problem},
    summary=gettext_noop("Search the wards of the whole country by name"),
    description=gettext_noop(
        "Ordered by folded name then code. Without ``q``, every ward in force."
    ),
)
def ward_search(
    request: HttpRequest,
    q: NameQuery = None,
    cursor: Cursor = None,
    limit: Limit = None,
) -> object:
    communes = selectors.commune_search(q=q)
    return paginate(communes, order=selectors.COMMUNE_ORDER, cursor=cursor, limit=limit)


@router.get(
    "/wards/{code}",
    response={200: WardOut, 404: Problem, 422: Problem},
    summary=gettext_noop("One ward by its 5-digit code"),
    description=gettext_noop(
        "404 `ward_not_found` for an unknown code, 422 for a code that is not 5 digits."
    ),
)
def ward_detail(request: HttpRequest, code: WardCode) -> Commune:
    return selectors.commune_get(code=code)
