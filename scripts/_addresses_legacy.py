"""The pre-reform half of ``build_addresses_data.py``: units in force until 30 June 2025
and how each of them maps onto the units of 1 July 2025.

Read from the same ``vietnamadminunits`` 1.0.4 wheel (MIT): the table
``admin_units_legacy`` of ``data/dataset.db`` (63 provinces, 696 districts, 10,035 wards
and five island districts without wards) and ``data/converter_2025.json`` (for each new
ward the old wards merged into it; for each split old ward the new wards that share it).
The converter names units by ASCII keys (``thanhphohanoi_quanbadinh_phuongphucxa``);
they are resolved to official codes here, and every key must resolve or nothing is
written. The source's ``isDefaultNewWard`` hint is deliberately dropped: a split ward
has several successors and nentang returns all of them, never a silent default.
"""

from __future__ import annotations

import json
import sqlite3
import zipfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from nentang.kernel.text import nfc

LEGACY_EFFECTIVE_TO = "2025-06-30"
CONVERTER = "vietnamadminunits/data/converter_2025.json"
LEGACY_TABLE = "admin_units_legacy"
EXPECTED_LEGACY = {"provinces": 63, "districts": 696, "wards": 10035, "island_districts": 5}

PROVINCE_KINDS = {"Thành phố": "thanh_pho", "Tỉnh": "tinh"}
DISTRICT_KINDS = {"Quận": "quan", "Huyện": "huyen", "Thị xã": "thi_xa", "Thành phố": "thanh_pho"}
WARD_KINDS = {"Phường": "phuong", "Xã": "xa", "Thị trấn": "thi_tran"}


class LegacyDataError(Exception):
    """The legacy source is inconsistent: nothing is written."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise LegacyDataError(message)


RECASED: list[str] = []  # names whose kind prefix the source spells in another case


def _split(name: str, kinds: dict[str, str], what: str) -> tuple[str, str]:
    # Longest prefix first: "Thành phố" must not be read as a shorter kind.
    for prefix in sorted(kinds, key=len, reverse=True):
        if name.startswith(prefix + " "):
            return kinds[prefix], name[len(prefix) + 1 :]
        if name.lower().startswith(prefix.lower() + " "):
            RECASED.append(name)
            return kinds[prefix], name[len(prefix) + 1 :]
    raise LegacyDataError(f"{what} {name!r} has no known kind prefix")


def canonical(name: str, kinds: dict[str, str], what: str) -> str:
    """``"Thành Phố Bắc Kạn"`` → ``"Thành phố Bắc Kạn"`` (the legal spelling)."""
    kind, short = _split(name, kinds, what)
    prefix = next(p for p, k in sorted(kinds.items(), key=lambda i: -len(i[0])) if k == kind)
    return f"{prefix} {short}"


def _key(value: str) -> str:
    # Keys are compared exactly: where two units fold to the same ASCII key the source
    # keeps the marks in one of them (``xacamgiang`` Cẩm Giang / ``xãcẩmgiàng`` Cẩm Giàng).
    return nfc(value)


def read_legacy(wheel: Path) -> tuple[list[tuple[Any, ...]], dict[str, Any], list[tuple[Any, ...]]]:
    with zipfile.ZipFile(wheel) as archive:
        database = archive.read("vietnamadminunits/data/dataset.db")
        converter = json.loads(archive.read(CONVERTER))
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(database)
        legacy = connection.execute(
            "SELECT province, provinceCode, district, districtCode, ward, wardCode, "
            "provinceKey, districtKey, wardKey FROM admin_units_legacy"
        ).fetchall()
        current = connection.execute(
            "SELECT provinceKey, wardKey, wardCode, provinceCode, wardLat, wardLon FROM admin_units"
        ).fetchall()
    finally:
        connection.close()
    return legacy, converter, current


def build_legacy(
    wheel: Path, new_codes: set[str]
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(legacy units, conversion, provenance counts) — see the module docstring."""
    legacy, converter, current = read_legacy(wheel)
    provinces: dict[str, dict[str, str]] = {}
    districts: dict[str, dict[str, str]] = {}
    wards: dict[str, dict[str, str]] = {}
    island_districts: list[str] = []
    old_by_key: dict[str, tuple[str, str]] = {}  # converter key → ("ward"|"district", code)

    for row in legacy:
        province, p_code, district, d_code, ward, w_code, p_key, d_key, w_key = (
            nfc(v) if isinstance(v, str) else v for v in row
        )
        p_kind, p_short = _split(province, PROVINCE_KINDS, "province")
        province = canonical(province, PROVINCE_KINDS, "province")
        record = {"code": p_code, "name": p_short, "full_name": province, "kind": p_kind}
        _require(provinces.setdefault(p_code, record) == record, f"province {p_code} differs")
        d_kind, d_short = _split(district, DISTRICT_KINDS, "district")
        district = canonical(district, DISTRICT_KINDS, "district")
        d_record = {
            "code": d_code,
            "name": district,
            "short_name": d_short,
            "kind": d_kind,
            "province_code": p_code,
        }
        _require(districts.setdefault(d_code, d_record) == d_record, f"district {d_code} differs")
        if not w_code:
            island_districts.append(d_code)
            old_by_key[f"{_key(p_key)}_{_key(d_key)}_"] = ("district", d_code)
            continue
        w_kind, w_short = _split(ward, WARD_KINDS, "ward")
        ward = canonical(ward, WARD_KINDS, "ward")
        _require(w_code not in wards, f"ward code {w_code} twice")
        wards[w_code] = {
            "code": w_code,
            "name": ward,
            "short_name": w_short,
            "kind": w_kind,
            "district_code": d_code,
            "province_code": p_code,
        }
        old_by_key[f"{_key(p_key)}_{_key(d_key)}_{_key(w_key)}"] = ("ward", w_code)

    counts = {
        "provinces": len(provinces),
        "districts": len(districts),
        "wards": len(wards),
        "island_districts": len(island_districts),
    }
    _require(counts == EXPECTED_LEGACY, f"legacy counts are {counts}, want {EXPECTED_LEGACY}")

    new_by_key: dict[tuple[str, str], str] = {}
    centroids: dict[str, list[float]] = {}
    for p_key, w_key, w_code, _p_code, lat, lon in current:
        new_by_key[(_key(p_key), _key(w_key))] = w_code
        centroids[w_code] = [round(float(lat), 5), round(float(lon), 5)]
    _require(set(new_by_key.values()) == new_codes, "admin_units keys differ from the units")

    successors: dict[tuple[str, str], set[str]] = defaultdict(set)

    def resolve_old(key: str) -> tuple[str, str]:
        found = old_by_key.get(_key_path(key))
        _require(found is not None, f"converter names an unknown old unit {key!r}")
        assert found is not None
        return found

    def resolve_new(province_key: str, ward_key: str) -> str:
        code = new_by_key.get((_key(province_key), _key(ward_key)))
        _require(code is not None, f"converter names an unknown new ward {ward_key!r}")
        assert code is not None
        return code

    for province_key, merged in converter["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for new_key, olds in merged.items():
            new_code = resolve_new(province_key, new_key)
            for old in olds:
                successors[resolve_old(old)].add(new_code)
    for province_key, split in converter["DICT_PROVINCE_WARD_DIVIDED"].items():
        for old, shares in split.items():
            for share in shares:
                successors[resolve_old(old)].add(resolve_new(province_key, share["newWardKey"]))

    ward_map = {code: sorted(successors[("ward", code)]) for code in sorted(wards)}
    island_map = {code: sorted(successors[("district", code)]) for code in sorted(island_districts)}
    missing = [code for code, new in {**ward_map, **island_map}.items() if not new]
    _require(not missing, f"old units without a successor: {missing[:10]}")
    reached = {code for new in [*ward_map.values(), *island_map.values()] for code in new}
    _require(reached == new_codes, f"new wards no old unit maps to: {sorted(new_codes - reached)}")

    province_successors: dict[str, set[str]] = defaultdict(set)
    new_province_of = {w_code: p_code for _pk, _wk, w_code, p_code, _la, _lo in current}
    for code, new in ward_map.items():
        for new_code in new:
            province_successors[wards[code]["province_code"]].add(new_province_of[new_code])
    for code, new in island_map.items():
        for new_code in new:
            province_successors[districts[code]["province_code"]].add(new_province_of[new_code])
    # Resolution 202/2025/QH15 merged whole provinces: no old province is split.
    split_provinces = {p: s for p, s in province_successors.items() if len(s) != 1}
    _require(not split_provinces, f"provinces with several successors: {split_provinces}")

    units = {
        "provinces": [provinces[c] for c in sorted(provinces)],
        "districts": [districts[c] for c in sorted(districts)],
        "wards": [wards[c] for c in sorted(wards)],
    }
    conversion = {
        "provinces": {p: sorted(s)[0] for p, s in sorted(province_successors.items())},
        "wards": ward_map,
        "island_districts": island_map,
        "centroids": {code: centroids[code] for code in sorted(centroids)},
    }
    split = Counter(len(new) for new in ward_map.values())
    recased = sorted(set(RECASED))
    stats = {
        **counts,
        "split_wards": sum(n for k, n in split.items() if k > 1),
        "recased_names": len(recased),
    }
    print(f"kind prefix re-cased (source spelling kept nowhere): {recased}")
    return units, conversion, stats


def _key_path(key: str) -> str:
    return "_".join(_key(part) for part in key.split("_"))


def render_records(meta: dict[str, Any], sections: dict[str, Any]) -> bytes:
    """One record per line, like units-2025-07-01.json: readable diffs."""
    out = ["{", f'  "source": {json.dumps(meta, ensure_ascii=False)}']
    for name, value in sections.items():
        if isinstance(value, list):
            body = ",\n".join("    " + json.dumps(v, ensure_ascii=False) for v in value)
            out.append(f',\n  "{name}": [\n{body}\n  ]')
        else:
            body = ",\n".join(
                f"    {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}"
                for k, v in value.items()
            )
            out.append(f',\n  "{name}": {{\n{body}\n  }}')
    return ("".join(out[:1]) + "\n" + "".join(out[1:]) + "\n}\n").encode("utf-8")
