"""Public API of the administrative units: provinces and wards (commune-level units).

Reference data published by the State, so no authentication. "Ward" here means any
commune-level unit (xã, phường or đặc khu), as carriers' and payment APIs use the word;
``kind`` tells which one it is.
"""

from __future__ import annotations

import datetime
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from ninja import Field, Router, Schema
from ninja.params.functions import Path, Query

from nentang.addresses import selectors
from nentang.addresses.models import Commune, CommuneKind, Province, ProvinceKind
from nentang.kernel.api import Problem
from nentang.kernel.errors import FieldError, ValidationFailed
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


# --- normalisation and digital address codes ------------------------------------------

MAX_BATCH = 1000


class NormalizeIn(Schema):
    address: str | None = Field(
        None, max_length=500, description=gettext_noop("One address, any form.")
    )
    addresses: list[str] | None = Field(
        None, max_length=MAX_BATCH, description=gettext_noop("Up to 1,000 addresses at once.")
    )


class CandidateOut(Schema):
    ward_code: str
    ward_name: str
    province_code: str
    province_name: str
    postal_code: str


class LegacyOut(Schema):
    ward_code: str | None
    ward_name: str | None
    district_code: str
    district_name: str
    province_code: str
    province_name: str


class NormalizedOut(Schema):
    input: str
    status: str = Field(description=gettext_noop("resolved, ambiguous or unresolved"))
    reason: str | None
    line: str
    ward_code: str | None
    ward_name: str | None
    province_code: str | None
    province_name: str | None
    postal_code: str | None
    confidence: float
    regime: str | None = Field(
        description=gettext_noop("2025 (two levels) or pre_2025 (converted)")
    )
    formatted: str | None
    legacy: LegacyOut | None
    candidates: list[CandidateOut]


class NormalizeManyOut(Schema):
    results: list[NormalizedOut]


class DigitalCodeIn(Schema):
    latitude: float = Field(ge=-90, le=90)
    longitude: float = Field(ge=-180, le=180)


class DigitalCodeOut(Schema):
    code: str
    postal_code: str
    plus_code: str
    latitude: float
    longitude: float
    south: float
    west: float
    north: float
    east: float
    ward_code: str


@router.post(
    "/normalize",
    response={200: NormalizedOut | NormalizeManyOut, 400: Problem, 422: Problem},
    summary=gettext_noop("Normalise addresses written in any form (one, or up to 1,000)"),
    description=gettext_noop(
        "Full marks or none, abbreviations (P., Q., TP., Tp HCM, HCM, SG, HN, Tx., H.), "
        "house and street first or last, typos, pre-reform addresses (old ward, district, "
        "one of the 63 provinces) converted to today's ward — with every candidate when the "
        "old ward was split, never a silent choice."
    ),
)
def normalize(request: HttpRequest, payload: NormalizeIn) -> object:
    if (payload.address is None) == (payload.addresses is None):
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError("address", _("Give either address or addresses."), "required")],
        )
    if payload.address is not None:
        return selectors.address_normalize(text=payload.address).as_dict()
    texts = payload.addresses or []
    if any(len(text) > 500 for text in texts):
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError("addresses", _("Each address is at most 500 characters."), "too_long")
            ],
        )
    return {"results": [r.as_dict() for r in selectors.address_normalize_many(texts=texts)]}


def _cell_out(cell: selectors.Cell) -> DigitalCodeOut:
    return DigitalCodeOut(**cell.__dict__)


@router.post(
    "/digital-codes",
    response={200: DigitalCodeOut, 400: Problem, 422: Problem},
    summary=gettext_noop("The digital address code of a point (postal code + ~3 m plus code)"),
)
def digital_code_encode(request: HttpRequest, payload: DigitalCodeIn) -> DigitalCodeOut:
    try:
        cell = selectors.digital_code_encode(latitude=payload.latitude, longitude=payload.longitude)
    except selectors.InvalidDigitalCode as error:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[FieldError("latitude", _("The point is outside Vietnam."), "outside_vietnam")],
        ) from error
    return _cell_out(cell)


@router.get(
    "/digital-codes/{code}",
    response={200: DigitalCodeOut, 422: Problem},
    summary=gettext_noop("Decode a digital address code to its cell"),
)
def digital_code_decode(request: HttpRequest, code: str) -> DigitalCodeOut:
    try:
        cell = selectors.digital_code_decode(code=code)
    except selectors.InvalidDigitalCode:
        raise ValidationFailed(
            _("Some fields are invalid."),
            errors=[
                FieldError(
                    "code",
                    _(
                        "A digital address code is 5 digits, a hyphen and a plus code, "
                        "e.g. 70000-7P28QPG2+Q96."
                    ),
                    "invalid_format",
                )
            ],
        ) from None
    return _cell_out(cell)
