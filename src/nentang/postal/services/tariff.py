"""Quotes from the tariff table, which is data (``postal/data/tariff-*.json``).

Zone by the pair of provinces (same province, same region, adjacent regions, far),
price by weight band and service, the charged weight being the larger of the actual
and the volumetric weight (L × W × H / divisor). Insurance and COD fees are rates with
minimums. The limits (weight, size, COD amount) are in the same file.
"""

from __future__ import annotations

import datetime
import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.utils.translation import gettext as _

from nentang.kernel.errors import FieldError
from nentang.kernel.workdays import current_calendar

DATA = Path(__file__).resolve().parent.parent / "data"


@cache
def tariff() -> dict[str, Any]:
    """The tariff in force: the file with the latest ``effective_from``."""
    files = sorted(DATA.glob("tariff-*.json"))
    return dict(json.loads(files[-1].read_text("utf-8")))


@dataclass(frozen=True)
class Parcel:
    weight_g: int
    length_cm: int
    width_cm: int
    height_cm: int


@dataclass(frozen=True)
class Quote:
    service: str
    zone: str
    charged_weight_g: int
    shipping: int
    insurance: int
    cod_fee: int
    total: int
    transit_days: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "zone": self.zone,
            "charged_weight_g": self.charged_weight_g,
            "fee_shipping": self.shipping,
            "fee_insurance": self.insurance,
            "fee_cod": self.cod_fee,
            "fee_total": self.total,
            "transit_days": self.transit_days,
        }


def region_of(province_code: str) -> str:
    for region, codes in tariff()["regions"].items():
        if province_code in codes:
            return str(region)
    return ""


def zone_of(from_province: str, to_province: str) -> str:
    if from_province == to_province:
        return "same_province"
    a, b = region_of(from_province), region_of(to_province)
    if a == b:
        return "same_region"
    if [a, b] in tariff()["adjacent_regions"] or [b, a] in tariff()["adjacent_regions"]:
        return "adjacent_region"
    return "far"


def parcel_errors(parcel: Parcel, *, prefix: str = "") -> list[FieldError]:
    """Field errors for a weight or size the service does not carry."""
    limits = tariff()["limits"]
    errors: list[FieldError] = []
    if parcel.weight_g <= 0:
        errors.append(
            FieldError(f"{prefix}weight_g", _("The weight must be above 0 g."), "too_small")
        )
    elif parcel.weight_g > limits["max_weight_g"]:
        errors.append(
            FieldError(
                f"{prefix}weight_g",
                _("At most %(n)s g per parcel.")
                % {"n": f"{limits['max_weight_g']:,}".replace(",", ".")},
                "too_heavy",
            )
        )
    sides = {
        "length_cm": parcel.length_cm,
        "width_cm": parcel.width_cm,
        "height_cm": parcel.height_cm,
    }
    for name, value in sides.items():
        if value <= 0:
            errors.append(FieldError(f"{prefix}{name}", _("Must be at least 1 cm."), "too_small"))
        elif value > limits["max_side_cm"]:
            errors.append(
                FieldError(
                    f"{prefix}{name}",
                    _("No side may exceed %(n)s cm.") % {"n": limits["max_side_cm"]},
                    "oversize",
                )
            )
    if all(v > 0 for v in sides.values()):
        longest = max(sides.values())
        girth = 2 * (sum(sides.values()) - longest)
        if longest + girth > limits["max_length_plus_girth_cm"]:
            errors.append(
                FieldError(
                    f"{prefix}length_cm",
                    _("Length plus girth may not exceed %(n)s cm.")
                    % {"n": limits["max_length_plus_girth_cm"]},
                    "oversize",
                )
            )
    return errors


def money_errors(
    *, declared_value: int, insured: bool, cod_amount: int, prefix: str = ""
) -> list[FieldError]:
    table = tariff()
    errors: list[FieldError] = []
    if cod_amount < 0:
        errors.append(FieldError(f"{prefix}cod_amount", _("Cannot be negative."), "too_small"))
    elif cod_amount > table["cod"]["maximum_amount"]:
        errors.append(
            FieldError(
                f"{prefix}cod_amount",
                _("Cash on delivery is at most %(n)s ₫ per parcel.")
                % {"n": f"{table['cod']['maximum_amount']:,}".replace(",", ".")},
                "cod_too_high",
            )
        )
    if declared_value < 0:
        errors.append(FieldError(f"{prefix}declared_value", _("Cannot be negative."), "too_small"))
    elif declared_value > table["insurance"]["max_declared_value"]:
        errors.append(
            FieldError(
                f"{prefix}declared_value",
                _("A declared value above %(n)s ₫ is not accepted.")
                % {"n": f"{table['insurance']['max_declared_value']:,}".replace(",", ".")},
                "too_large",
            )
        )
    if insured and declared_value <= 0:
        errors.append(
            FieldError(
                f"{prefix}declared_value", _("Insurance needs a declared value."), "required"
            )
        )
    return errors


def quote(
    *,
    service: str,
    from_province: str,
    to_province: str,
    parcel: Parcel,
    declared_value: int = 0,
    insured: bool = False,
    cod_amount: int = 0,
) -> Quote:
    """The price of one parcel (inputs already validated by the caller)."""
    table = tariff()
    rules = table["services"][service]
    zone = zone_of(from_province, to_province)
    volumetric = math.ceil(
        parcel.length_cm
        * parcel.width_cm
        * parcel.height_cm
        * 1000
        / table["volumetric_divisor_cm3_per_kg"]
    )
    charged = max(parcel.weight_g, volumetric)
    bands: list[int] = table["weight_bands_g"]
    prices: list[int] = rules["prices"][zone]
    if charged <= bands[-1]:
        shipping = next(price for band, price in zip(bands, prices, strict=True) if charged <= band)
    else:
        extra = math.ceil((charged - bands[-1]) / 500)
        shipping = prices[-1] + extra * rules["per_extra_500g"][zone]
    insurance = 0
    if insured:
        rate = table["insurance"]
        insurance = max(rate["minimum"], declared_value * rate["rate_permille"] // 1000)
    cod_fee = 0
    if cod_amount > 0:
        rate = table["cod"]
        cod_fee = max(rate["minimum"], cod_amount * rate["rate_permille"] // 1000)
    return Quote(
        service=service,
        zone=zone,
        charged_weight_g=charged,
        shipping=shipping,
        insurance=insurance,
        cod_fee=cod_fee,
        total=shipping + insurance + cod_fee,
        transit_days=int(rules["transit_days"][zone]),
    )


def promised_date(start: datetime.date, transit_days: int) -> datetime.date:
    """The delivery date promised: ``transit_days`` working days after posting."""
    return current_calendar().add_working_days(start, transit_days)
