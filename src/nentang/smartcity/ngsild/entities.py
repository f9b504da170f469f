"""NGSI-LD entities in and out: checking a payload and turning it into the stored form
(terms expanded to IRIs), and rendering the stored form in the caller's terms.

Stored form of an entity::

    {"id": "urn:…", "type": ["<type IRI>", …], "scope": [...]?,
     "attrs": {"<attribute IRI>": [<instance>, …]}}

and of an attribute instance (one per ``datasetId``)::

    {"type": "Property" | "Relationship" | "GeoProperty" | "LanguageProperty",
     "value" | "object" | "languageMap": …, "observedAt"?: "…Z", "unitCode"?: "…",
     "datasetId"?: "urn:…", "createdAt": "…Z", "modifiedAt": "…Z",
     "sub": {"<sub-attribute IRI>": [<instance>, …]}?}
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from nentang.smartcity.ngsild.contexts import NGSI_LD, TermMap
from nentang.smartcity.ngsild.errors import bad_data

# No control character either: a NUL in an id was a 500 on PostgreSQL.
URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s\x00-\x1f\x7f<>\"{}|\\^`]+$")
ATTR_NAME = re.compile(r"^[^\s\x00-\x1f\x7f<>\"'=;()\[\]\\?&#]{1,256}$")
ATTRIBUTE_TYPES = ("Property", "Relationship", "GeoProperty", "LanguageProperty")
GEOJSON_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
)
RESERVED = {"@context", "id", "type", "scope", "createdAt", "modifiedAt", "deletedAt"}
SUB_RESERVED = {
    "type",
    "value",
    "object",
    "languageMap",
    "observedAt",
    "unitCode",
    "datasetId",
    "createdAt",
    "modifiedAt",
    "instanceId",
}
LOCATION = NGSI_LD + "location"
MAX_ID = 256
MAX_ATTRS = 500


def now_text() -> str:
    return iso(datetime.now(UTC))


def _not_json(constant: str) -> Any:
    raise ValueError(f"{constant} is not JSON")


_DECODER = json.JSONDecoder(parse_constant=_not_json)  # one, not one per call


def json_loads(text: str | bytes | bytearray) -> Any:
    """``json.loads`` of UTF-8 without NaN and ±Infinity: Python's json reads them, JSON
    (RFC 8259) and PostgreSQL's jsonb do not (stored, they would fail the write). Raises
    ``ValueError`` (``UnicodeDecodeError`` included) on anything else than JSON."""
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    return _DECODER.decode(text)


def iso(moment: datetime) -> str:
    text = moment.astimezone(UTC).isoformat(timespec="microseconds")
    return text.replace("+00:00", "Z")


def parse_time(text: Any, field: str) -> datetime:
    if not isinstance(text, str) or len(text) > 40 or "T" not in text:
        raise bad_data(f"{field} must be an ISO 8601 date-time (e.g. 2026-01-01T00:00:00Z).")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise bad_data(f"{field} is not a valid ISO 8601 date-time: {text!r}.") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def check_uri(value: Any, field: str) -> str:
    if not isinstance(value, str) or len(value) > MAX_ID or not URI.match(value):
        raise bad_data(f"{field} must be a URI (e.g. urn:ngsi-ld:Streetlight:001).")
    return value


def check_name(name: Any) -> str:
    if not isinstance(name, str) or not ATTR_NAME.match(name):
        raise bad_data(f"{name!r} is not a valid attribute name.")
    return name


def _check_position(position: Any) -> None:
    if (
        not isinstance(position, list)
        or len(position) not in (2, 3)
        or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in position)
    ):
        raise bad_data("A GeoJSON position is [longitude, latitude] in numbers.")
    lon, lat = position[0], position[1]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise bad_data("A GeoJSON position must have -180 ≤ longitude ≤ 180, -90 ≤ latitude ≤ 90.")


def _walk(coordinates: Any, depth: int) -> None:
    if depth == 0:
        _check_position(coordinates)
        return
    if not isinstance(coordinates, list) or not coordinates:
        raise bad_data("GeoJSON coordinates are nested lists of positions.")
    for item in coordinates:
        _walk(item, depth - 1)


DEPTH = {
    "Point": 0,
    "MultiPoint": 1,
    "LineString": 1,
    "MultiLineString": 2,
    "Polygon": 2,
    "MultiPolygon": 3,
}


def check_geometry(value: Any) -> dict[str, Any]:
    """A GeoJSON geometry with valid positions (polygons closed), or BadRequestData."""
    if not isinstance(value, Mapping) or value.get("type") not in DEPTH:
        raise bad_data(f"A GeoProperty value must be a GeoJSON geometry ({', '.join(DEPTH)}).")
    kind = str(value["type"])
    coordinates: Any = value.get("coordinates")
    _walk(coordinates, DEPTH[kind])
    rings: list[Any] = []
    if kind == "Polygon":
        rings = list(coordinates)
    elif kind == "MultiPolygon":
        rings = [ring for polygon in coordinates for ring in polygon]
    for ring in rings:
        if len(ring) < 4 or ring[0] != ring[-1]:
            raise bad_data("Each polygon ring needs at least four positions, the last = the first.")
    if kind == "LineString" and len(coordinates) < 2:
        raise bad_data("A LineString needs at least two positions.")
    return {"type": kind, "coordinates": coordinates}


def _is_geometry(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("type") in DEPTH and "coordinates" in value


def attribute_in(
    terms: TermMap, name: str, raw: Any, *, stamp: str, depth: int = 0
) -> dict[str, Any]:
    """One attribute instance from its NGSI-LD (normalised or concise) form."""
    if not isinstance(raw, Mapping) or ("type" not in raw and _is_geometry(raw)):
        if raw is None:
            raise bad_data(f"Attribute {name!r} has a null value.")
        if _is_geometry(raw):
            raw = {"type": "GeoProperty", "value": raw}
        else:
            raw = {"type": "Property", "value": raw}
    kind = raw.get("type")
    if kind is None:
        if "object" in raw:
            kind = "Relationship"
        elif "languageMap" in raw:
            kind = "LanguageProperty"
        elif "value" in raw:
            kind = "GeoProperty" if _is_geometry(raw["value"]) else "Property"
    if kind not in ATTRIBUTE_TYPES:
        raise bad_data(
            f"Attribute {name!r} must be of type Property, Relationship, GeoProperty or "
            "LanguageProperty."
        )
    instance: dict[str, Any] = {"type": kind}
    if kind == "Property":
        if raw.get("value") is None:
            raise bad_data(f"Property {name!r} needs a value.")
        instance["value"] = raw["value"]
    elif kind == "GeoProperty":
        instance["value"] = check_geometry(raw.get("value"))
    elif kind == "Relationship":
        target = raw.get("object")
        if isinstance(target, list):
            instance["object"] = [check_uri(t, f"{name}.object") for t in target]
        else:
            instance["object"] = check_uri(target, f"Relationship {name!r} object")
    else:
        language_map = raw.get("languageMap")
        if not isinstance(language_map, Mapping) or not all(
            isinstance(k, str) and isinstance(v, (str, list)) for k, v in language_map.items()
        ):
            raise bad_data(f"LanguageProperty {name!r} needs a languageMap of strings.")
        instance["languageMap"] = dict(language_map)
    if "observedAt" in raw:
        instance["observedAt"] = iso(parse_time(raw["observedAt"], f"{name}.observedAt"))
    if "unitCode" in raw:
        if not isinstance(raw["unitCode"], str) or not 0 < len(raw["unitCode"]) <= 16:
            raise bad_data(f"{name}.unitCode must be a UN/CEFACT code such as GQ or CEL.")
        instance["unitCode"] = raw["unitCode"]
    if raw.get("datasetId") is not None:
        instance["datasetId"] = check_uri(raw["datasetId"], f"{name}.datasetId")
    instance["createdAt"] = stamp
    instance["modifiedAt"] = stamp
    sub: dict[str, list[dict[str, Any]]] = {}
    for key, item in raw.items():
        if key in SUB_RESERVED:
            continue
        if depth >= 2:
            raise bad_data("Sub-attributes are nested at most two levels deep.")
        check_name(key)
        sub[terms.expand(key)] = [attribute_in(terms, key, item, stamp=stamp, depth=depth + 1)]
    if sub:
        instance["sub"] = sub
    return instance


def attributes_in(
    terms: TermMap, payload: Mapping[str, Any], *, stamp: str
) -> dict[str, list[dict[str, Any]]]:
    """The attributes of a payload (entity or fragment), expanded, one list per name."""
    attrs: dict[str, list[dict[str, Any]]] = {}
    for name, raw in payload.items():
        if name in RESERVED:
            continue
        check_name(name)
        items = raw if isinstance(raw, list) and raw and isinstance(raw[0], Mapping) else [raw]
        instances = [attribute_in(terms, name, item, stamp=stamp) for item in items]
        datasets = [instance.get("datasetId") for instance in instances]
        if len(set(datasets)) != len(datasets):
            raise bad_data(f"Attribute {name!r} repeats a datasetId.")
        attrs.setdefault(terms.expand(name), []).extend(instances)
    if len(attrs) > MAX_ATTRS:
        raise bad_data(f"An entity has at most {MAX_ATTRS} attributes.")
    return attrs


def types_in(terms: TermMap, raw: Any) -> list[str]:
    items = raw if isinstance(raw, list) else [raw]
    if not items or not all(isinstance(t, str) and ATTR_NAME.match(t) for t in items):
        raise bad_data("The entity type must be a name or a list of names.")
    return [terms.expand(t) for t in items]


def entity_in(terms: TermMap, payload: Any, *, stamp: str | None = None) -> dict[str, Any]:
    """A whole entity from its NGSI-LD form; BadRequestData when it is not one."""
    if not isinstance(payload, Mapping):
        raise bad_data("An entity is a JSON object.")
    stamp = stamp or now_text()
    entity: dict[str, Any] = {
        "id": check_uri(payload.get("id"), "The entity id"),
        "type": types_in(terms, payload.get("type")),
        "attrs": attributes_in(terms, payload, stamp=stamp),
    }
    if "scope" in payload:
        scope = payload["scope"]
        scope_list = scope if isinstance(scope, list) else [scope]
        if not all(isinstance(s, str) and s.startswith("/") for s in scope_list):
            raise bad_data("A scope is a path such as /Hue/PhuXuan.")
        entity["scope"] = scope_list
    return entity


# Out -------------------------------------------------------------------------------------


def attribute_out(
    terms: TermMap, instance: Mapping[str, Any], *, sys_attrs: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {"type": instance["type"]}
    for key in ("value", "object", "languageMap", "observedAt", "unitCode", "datasetId"):
        if key in instance:
            out[key] = instance[key]
    if sys_attrs:
        out["createdAt"] = instance.get("createdAt")
        out["modifiedAt"] = instance.get("modifiedAt")
    for iri, subs in instance.get("sub", {}).items():
        rendered = [attribute_out(terms, s, sys_attrs=sys_attrs) for s in subs]
        out[terms.compact(iri)] = rendered[0] if len(rendered) == 1 else rendered
    return out


def simplified(instance: Mapping[str, Any]) -> Any:
    if "object" in instance:
        return instance["object"]
    if "languageMap" in instance:
        return instance["languageMap"]
    return instance.get("value")


def entity_out(
    terms: TermMap,
    entity: Mapping[str, Any],
    *,
    attrs: set[str] | None = None,
    key_values: bool = False,
    sys_attrs: bool = False,
    created_at: str | None = None,
    modified_at: str | None = None,
) -> dict[str, Any]:
    """An entity in the caller's terms; ``attrs`` (IRIs) picks attributes."""
    types = [terms.compact(t) for t in entity["type"]]
    out: dict[str, Any] = {"id": entity["id"], "type": types[0] if len(types) == 1 else types}
    if entity.get("scope"):
        scope = entity["scope"]
        out["scope"] = scope[0] if len(scope) == 1 else scope
    if sys_attrs and not key_values:
        out["createdAt"] = created_at
        out["modifiedAt"] = modified_at
    for iri, instances in entity["attrs"].items():
        if attrs is not None and iri not in attrs:
            continue
        name = terms.compact(iri)
        if key_values:
            values = [simplified(i) for i in instances]
            out[name] = values[0] if len(values) == 1 else values
        else:
            rendered = [attribute_out(terms, i, sys_attrs=sys_attrs) for i in instances]
            out[name] = rendered[0] if len(rendered) == 1 else rendered
    return out


def location_of(entity: Mapping[str, Any], iri: str = LOCATION) -> dict[str, Any] | None:
    instances = entity["attrs"].get(iri) or []
    for instance in instances:
        if instance.get("type") == "GeoProperty":
            value: dict[str, Any] = instance["value"]
            return value
    return None
