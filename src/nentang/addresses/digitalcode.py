"""Digital address codes: a 5-digit postal code and an Open Location Code.

Modelled on Vietnam Post's Vpostcode (a postal code plus a location code on an Open
Location Code grid of about 3 m × 3 m): ``70000-7P28QPG2+Q96``. The location part is an
11-digit plus code (cell of 1/8000° × 1/32000°: about 3.5 m × 3 m in Vietnam), encoded
and decoded with Google's reference ``openlocationcode``. The postal code is that of the
ward whose centroid is nearest the point (a centroid, not a boundary: the code says where
the cell is; the postal code is a routing hint that the address's ward code overrides).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from openlocationcode import openlocationcode as olc  # type: ignore[import-untyped]  # ships no type information

from nentang.addresses.normaliser.index import get_index

CODE_LENGTH = 11
PATTERN = re.compile(r"^([0-9]{5})-([23456789CFGHJMPQRVWX]{8}\+[23456789CFGHJMPQRVWX]{3})$")
# Vietnam's bounding box with a margin (Hoàng Sa and Trường Sa included).
_LAT = (6.0, 24.0)
_LON = (101.5, 118.0)


class InvalidDigitalCode(ValueError):
    """The text is not a digital address code, or the point is outside Vietnam."""


@dataclass(frozen=True)
class Cell:
    code: str
    postal_code: str
    plus_code: str
    latitude: float  # centre of the cell
    longitude: float
    south: float
    west: float
    north: float
    east: float
    ward_code: str  # nearest ward centroid (routing hint)


def _nearest_ward(latitude: float, longitude: float) -> str:
    index = get_index()
    scale = math.cos(math.radians(latitude))
    best, best_d = "", math.inf
    for code, (lat, lon) in index.centroids.items():
        d = (lat - latitude) ** 2 + ((lon - longitude) * scale) ** 2
        if d < best_d:
            best, best_d = code, d
    return best


def encode(latitude: float, longitude: float) -> Cell:
    """The code of the ~3 m cell containing the point."""
    if not (_LAT[0] <= latitude <= _LAT[1] and _LON[0] <= longitude <= _LON[1]):
        raise InvalidDigitalCode("the point is outside Vietnam")
    plus = olc.encode(latitude, longitude, CODE_LENGTH)
    return decode(f"{get_index().postal_codes[_nearest_ward(latitude, longitude)]}-{plus}")


def decode(code: str) -> Cell:
    """The cell a code names, or :class:`InvalidDigitalCode`."""
    text = "".join(str(code or "").split()).upper()
    found = PATTERN.fullmatch(text)
    if found is None or not olc.isFull(found.group(2)):
        raise InvalidDigitalCode("expected 5 digits, a hyphen and an 11-digit plus code")
    area = olc.decode(found.group(2))
    south, west, north, east = area.latitudeLo, area.longitudeLo, area.latitudeHi, area.longitudeHi
    centre_lat, centre_lon = area.latitudeCenter, area.longitudeCenter
    if not (_LAT[0] <= centre_lat <= _LAT[1] and _LON[0] <= centre_lon <= _LON[1]):
        raise InvalidDigitalCode("the cell is outside Vietnam")
    ward = _nearest_ward(centre_lat, centre_lon)
    return Cell(
        code=text,
        postal_code=found.group(1),
        plus_code=found.group(2),
        latitude=round(centre_lat, 7),
        longitude=round(centre_lon, 7),
        south=south,
        west=west,
        north=north,
        east=east,
        ward_code=ward,
    )
