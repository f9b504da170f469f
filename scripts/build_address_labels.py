"""Build the labelled address set used by the normaliser's tests and benchmark.

    python scripts/build_address_labels.py            # writes the CSV (deterministic)
    python scripts/build_address_labels.py --check    # compares without writing

Each row is an address written the way people write them — full marks, none, mixed case,
abbreviations ("P.", "Q.", "TP.", "Tp HCM", "HCM", "SG", "HN", "Tx.", "H.", "F12"), house
and street first or last, one-letter typos, pre-reform three-level addresses (old ward,
district, one of the 63 provinces) and post-reform two-level ones, plus addresses that
cannot be resolved — with the exact expected outcome.

The expected codes come from the unit each row was written from and from the published
data files (the units and the old→new conversion), never from the normaliser: a
pre-reform ward expects every new ward it became (all of them when it was split), and a
name written without marks expects every unit of its scope with the same folded name.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from nentang.kernel.text import fold

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "src/nentang/addresses/data"
OUTPUT = ROOT / "src/nentang/addresses/tests/data/labelled_addresses.csv"
SEED = 20250701

STREETS = [
    "Lê Lợi",
    "Trần Hưng Đạo",
    "Nguyễn Trãi",
    "Hai Bà Trưng",
    "Quang Trung",
    "Lý Thường Kiệt",
    "Nguyễn Văn Cừ",
    "Phạm Văn Đồng",
    "Võ Văn Kiệt",
    "Điện Biên Phủ",
    "Cách Mạng Tháng Tám",
    "Nguyễn Thị Minh Khai",
    "Lạc Long Quân",
    "Hùng Vương",
    "Trường Chinh",
    "Tôn Đức Thắng",
    "Nguyễn Huệ",
    "Bà Triệu",
    "Hoàng Diệu",
    "Phan Chu Trinh",
    "Ngô Quyền",
    "Lê Duẩn",
    "Nguyễn Đình Chiểu",
    "Xô Viết Nghệ Tĩnh",
    "Trần Phú",
    "Bạch Đằng",
    "Lê Thánh Tôn",
]
PLACES = ["Thôn {n}", "Ấp {n}", "Tổ {n}", "Khu phố {n}", "Xóm {n}", "Bản {n}"]
PROVINCE_FORMS: dict[str, list[str]] = {
    "79": ["TP.HCM", "Tp HCM", "HCM", "SG", "TP Hồ Chí Minh", "Thành phố Hồ Chí Minh", "tphcm"],
    "01": ["HN", "Hà Nội", "TP Hà Nội", "Thành phố Hà Nội", "ha noi"],
}
WARD_MARKERS = {
    "phuong": ["Phường", "P.", "P", "phuong"],
    "xa": ["Xã", "X.", "xa"],
    "thi_tran": ["Thị trấn", "TT.", "thi tran"],
    "dac_khu": ["Đặc khu"],
}
DISTRICT_MARKERS = {
    "quan": ["Quận", "Q.", "Q", "quan"],
    "huyen": ["Huyện", "H.", "huyen"],
    "thi_xa": ["Thị xã", "Tx.", "TX", "thi xa"],
    "thanh_pho": ["Thành phố", "TP.", "Tp"],
}


def load(name: str) -> Any:
    return json.loads((DATA / name).read_text("utf-8"))


class Data:
    def __init__(self) -> None:
        units = load("units-2025-07-01.json")
        legacy = load("legacy-units-2025-06-30.json")
        self.conversion: dict[str, list[str]] = load("conversion-2025-07-01.json")["wards"]
        self.provinces = {p["code"]: p for p in units["provinces"]}
        self.communes = {c["code"]: c for c in units["communes"]}
        self.old_provinces = {p["code"]: p for p in legacy["provinces"]}
        self.districts = {d["code"]: d for d in legacy["districts"]}
        self.old_wards = {w["code"]: w for w in legacy["wards"]}
        self.new_by_province: dict[str, list[dict[str, str]]] = defaultdict(list)
        for c in self.communes.values():
            self.new_by_province[c["province_code"]].append(c)
        self.old_by_district: dict[str, list[dict[str, str]]] = defaultdict(list)
        for w in self.old_wards.values():
            self.old_by_district[w["district_code"]].append(w)

    def new_same(
        self, ward: dict[str, str], marked: bool, scope: list[dict[str, str]]
    ) -> list[str]:
        """The wards of ``scope`` an unmarked (or marked) name cannot be told apart from."""
        if marked:
            return [ward["code"]]
        return sorted(c["code"] for c in scope if fold(c["short_name"]) == fold(ward["short_name"]))

    def old_expected(self, ward: dict[str, str], marked: bool) -> list[str]:
        siblings = self.old_by_district[ward["district_code"]]
        same = (
            [ward]
            if marked
            else [w for w in siblings if fold(w["short_name"]) == fold(ward["short_name"])]
        )
        return sorted({code for w in same for code in self.conversion[w["code"]]})


def house(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        number = str(rng.randint(1, 350)) + rng.choice(
            ["", "", "", "A", "B", f"/{rng.randint(1, 40)}"]
        )
        return f"{rng.choice(['', '', 'Số '])}{number} {rng.choice(STREETS)}"
    if roll < 0.65:
        return f"Ngõ {rng.randint(1, 200)} {rng.choice(STREETS)}"
    return rng.choice(PLACES).format(n=rng.randint(1, 12))


def strip_marks(text: str) -> str:
    folded = fold(text)
    # Keep the writer's capitals where the letter survives folding.
    return (
        "".join(f.upper() if o.isupper() else f for o, f in zip(text, folded, strict=False))
        if len(folded) == len(text)
        else folded
    )


def typo(name: str, rng: random.Random) -> str | None:
    words = name.split()
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and not w.isdigit()]
    if not candidates:
        return None
    index = rng.choice(candidates)
    word = words[index]
    pos = rng.randint(1, len(word) - 2)
    kind = rng.choice(["swap", "drop", "double", "sub"])
    if kind == "swap":
        word = word[:pos] + word[pos + 1] + word[pos] + word[pos + 2 :]
    elif kind == "drop":
        word = word[:pos] + word[pos + 1 :]
    elif kind == "double":
        word = word[:pos] + word[pos] + word[pos:]
    else:
        word = word[:pos] + rng.choice("aeiounhtcg") + word[pos + 1 :]
    words[index] = word
    return " ".join(words)


def province_text(code: str, data: Data, rng: random.Random, *, old: bool) -> str:
    unit = (data.old_provinces if old else data.provinces)[code]
    forms = [unit["name"], unit["full_name"]]
    if code in PROVINCE_FORMS and (not old or unit["name"] in ("Hồ Chí Minh", "Hà Nội")):
        forms += PROVINCE_FORMS[code]
    return str(rng.choice(forms))


def ward_text(unit: dict[str, str], rng: random.Random, *, numbered_f: bool = False) -> str:
    short = unit["short_name"]
    markers = WARD_MARKERS[unit["kind"]]
    if short.isdigit():
        marker = rng.choice(markers + (["F"] if numbered_f else []))
        number = short if rng.random() < 0.7 else short.zfill(2)
        return (
            f"{marker}{'' if marker in ('P', 'F') else ' '}{number}"
            if marker in ("P", "F", "P.") and rng.random() < 0.5
            else f"{marker} {number}"
        )
    marker = rng.choice([*markers, ""]) if rng.random() < 0.85 else ""
    return (
        f"{marker} {short}".strip()
        if marker not in ("P.", "X.", "TT.")
        else f"{marker}{short}"
        if rng.random() < 0.3
        else f"{marker} {short}"
    )


def district_text(unit: dict[str, str], rng: random.Random) -> str:
    short = unit["short_name"]
    marker = rng.choice(DISTRICT_MARKERS[unit["kind"]])
    if short.isdigit():
        return (
            f"{marker}{short}"
            if marker in ("Q", "Q.") and rng.random() < 0.5
            else f"{marker} {short}"
        )
    return f"{marker} {short}"


def rows(data: Data) -> list[dict[str, str]]:
    rng = random.Random(SEED)  # noqa: S311 - reproducible test data, not a secret
    out: list[dict[str, str]] = []

    def add(form: str, address: str, status: str, codes: list[str], province: str) -> None:
        if status == "resolved" and len(codes) > 1:
            status = "ambiguous"
        out.append(
            {
                "id": str(len(out) + 1),
                "form": form,
                "address": address,
                "expected_status": status,
                "expected_ward_codes": " ".join(codes),
                "expected_province_code": province,
            }
        )

    new_wards = sorted(data.communes.values(), key=lambda c: c["code"])
    old_wards = sorted(data.old_wards.values(), key=lambda w: w["code"])

    # Post-reform, two levels, in every written form.
    for form in (
        "new_full",
        "new_no_marks",
        "new_abbrev",
        "new_upper",
        "new_reversed",
        "new_typo",
        "new_no_commas",
    ):
        for ward in rng.sample(new_wards, 60):
            province = ward["province_code"]
            scope = data.new_by_province[province]
            line = house(rng)
            w_text = ward_text(ward, rng)
            p_text = province_text(province, data, rng, old=False)
            marked = True
            if form == "new_full":
                w_text = f"{ward['name']}"
                p_text = data.provinces[province]["full_name"]
                address = f"{line}, {w_text}, {p_text}"
            elif form == "new_no_marks":
                address = strip_marks(f"{line}, {w_text}, {p_text}")
                marked = False
            elif form == "new_abbrev":
                address = f"{line}, {w_text}, {p_text}"
            elif form == "new_upper":
                address = f"{line}, {w_text}, {p_text}".upper()
            elif form == "new_reversed":
                address = f"{p_text}, {w_text}, {line}"
            elif form == "new_typo":
                typed = typo(ward["short_name"], rng)
                if typed is None or any(fold(c["short_name"]) == fold(typed) for c in scope):
                    continue
                marker = rng.choice(WARD_MARKERS[ward["kind"]][:2])
                address = strip_marks(f"{line}, {marker} {typed}, {p_text}")
                marked = False
            else:
                address = strip_marks(f"{line} {w_text} {p_text}").lower()
                marked = False
            add(form, address, "resolved", data.new_same(ward, marked, scope), province)

    # Post-reform without a province: resolved only when the name is unique nationally.
    for ward in rng.sample(new_wards, 40):
        marker = WARD_MARKERS[ward["kind"]][0]
        codes = sorted(c["code"] for c in new_wards if c["name"] == ward["name"])
        if ward["short_name"].isdigit():
            continue
        provinces = {data.communes[c]["province_code"] for c in codes}
        add(
            "new_no_province",
            f"{house(rng)}, {marker} {ward['short_name']}",
            "resolved",
            codes,
            provinces.pop() if len(provinces) == 1 else "",
        )

    # Pre-reform, three levels (old ward, district, one of the 63 provinces).
    for form in (
        "old_full",
        "old_no_marks",
        "old_abbrev",
        "old_reversed",
        "old_typo",
        "old_numbered",
    ):
        pool = (
            [w for w in old_wards if w["short_name"].isdigit()]
            if form == "old_numbered"
            else old_wards
        )
        for ward in rng.sample(pool, 55):
            district = data.districts[ward["district_code"]]
            province_code = ward["province_code"]
            old_p = data.old_provinces[province_code]
            line = house(rng)
            w_text = ward_text(ward, rng, numbered_f=province_code == "79")
            d_text = district_text(district, rng)
            p_text = province_text(province_code, data, rng, old=True)
            marked = True
            if form == "old_full":
                address = f"{line}, {ward['name']}, {district['name']}, {old_p['full_name']}"
            elif form == "old_no_marks":
                address = strip_marks(f"{line}, {w_text}, {d_text}, {p_text}")
                marked = False
            elif form in ("old_abbrev", "old_numbered"):
                address = f"{line}, {w_text}, {d_text}, {p_text}"
            elif form == "old_reversed":
                address = f"{p_text}, {d_text}, {w_text}, {line}"
            else:
                typed = typo(ward["short_name"], rng)
                siblings = data.old_by_district[ward["district_code"]]
                if typed is None or any(fold(w["short_name"]) == fold(typed) for w in siblings):
                    continue
                marker = WARD_MARKERS[ward["kind"]][0]
                address = f"{line}, {marker} {typed}, {d_text}, {p_text}"
                marked = False
            codes = data.old_expected(ward, marked)
            provinces = {data.communes[c]["province_code"] for c in codes}
            add(form, address, "resolved", codes, provinces.pop() if len(provinces) == 1 else "")

    # Nothing to resolve.
    for address in [
        "",
        "123",
        "Không có địa chỉ",
        "1600 Amphitheatre Parkway, Mountain View, CA",
        "10 Downing Street, London",
        "Phường, Quận, Thành phố",
        "asdf qwer zxcv",
        "Số nhà 12, đường số 5",
        "P.",
        "Việt Nam",
    ]:
        add("unresolvable", address, "unresolved", [], "")
    return out


def render(records: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    fields = [
        "id",
        "form",
        "address",
        "expected_status",
        "expected_ward_codes",
        "expected_province_code",
    ]
    writer = csv.DictWriter(buffer, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    text = render(rows(Data()))
    if args.check:
        current = OUTPUT.read_text("utf-8") if OUTPUT.exists() else ""
        print("up to date" if current == text else f"{OUTPUT} differs")
        return 0 if current == text else 1
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(text, "utf-8")
    print(f"wrote {OUTPUT}: {text.count(chr(10)) - 1} addresses")
    return 0


if __name__ == "__main__":
    sys.exit(main())
