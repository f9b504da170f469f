"""NGSI-LD geo-queries (``georel``, ``geometry``, ``coordinates``, ``geoproperty``).

Without PostGIS the store keeps each entity's bounding box in four indexed columns; the
selectors narrow candidates with :meth:`GeoQuery.bbox` and this module decides exactly
with Shapely. Distances (``near``) are in metres on a local equirectangular projection
around the reference point, accurate to well under 1 % over city distances.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from nentang.smartcity.ngsild.entities import DEPTH, check_geometry
from nentang.smartcity.ngsild.errors import bad_data

if TYPE_CHECKING:
    from shapely.geometry.base import BaseGeometry

# Shapely (with NumPy, ~0.5 s of a core) is imported by the functions that use it, so a
# process that never answers a geo-query or stores a location does not load it.

EARTH_M_PER_DEG = 111_320.0
RELATIONS = ("near", "within", "contains", "intersects", "equals", "disjoint", "overlaps")


@dataclass(frozen=True)
class GeoQuery:
    georel: str
    geometry: dict[str, Any]
    shape: BaseGeometry
    max_distance: float | None = None
    min_distance: float | None = None

    def bbox(self) -> tuple[float, float, float, float] | None:
        """The box any matching entity's box must intersect (None: no narrowing)."""
        if self.georel == "disjoint" or self.min_distance is not None:
            return None
        minx, miny, maxx, maxy = self.shape.bounds
        if self.max_distance is not None:
            lat = (miny + maxy) / 2
            dy = self.max_distance / EARTH_M_PER_DEG
            dx = self.max_distance / (EARTH_M_PER_DEG * max(math.cos(math.radians(lat)), 0.01))
            return (minx - dx, miny - dy, maxx + dx, maxy + dy)
        return (minx, miny, maxx, maxy)

    def matches(self, geometry: Mapping[str, Any]) -> bool:
        from shapely.geometry import shape

        other = shape(geometry)
        if self.georel == "near":
            distance = metres_between(self.shape, other)
            if self.max_distance is not None and distance > self.max_distance:
                return False
            return not (self.min_distance is not None and distance < self.min_distance)
        method = {
            "within": "within",
            "contains": "contains",
            "intersects": "intersects",
            "equals": "equals",
            "disjoint": "disjoint",
            "overlaps": "overlaps",
        }[self.georel]
        return bool(getattr(other, method)(self.shape))


def metres_between(a: BaseGeometry, b: BaseGeometry) -> float:
    from shapely.ops import transform

    origin = a.centroid
    scale_x = EARTH_M_PER_DEG * math.cos(math.radians(origin.y))

    def project(x: Any, y: Any, z: Any = None) -> tuple[Any, Any]:
        return ((x - origin.x) * scale_x, (y - origin.y) * EARTH_M_PER_DEG)

    return float(transform(project, a).distance(transform(project, b)))


def bounds(geometry: Mapping[str, Any]) -> tuple[float, float, float, float]:
    from shapely.geometry import shape

    minx, miny, maxx, maxy = shape(geometry).bounds
    return (float(minx), float(miny), float(maxx), float(maxy))


def parse(georel: str | None, geometry: str | None, coordinates: str | None) -> GeoQuery | None:
    """The geo-query of the request parameters, None when there is none."""
    if not georel and not geometry and not coordinates:
        return None
    if not (georel and geometry and coordinates):
        raise bad_data("A geo-query needs georel, geometry and coordinates together.")
    parts = georel.split(";")
    relation = parts[0]
    if relation not in RELATIONS:
        raise bad_data(f"georel must be one of {', '.join(RELATIONS)}.")
    max_distance = min_distance = None
    for modifier in parts[1:]:
        key, _, raw = modifier.partition("==")
        try:
            number = float(raw)
        except ValueError:
            raise bad_data("maxDistance and minDistance are numbers of metres.") from None
        if not math.isfinite(number) or number < 0:
            raise bad_data("maxDistance and minDistance are non-negative numbers of metres.")
        if key == "maxDistance":
            max_distance = number
        elif key == "minDistance":
            min_distance = number
        else:
            raise bad_data("near takes maxDistance==<metres> or minDistance==<metres>.")
    if relation == "near" and max_distance is None and min_distance is None:
        raise bad_data("near needs maxDistance==<metres> or minDistance==<metres>.")
    if relation != "near" and (max_distance is not None or min_distance is not None):
        raise bad_data("Only near takes a distance.")
    if geometry not in DEPTH:
        raise bad_data(f"geometry must be one of {', '.join(DEPTH)}.")
    try:
        parsed = json.loads(coordinates)
    except ValueError:
        raise bad_data("coordinates must be a JSON array such as [107.59,16.46].") from None
    checked = check_geometry({"type": geometry, "coordinates": parsed})
    from shapely.geometry import shape

    return GeoQuery(relation, checked, shape(checked), max_distance, min_distance)
