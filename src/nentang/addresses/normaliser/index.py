"""The in-memory index of the address normaliser, built once per process.

Built from the data files of ``addresses/data`` (never from the database, so a call
costs no query): the units in force since 1 July 2025, the units in force until
30 June 2025, the old→new conversion and the province postal codes. Every name is held
under its folded form (``kernel.text.fold``: no marks, lower case) in plain dicts keyed
by scope — the whole country, a province, an old district — so that matching a span of
an address is one dict look-up. Typos are found with a symmetric-deletion index
(every key with one character removed), built lazily per scope on the first miss.
"""

from __future__ import annotations

import gc
import json
import re
import threading
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DATA = Path(__file__).resolve().parent.parent / "data"
UNITS_FILE = DATA / "units-2025-07-01.json"
LEGACY_FILE = DATA / "legacy-units-2025-06-30.json"
CONVERSION_FILE = DATA / "conversion-2025-07-01.json"
POSTAL_FILE = DATA / "postal-codes-2018.json"


def _fold_table() -> dict[int, str | None]:
    """One ``str.translate`` table: Latin letters with marks → bare lower-case letter,
    đ → d, combining marks dropped. Much faster than NFD + filtering per call."""
    table: dict[int, str | None] = {}
    for code in range(0x00C0, 0x1F00):
        char = chr(code)
        if unicodedata.combining(char):
            table[code] = None
            continue
        base = unicodedata.normalize("NFD", char)[0].lower()
        if base.isascii() and base.isalpha() and base != char:
            table[code] = base
    for code in range(ord("A"), ord("Z") + 1):
        table[code] = chr(code).lower()
    table[ord("đ")] = table[ord("Đ")] = "d"
    return table


FOLD = _fold_table()
# The same table as a list indexed by code point: ``str.translate`` indexes a list about
# twice as fast as it looks a dict up; a code point past its end (IndexError, a
# LookupError) is left as it is, as a missing dict key is.
_FOLD_LIST: list[str | None] = [FOLD.get(code, chr(code)) for code in range(max(FOLD) + 1)]


# The characters the table deletes (combining marks): text without them folds to text of
# the same length, character for character.
UNFOLDABLE = re.compile(
    "[" + "".join(re.escape(chr(code)) for code, to in sorted(FOLD.items()) if to is None) + "]"
)


def fold_fast(text: str) -> str:
    """``kernel.text.fold`` without collapsing spaces; NFC input keeps its length."""
    return text.translate(_FOLD_LIST)


def key(text: str) -> str:
    return " ".join(fold_fast(unicodedata.normalize("NFC", text)).replace("-", " ").split())


@dataclass(frozen=True, slots=True)
class Unit:
    """One administrative unit as the normaliser needs it."""

    code: str
    name: str  # with its kind: "Phường Sài Gòn"
    short_name: str  # "Sài Gòn"
    kind: str  # xa, phuong, dac_khu, thi_tran, quan, huyen, thi_xa, thanh_pho, tinh
    parent: str  # province code (new wards, old districts, provinces: "")
    district: str = ""  # old wards: their district code
    accented: str = ""  # short name in lower case with its marks, for disambiguation


# A short name of digits ("Phường 1", "Quận 10") only counts after a kind word.
def is_numeric(short: str) -> bool:
    return short.replace(" ", "").isdigit()


@dataclass
class Scope:
    """Names of one scope → units; the deletion index is built on first use."""

    names: dict[str, list[Unit]] = field(default_factory=dict)
    _deletions: dict[str, set[str]] | None = None
    _fuzzy_memo: dict[str, frozenset[str]] = field(default_factory=dict)
    _first: frozenset[str] | None = None
    _last: frozenset[str] | None = None

    def add(self, name_key: str, unit: Unit) -> None:
        bucket = self.names.setdefault(name_key, [])
        if unit not in bucket:
            bucket.append(unit)

    def first_words(self) -> frozenset[str]:
        """The first word of every name (a cheap test before trying spans)."""
        if self._first is None:
            self._first = frozenset(name.split(" ", 1)[0] for name in self.names)
        return self._first

    def last_words(self) -> frozenset[str]:
        if self._last is None:
            self._last = frozenset(name.rsplit(" ", 1)[-1] for name in self.names)
        return self._last

    def deletions(self) -> dict[str, set[str]]:
        if self._deletions is None:
            index: dict[str, set[str]] = defaultdict(set)
            for name_key in self.names:
                squashed = name_key.replace(" ", "")
                if len(squashed) < 5 or squashed.isdigit():
                    continue
                index[squashed].add(name_key)
                for i in range(len(squashed)):
                    index[squashed[:i] + squashed[i + 1 :]].add(name_key)
            self._deletions = dict(index)
        return self._deletions

    def fuzzy(self, squashed: str) -> frozenset[str]:
        """Names within one edit (insert, delete, substitute, adjacent swap) of
        ``squashed`` (the span without spaces)."""
        if len(squashed) < 5:
            return frozenset()
        remembered = self._fuzzy_memo.get(squashed)
        if remembered is not None:
            return remembered
        index = self.deletions()
        found = set(index.get(squashed, ()))
        for i in range(len(squashed)):
            found |= index.get(squashed[:i] + squashed[i + 1 :], set())
        near = frozenset(name for name in found if _one_edit(name.replace(" ", ""), squashed))
        if len(self._fuzzy_memo) >= 4096:  # a bound: typos are many, names are few
            self._fuzzy_memo.clear()
        self._fuzzy_memo[squashed] = near
        return near


def _one_edit(a: str, b: str) -> bool:
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


# Ways people write the provinces besides their names (folded). Old and new names are
# indexed as such; these are the nicknames and abbreviations in common use.
PROVINCE_ALIASES: dict[str, tuple[str, ...]] = {
    "79": (
        "hcm",
        "tphcm",
        "tp hcm",
        "hcmc",
        "sai gon",
        "saigon",
        "sg",
        "ho chi minh city",
        "thanh pho hcm",
        "tp ho chi minh",
        "tp sai gon",
    ),
    "01": ("hn", "hanoi", "tp hn", "tphn", "ha noi city"),
    "31": ("hp", "tp hp", "haiphong"),
    "48": ("danang", "tp dn"),
    "46": ("tt hue", "thua thien hue", "tthue", "tt h"),
    "92": ("cantho", "tp ct"),
    "77": ("brvt", "ba ria vung tau", "vung tau", "ba ria"),
    "66": ("daklak", "dak lak", "dac lac", "daklac"),
    "67": ("daknong", "dak nong", "dac nong"),
}

PROVINCE_MARKERS = {"tinh": {"tinh"}, "tp": {"thanh_pho"}, "thanh pho": {"thanh_pho"}}
DISTRICT_MARKERS = {
    "quan": {"quan"},
    "q": {"quan"},
    "huyen": {"huyen"},
    "h": {"huyen"},
    "thi xa": {"thi_xa"},
    "tx": {"thi_xa"},
    "thanh pho": {"thanh_pho"},
    "tp": {"thanh_pho"},
}
WARD_MARKERS = {
    "phuong": {"phuong"},
    "p": {"phuong"},
    "f": {"phuong"},
    "ph": {"phuong"},
    "xa": {"xa"},
    "x": {"xa"},
    "thi tran": {"thi_tran"},
    "tt": {"thi_tran"},
    "ttr": {"thi_tran"},
    "dac khu": {"dac_khu"},
    "dk": {"dac_khu"},
}
# Trailing words that are not part of an address inside Vietnam.
COUNTRY_WORDS = {"viet nam", "vietnam", "vn", "vietnam vn"}


MEMO_LIMIT = 50_000  # a few MB; distinct writings of units are far fewer


@dataclass
class Index:
    provinces_new: dict[str, Unit]
    provinces_old: dict[str, Unit]
    districts: dict[str, Unit]
    wards_new: dict[str, Unit]
    wards_old: dict[str, Unit]
    province_names: Scope  # new and old provinces; a Unit's kind says tinh/thanh_pho
    new_wards_by_province: dict[str, Scope]
    new_wards_all: Scope
    districts_by_province: dict[str, Scope]
    districts_all: Scope
    old_wards_by_district: dict[str, Scope]
    old_wards_by_province: dict[str, Scope]
    old_wards_all: Scope
    conversion: dict[str, list[str]]  # old ward code (or island district) → new ward codes
    old_to_new_province: dict[str, str]
    new_to_old_provinces: dict[str, list[str]]
    island_districts: dict[str, list[str]]
    postal_codes: dict[str, str]  # new ward code → 5-digit province postal code
    province_postal_codes: dict[str, str]  # new province → code of the province it kept
    centroids: dict[str, tuple[float, float]]
    sources: dict[str, Any]
    # Pure answers remembered by the hot path (a part's words → its units, a ward code →
    # its candidate): bounded by MEMO_LIMIT, cleared whole when full.
    memo: dict[Any, Any] = field(default_factory=dict)
    # The words of a comma-separated chunk of folded text ("  phuong ben nghe" →
    # ("phuong ben nghe", 3, 2, 17): words, how many, where the first starts and the last
    # ends): chunks repeat from address to address. Bounded likewise.
    chunks: dict[str, tuple[str, int, int, int]] = field(default_factory=dict)


def _accented(short: str) -> str:
    return unicodedata.normalize("NFC", short).lower()


def build() -> Index:
    units = json.loads(UNITS_FILE.read_text("utf-8"))
    legacy = json.loads(LEGACY_FILE.read_text("utf-8"))
    conversion = json.loads(CONVERSION_FILE.read_text("utf-8"))
    postal = json.loads(POSTAL_FILE.read_text("utf-8"))

    provinces_new = {
        p["code"]: Unit(p["code"], p["full_name"], p["name"], p["kind"], "")
        for p in units["provinces"]
    }
    provinces_old = {
        p["code"]: Unit(p["code"], p["full_name"], p["name"], p["kind"], "")
        for p in legacy["provinces"]
    }
    province_names = Scope()
    for unit in [*provinces_new.values(), *provinces_old.values()]:
        for name in {key(unit.short_name), key(unit.name)}:
            province_names.add(name, unit)
    for code, aliases in PROVINCE_ALIASES.items():
        # A nickname names today's province, and the old one when it had the same name.
        new, old = provinces_new.get(code), provinces_old.get(code)
        for alias in aliases:
            if new is not None:
                province_names.add(alias, new)
            if old is not None and (new is None or old.short_name == new.short_name):
                province_names.add(alias, old)

    wards_new: dict[str, Unit] = {}
    new_wards_by_province: dict[str, Scope] = defaultdict(Scope)
    new_wards_all = Scope()
    for c in units["communes"]:
        unit = Unit(
            c["code"],
            c["name"],
            c["short_name"],
            c["kind"],
            c["province_code"],
            accented=_accented(c["short_name"]),
        )
        wards_new[unit.code] = unit
        name_key = key(unit.short_name)
        new_wards_by_province[unit.parent].add(name_key, unit)
        new_wards_all.add(name_key, unit)

    districts: dict[str, Unit] = {}
    districts_by_province: dict[str, Scope] = defaultdict(Scope)
    districts_all = Scope()
    for d in legacy["districts"]:
        unit = Unit(d["code"], d["name"], d["short_name"], d["kind"], d["province_code"])
        districts[unit.code] = unit
        name_key = key(unit.short_name)
        districts_by_province[unit.parent].add(name_key, unit)
        districts_all.add(name_key, unit)

    wards_old: dict[str, Unit] = {}
    old_by_district: dict[str, Scope] = defaultdict(Scope)
    old_by_province: dict[str, Scope] = defaultdict(Scope)
    old_all = Scope()
    for w in legacy["wards"]:
        short = w["short_name"]
        unit = Unit(
            w["code"],
            w["name"],
            short,
            w["kind"],
            w["province_code"],
            district=w["district_code"],
            accented=_accented(short),
        )
        wards_old[unit.code] = unit
        name_key = key(short)
        old_by_district[unit.district].add(name_key, unit)
        old_by_province[unit.parent].add(name_key, unit)
        old_all.add(name_key, unit)

    ward_map: dict[str, list[str]] = dict(conversion["wards"])
    island = dict(conversion["island_districts"])
    old_to_new_province = dict(conversion["provinces"])
    new_to_old: dict[str, list[str]] = defaultdict(list)
    for old, new in sorted(old_to_new_province.items()):
        new_to_old[new].append(old)

    # Postal code of a new ward: that of the old province most of its predecessors
    # belonged to (codes were assigned per pre-2025 province; see postal-codes-2018.json).
    predecessors: dict[str, Counter[str]] = defaultdict(Counter)
    for old_code, new_codes in ward_map.items():
        for new_code in new_codes:
            predecessors[new_code][wards_old[old_code].parent] += 1
    for district_code, new_codes in island.items():
        for new_code in new_codes:
            predecessors[new_code][districts[district_code].parent] += 1
    province_postal = postal["provinces"]
    postal_codes = {}
    for code, unit in wards_new.items():
        # Most predecessors first, then the lowest province code: deterministic.
        ranked = sorted(predecessors[code].items(), key=lambda item: (-item[1], item[0]))
        postal_codes[code] = province_postal[ranked[0][0] if ranked else unit.parent]
    centroids = {code: (lat, lon) for code, (lat, lon) in conversion["centroids"].items()}
    return Index(
        provinces_new=provinces_new,
        provinces_old=provinces_old,
        districts=districts,
        wards_new=wards_new,
        wards_old=wards_old,
        province_names=province_names,
        new_wards_by_province=dict(new_wards_by_province),
        new_wards_all=new_wards_all,
        districts_by_province=dict(districts_by_province),
        districts_all=districts_all,
        old_wards_by_district=dict(old_by_district),
        old_wards_by_province=dict(old_by_province),
        old_wards_all=old_all,
        conversion=ward_map,
        old_to_new_province=old_to_new_province,
        new_to_old_provinces=dict(new_to_old),
        island_districts=island,
        postal_codes=postal_codes,
        province_postal_codes={code: province_postal[code] for code in provinces_new},
        centroids=centroids,
        sources={
            "units": units["source"],
            "legacy": legacy["source"],
            "conversion": conversion["source"],
            "postal_codes": postal["source"],
        },
    )


_index: Index | None = None
_lock = threading.Lock()


def get_index() -> Index:
    """The process's index, built on first use (about a second) and then shared."""
    global _index
    if _index is None:
        with _lock:
            if _index is None:
                _index = build()
                # The index is some hundred thousand objects that live as long as the
                # process: out of the collector's sight, a full collection no longer
                # walks them all (it cost ~15 % of a normalisation, measured with
                # gc.callbacks). Frozen with them: whatever else the process held then.
                gc.freeze()
    return _index
