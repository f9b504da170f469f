"""Build the administrative-unit data files of src/nentang/addresses/data/ from the
vietnamadminunits wheel:

* ``units-2025-07-01.json``: the units in force since 1 July 2025 (loaded by migration);
* ``legacy-units-2025-06-30.json``: the 63 provinces, 696 districts and 10,035 wards in
  force until 30 June 2025 (for reading addresses written before the reform);
* ``conversion-2025-07-01.json``: which unit of 1 July 2025 each pre-reform ward (or
  ward-less island district) became, with every candidate when it was split, and the
  centroid of each new ward.

The administrative units in force since 1 July 2025 (Resolution 202/2025/QH15: 34
provincial units, 3,321 commune-level units) with their official codes (Decision
19/2025/QĐ-TTg). The wheel is the MIT-licensed PyPI package ``vietnamadminunits`` 1.0.4;
it is only read here, never installed or imported, and nentang does not depend on it.

Usage (from the repository root, inside the venv)::

    pip download --no-deps vietnamadminunits==1.0.4 -d /tmp/vau
    python scripts/build_addresses_data.py /tmp/vau/vietnamadminunits-1.0.4-py3-none-any.whl

The output is deterministic: the same wheel always gives the same bytes, so the sha256
recorded in ``data/README.md`` can be re-checked by running the script again
(``--check`` compares without writing). Every cross-check below must pass or nothing is
written.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sqlite3
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import _addresses_legacy as legacy  # the pre-reform half, next to this script

from nentang.kernel.text import fold, nfc

PACKAGE = "vietnamadminunits"
VERSION = "1.0.4"
WHEEL_SHA256 = "737ee3662e877290386c1c45ed4d71f2e5fae34ab6fb9c64bfb4cb74b216ea35"
DATASET = "vietnamadminunits/data/dataset.db"
TABLE = "admin_units"  # read by read_rows
EFFECTIVE_FROM = "2025-07-01"
OUTPUT = (
    Path(__file__).resolve().parent.parent
    / "src/nentang/addresses/data"
    / f"units-{EFFECTIVE_FROM}.json"
)

# Province codes of Decision 19/2025/QĐ-TTg, as listed in the project's DOMAIN.md.
EXPECTED_PROVINCES = {
    "01": "Hà Nội", "04": "Cao Bằng", "08": "Tuyên Quang", "11": "Điện Biên",
    "12": "Lai Châu", "14": "Sơn La", "15": "Lào Cai", "19": "Thái Nguyên",
    "20": "Lạng Sơn", "22": "Quảng Ninh", "24": "Bắc Ninh", "25": "Phú Thọ",
    "31": "Hải Phòng", "33": "Hưng Yên", "37": "Ninh Bình", "38": "Thanh Hóa",
    "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Trị", "46": "Huế",
    "48": "Đà Nẵng", "51": "Quảng Ngãi", "52": "Gia Lai", "56": "Khánh Hòa",
    "66": "Đắk Lắk", "68": "Lâm Đồng", "75": "Đồng Nai", "79": "Hồ Chí Minh",
    "80": "Tây Ninh", "82": "Đồng Tháp", "86": "Vĩnh Long", "91": "An Giang",
    "92": "Cần Thơ", "96": "Cà Mau",
}  # fmt: skip
EXPECTED_CITIES = {"01", "31", "46", "48", "79", "92"}
EXPECTED_COMMUNE_KINDS = {"xa": 2621, "phuong": 687, "dac_khu": 13}

# The name is "<kind> <short name>", and the kind is read from that prefix.
PROVINCE_PREFIXES = {"Thành phố": "thanh_pho", "Tỉnh": "tinh"}
COMMUNE_PREFIXES = {"Đặc khu": "dac_khu", "Phường": "phuong", "Xã": "xa"}

# In 1.0.4 the wardType column contradicts the unit's own name for these four rows
# (two swapped pairs, so the totals still match). The name is right: each one kept the
# code and kind of its predecessor (admin_units_legacy in the same file: 10543 Phường
# Việt Hòa of Hải Dương city, 11848 Xã Vĩnh Hòa of Vĩnh Bảo district, 31213 Phường Tân
# Lộc of Thốt Nốt district, 31299 from Phong Điền district). If upstream fixes or adds
# disagreements, this set stops matching and the build fails for a human to look.
KNOWN_WARD_TYPE_ERRORS = {"10543", "11848", "31213", "31299"}
SOURCE_WARD_TYPES = {"Xã": "xa", "Phường": "phuong", "Đặc khu": "dac_khu"}


class DataError(Exception):
    """The source does not say what the law says: nothing is written."""


@dataclass(frozen=True)
class Row:
    province: str
    province_short: str
    province_code: str
    ward: str
    ward_short: str
    ward_type: str
    ward_code: str


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def read_rows(wheel: Path) -> list[Row]:
    """Read the 2025 table from the SQLite file inside the wheel, without unpacking it."""
    with zipfile.ZipFile(wheel) as archive:
        database = archive.read(DATASET)
    connection = sqlite3.connect(":memory:")
    try:
        connection.deserialize(database)
        cursor = connection.execute(
            "SELECT province, provinceShort, provinceCode, ward, wardShort, wardType, wardCode "
            "FROM admin_units"
        )
        return [Row(*(nfc(value) if value else "" for value in record)) for record in cursor]
    finally:
        connection.close()


def split_kind(name: str, prefixes: dict[str, str], code: str) -> tuple[str, str]:
    """``"Phường Sài Gòn"`` → ``("phuong", "Sài Gòn")``."""
    for prefix, kind in prefixes.items():
        if name.startswith(prefix + " "):
            return kind, name[len(prefix) + 1 :]
    raise DataError(f"{code}: {name!r} does not start with one of {sorted(prefixes)}")


def require(condition: bool, message: str) -> None:
    if not condition:
        raise DataError(message)


def build_provinces(rows: list[Row]) -> list[dict[str, str]]:
    seen: dict[str, tuple[str, str]] = {}
    for row in rows:
        pair = (row.province, row.province_short)
        require(
            seen.setdefault(row.province_code, pair) == pair,
            f"province {row.province_code} has two names: {seen[row.province_code]} / {pair}",
        )
    provinces = []
    for code, (full_name, short_name) in sorted(seen.items()):
        kind, rest = split_kind(full_name, PROVINCE_PREFIXES, code)
        require(rest == short_name, f"{code}: {full_name!r} vs short name {short_name!r}")
        provinces.append(
            {
                "code": code,
                "name": short_name,
                "full_name": full_name,
                "kind": kind,
                "name_folded": fold(short_name),
            }
        )
    return provinces


def build_communes(rows: list[Row]) -> list[dict[str, str]]:
    communes = []
    type_errors = set()
    for row in sorted(rows, key=lambda r: r.ward_code):
        kind, short_name = split_kind(row.ward, COMMUNE_PREFIXES, row.ward_code)
        require(
            short_name == row.ward_short,
            f"{row.ward_code}: {row.ward!r} vs short name {row.ward_short!r}",
        )
        if SOURCE_WARD_TYPES.get(row.ward_type) != kind:
            type_errors.add(row.ward_code)
        communes.append(
            {
                "code": row.ward_code,
                "name": row.ward,
                "short_name": short_name,
                "kind": kind,
                "province_code": row.province_code,
                "name_folded": fold(row.ward),
            }
        )
    require(
        type_errors == KNOWN_WARD_TYPE_ERRORS,
        f"wardType disagrees with the name for {sorted(type_errors)}; "
        f"expected exactly {sorted(KNOWN_WARD_TYPE_ERRORS)}",
    )
    return communes


def cross_check(provinces: list[dict[str, str]], communes: list[dict[str, str]]) -> None:
    """The counts and codes of Resolution 202/2025/QH15 and Decision 19/2025/QĐ-TTg."""
    codes = {p["code"]: p["name"] for p in provinces}
    require(codes == EXPECTED_PROVINCES, f"province codes/names differ: {codes}")
    cities = {p["code"] for p in provinces if p["kind"] == "thanh_pho"}
    require(cities == EXPECTED_CITIES, f"cities are {sorted(cities)}")
    require(len(provinces) - len(cities) == 28, "expected 28 tỉnh")
    require(all(re.fullmatch(r"[0-9]{2}", code) for code in codes), "province code format")

    commune_codes = [c["code"] for c in communes]
    require(len(commune_codes) == len(set(commune_codes)), "duplicate commune codes")
    require(all(re.fullmatch(r"[0-9]{5}", code) for code in commune_codes), "commune code format")
    require(not set(commune_codes) & set(codes), "commune and province codes overlap")
    require(all(c["province_code"] in codes for c in communes), "commune of unknown province")
    kinds = Counter(c["kind"] for c in communes)
    require(dict(kinds) == EXPECTED_COMMUNE_KINDS, f"commune kinds are {dict(kinds)}")
    require(len(communes) == 3321, f"{len(communes)} communes")
    # Exact names are unique within a province; folded names are not (Xã Tân Thành and
    # Xã Tân Thạnh are both in 80), so a folded query may rightly return several units.
    names = Counter((c["province_code"], c["name"]) for c in communes)
    duplicates = [key for key, count in names.items() if count > 1]
    require(not duplicates, f"two communes share a name in one province: {duplicates}")


def render(provinces: list[dict[str, str]], communes: list[dict[str, str]], wheel: str) -> bytes:
    """One record per line: readable diffs when a future version changes a few units."""

    def line(record: dict[str, str]) -> str:
        return "    " + json.dumps(record, ensure_ascii=False, sort_keys=False)

    source = {
        "name": PACKAGE,
        "version": VERSION,
        "licence": "MIT",
        "url": f"https://pypi.org/project/{PACKAGE}/{VERSION}/",
        "file": f"{DATASET} (table {TABLE})",
        "wheel_sha256": wheel,
        "effective_from": EFFECTIVE_FROM,
        "legal_basis": "Resolution 202/2025/QH15; codes: Decision 19/2025/QĐ-TTg",
    }
    text = (
        "{\n"
        f'  "source": {json.dumps(source, ensure_ascii=False)},\n'
        '  "provinces": [\n' + ",\n".join(line(p) for p in provinces) + "\n  ],\n"
        '  "communes": [\n' + ",\n".join(line(c) for c in communes) + "\n  ]\n"
        "}\n"
    )
    return text.encode("utf-8")


def _write_or_check(path: Path, data: bytes, *, check: bool) -> bool:
    print(f"{path.name} sha256: {sha256_of(data)}")
    if check:
        current = path.read_bytes() if path.exists() else b""
        if current != data:
            print(f"{path} differs from what the wheel gives", file=sys.stderr)
            return False
        print(f"{path} is up to date")
        return True
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path}")
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help=f"{PACKAGE}-{VERSION}-py3-none-any.whl")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)

    wheel_sha = sha256_of(args.wheel.read_bytes())
    if wheel_sha != WHEEL_SHA256:
        print(f"unexpected wheel sha256 {wheel_sha}, want {WHEEL_SHA256}", file=sys.stderr)
        return 2
    try:
        rows = read_rows(args.wheel)
        provinces = build_provinces(rows)
        communes = build_communes(rows)
        cross_check(provinces, communes)
        legacy_units, conversion, legacy_stats = legacy.build_legacy(
            args.wheel, {c["code"] for c in communes}
        )
    except (DataError, legacy.LegacyDataError) as error:
        print(f"source disagrees: {error}", file=sys.stderr)
        return 1
    data = render(provinces, communes, wheel_sha)

    kinds = Counter(c["kind"] for c in communes)
    print(f"provinces: {len(provinces)} ({len(provinces) - 6} tỉnh + 6 thành phố)")
    print(f"communes: {len(communes)} ({kinds['xa']} xã, {kinds['phuong']} phường, ", end="")
    print(f"{kinds['dac_khu']} đặc khu)")
    print(f"corrected wardType (name wins): {sorted(KNOWN_WARD_TYPE_ERRORS)}")
    print(f"legacy (until {legacy.LEGACY_EFFECTIVE_TO}): {legacy_stats}")
    print(f"wheel sha256: {wheel_sha}")
    source = {
        "name": PACKAGE,
        "version": VERSION,
        "licence": "MIT",
        "url": f"https://pypi.org/project/{PACKAGE}/{VERSION}/",
        "wheel_sha256": wheel_sha,
    }
    legacy_data = legacy.render_records(
        {
            **source,
            "file": f"{DATASET} (table {legacy.LEGACY_TABLE})",
            "effective_to": legacy.LEGACY_EFFECTIVE_TO,
            "legal_basis": "units before Resolution 202/2025/QH15; codes: Decision "
            "124/2004/QĐ-TTg as amended",
        },
        legacy_units,
    )
    conversion_data = legacy.render_records(
        {
            **source,
            "file": f"{legacy.CONVERTER}; centroids from {DATASET} (table {TABLE})",
            "effective_from": EFFECTIVE_FROM,
            "legal_basis": "Resolution 202/2025/QH15 and the Standing Committee's "
            "resolutions on the commune-level arrangement of each province",
        },
        conversion,
    )
    directory = args.output.parent
    outputs = [
        (args.output, data),
        (directory / f"legacy-units-{legacy.LEGACY_EFFECTIVE_TO}.json", legacy_data),
        (directory / f"conversion-{EFFECTIVE_FROM}.json", conversion_data),
    ]
    # A list, not a generator: every file is written (or checked) even after a failure.
    ok = all([_write_or_check(path, content, check=args.check) for path, content in outputs])  # noqa: C419
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
