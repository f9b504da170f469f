"""Address normalisation: any written Vietnamese address → today's units.

``normalise("12 nguyen hue, p ben nghe, q1, tphcm")`` reads the address (see
``parse``), converts a pre-reform reading (old ward, district, one of the 63 provinces)
to the units in force since 1 July 2025 and returns a :class:`Normalised`:

* ``resolved`` — one ward and its province;
* ``ambiguous`` — several wards fit: a pre-reform ward split among several new wards,
  or names that differ only by marks written without them. Every candidate is listed
  and none is chosen (DOMAIN.md: never a silent default); the caller picks one;
* ``unresolved`` — with a ``reason``: ``empty``, ``invalid_characters``, ``too_long``,
  ``no_province`` (neither a province nor a ward that names one), ``no_ward`` (the
  province is known, the ward is not) or ``ambiguous_province``.

No database access: the index is built once per process from the data files.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from nentang.addresses.normaliser.fast import fast_read, quick_answer
from nentang.addresses.normaliser.index import (
    MEMO_LIMIT,
    Index,
    Unit,
    fold_fast,
    get_index,
)
from nentang.addresses.normaliser.index import (
    UNFOLDABLE as _UNFOLDABLE,
)
from nentang.addresses.normaliser.parse import (
    Reading,
    Token,
    accent_filter,
    read,
    starts_with_province,
    tokenize,
)

MAX_LENGTH = 500
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_EDGE = " \t,.;:-–—|/\\"

RESOLVED = "resolved"
AMBIGUOUS = "ambiguous"
UNRESOLVED = "unresolved"


@dataclass(frozen=True)
class Candidate:
    ward_code: str
    ward_name: str
    province_code: str
    province_name: str
    postal_code: str

    def as_dict(self) -> dict[str, str]:
        return {
            "ward_code": self.ward_code,
            "ward_name": self.ward_name,
            "province_code": self.province_code,
            "province_name": self.province_name,
            "postal_code": self.postal_code,
        }


@dataclass(frozen=True)
class Legacy:
    """The pre-reform units the address named (codes of Decision 124/2004/QĐ-TTg)."""

    ward_code: str
    ward_name: str
    district_code: str
    district_name: str
    province_code: str
    province_name: str


@dataclass(frozen=True)
class Normalised:
    input: str
    status: str
    reason: str = ""
    line: str = ""
    ward_code: str = ""
    ward_name: str = ""
    province_code: str = ""
    province_name: str = ""
    postal_code: str = ""
    confidence: float = 0.0
    regime: str = ""  # "2025" (two levels) or "pre_2025" (three levels, converted)
    legacy: Legacy | None = None
    candidates: tuple[Candidate, ...] = field(default_factory=tuple)

    @property
    def formatted(self) -> str:
        if self.status != RESOLVED:
            return ""
        return ", ".join(part for part in (self.line, self.ward_name, self.province_name) if part)

    def as_dict(self) -> dict[str, Any]:
        return {
            "input": self.input,
            "status": self.status,
            "reason": self.reason or None,
            "line": self.line,
            "ward_code": self.ward_code or None,
            "ward_name": self.ward_name or None,
            "province_code": self.province_code or None,
            "province_name": self.province_name or None,
            "postal_code": self.postal_code or None,
            "confidence": self.confidence,
            "regime": self.regime or None,
            "formatted": self.formatted or None,
            "legacy": None
            if self.legacy is None
            else {
                "ward_code": self.legacy.ward_code or None,
                "ward_name": self.legacy.ward_name or None,
                "district_code": self.legacy.district_code,
                "district_name": self.legacy.district_name,
                "province_code": self.legacy.province_code,
                "province_name": self.legacy.province_name,
            },
            "candidates": [c.as_dict() for c in self.candidates],
        }


def _candidate(index: Index, code: str) -> Candidate:
    memo_key = ("candidate", code)
    found: Candidate | None = index.memo.get(memo_key)
    if found is None:
        ward = index.wards_new[code]
        province = index.provinces_new[ward.parent]
        found = Candidate(code, ward.name, province.code, province.name, index.postal_codes[code])
        index.memo[memo_key] = found
    return found


def _clean_line(text: str) -> str:
    return " ".join(text.strip(_EDGE).split()).strip(_EDGE)


LINE_CACHE_SIZE = 4_096


def normalise(text: str) -> Normalised:
    """Normalise one address (see the module docstring for the outcomes).

    The answers for the last ``LINE_CACHE_SIZE`` distinct lines are kept (a batch or a
    CSV file repeats its senders' addresses); ``clear_line_cache()`` forgets them."""
    if isinstance(text, str) and len(text) <= MAX_LENGTH:
        return _normalise_line(text)
    return _normalise(text)


def clear_line_cache() -> None:
    _normalise_line.cache_clear()


def _normalise(text: str) -> Normalised:
    index = get_index()
    original = text if isinstance(text, str) else ""
    if _CONTROL.search(original):
        return Normalised(input=original, status=UNRESOLVED, reason="invalid_characters")
    if len(original) > MAX_LENGTH:
        return Normalised(input=original[:MAX_LENGTH], status=UNRESOLVED, reason="too_long")
    nfc = unicodedata.normalize("NFC", original)
    # Every letter folds to one (no lone combining mark): the fast path cuts the parts
    # from the text as written — the chunk memo folds each chunk once — and a known
    # "…, ward, province" is answered without folding the address.
    foldable = nfc.isascii() or _UNFOLDABLE.search(nfc) is None
    if foldable and " - " not in nfc:
        quick = _quick(index, original, nfc, nfc)
        if quick is not None:
            return quick
    folded = nfc.lower() if nfc.isascii() else fold_fast(nfc)
    if len(folded) != len(nfc):
        # A combining mark without a composed form: fold letter by letter so that the
        # token offsets still point into the original text.
        folded = "".join(fold_fast(ch) or " " for ch in nfc)
    if not foldable and " - " not in folded:
        quick = _quick(index, original, nfc, folded)
        if quick is not None:
            return quick
    tokens = tokenize(folded)
    if not tokens:
        return Normalised(input=original, status=UNRESOLVED, reason="empty")

    # Exact names first, in the direction the address seems written (a province at the
    # start: "TP HCM, Q1, …"), then the other; typos only when that fails (a typo search
    # costs ten times an exact one).
    if " - " in folded:  # else quick_read has already given fast_read's answer
        fast = fast_read(index, folded, tokens)
        if fast is not None:
            return _result(index, original, nfc, tokens, fast, folded)
    first = not starts_with_province(index, tokens)
    best = read(index, nfc, tokens, from_end=first)
    attempts = ((not first, False), (first, True), (not first, True))
    if best.province is not None:
        attempts = ((first, True), (not first, False), (not first, True))
    for from_end, fuzzy in attempts:
        if best.ward is not None and (best.province is not None or best.ward.marked):
            break
        other = read(index, nfc, tokens, from_end=from_end, fuzzy=fuzzy)
        if other.score > best.score:
            best = other
    return _result(index, original, nfc, tokens, best, folded)


def _quick(index: Index, original: str, nfc: str, text: str) -> Normalised | None:
    """The fast path's answer (``fast.quick_answer`` on ``text``: the folded address,
    or the address itself when every letter folds to one), or None."""
    quick = quick_answer(index, text)
    if quick.__class__ is tuple:
        fields, start, end = quick  # type: ignore[misc]  # the remembered answer
        answer = _new_object(Normalised)
        answer.__dict__.update(fields)
        answer.__dict__["input"] = original
        answer.__dict__["line"] = _clean_line(nfc[start:end])
        return answer
    if isinstance(quick, Reading):
        return _result(index, original, nfc, None, quick, None)
    return None


_normalise_line = functools.lru_cache(maxsize=LINE_CACHE_SIZE)(_normalise)


_new_object = object.__new__


def _result(
    index: Index,
    original: str,
    nfc: str,
    tokens: list[Token] | None,
    reading: Reading,
    folded: str | None,
) -> Normalised:
    """The answer for a reading. Everything but the input and the line depends only on
    the units read and how (kind word, typo, whole part), so it is computed once per
    such reading and kept in the index's memo; the answer is a copy of it with the
    input and the line (one dict update instead of the frozen dataclass's thirteen
    ``object.__setattr__``)."""
    line = _clean_line(nfc[reading.line_span[0] : reading.line_span[1]])
    ward, district, province = reading.ward, reading.district, reading.province
    units: Sequence[Unit] = ()
    if ward is not None:
        units = ward.units
        if len(units) > 1:
            # Only here does the fast path need the tokens' positions.
            if tokens is None:
                tokens = tokenize(fold_fast(nfc) if folded is None else folded)
            units = accent_filter(units, nfc, ward, tokens)
    memo_key = (
        "result",
        reading.regime,
        reading.provinces,
        tuple(map(id, units)),
        None if ward is None else (ward.fuzzy, ward.marked, ward.whole_segment),
        None if district is None else (tuple(map(id, district.units)), district.fuzzy),
        None if province is None else province.fuzzy,
    )
    fields: dict[str, Any] | None = index.memo.get(memo_key)
    if fields is None:
        fields = dict(vars(_outcome(index, reading, units)))
        if len(index.memo) >= MEMO_LIMIT:
            index.memo.clear()
        index.memo[memo_key] = fields
    if reading.template is not None and (ward is None or len(ward.units) < 2):
        # The answer depends on the fast path's reading alone (no marks to compare).
        reading.template.answer = fields
    answer = _new_object(Normalised)
    answer.__dict__.update(fields)
    answer.__dict__["input"] = original
    answer.__dict__["line"] = line
    return answer


def _outcome(index: Index, reading: Reading, units: Sequence[Unit]) -> Normalised:
    """The answer for a reading with an empty input and line (see ``_result``)."""
    original = line = ""
    confidence = 1.0
    if reading.province is None:
        confidence -= 0.1
    for found in (reading.province, reading.district, reading.ward):
        if found is not None and found.fuzzy:
            confidence -= 0.15
    if reading.ward is not None and not (reading.ward.marked or reading.ward.whole_segment):
        confidence -= 0.1

    legacy: Legacy | None = None
    codes: list[str] = []
    if reading.ward is not None:
        if reading.regime == "2025":
            codes = sorted({u.code for u in units})
        else:
            codes = sorted({new for u in units for new in index.conversion[u.code]})
            if len(units) == 1:
                legacy = _legacy(index, units[0], None)
    elif reading.district is not None:
        islands = [u for u in reading.district.units if u.code in index.island_districts]
        if islands:
            codes = sorted({new for u in islands for new in index.island_districts[u.code]})
            if len(islands) == 1:
                legacy = _legacy(index, None, islands[0])
    if legacy is None and reading.district is not None and len(reading.district.units) == 1:
        legacy = _legacy(index, None, reading.district.units[0])

    if not codes:
        provinces = reading.provinces
        if len(provinces) == 1:
            province = index.provinces_new[provinces[0]]
            return Normalised(
                input=original,
                status=UNRESOLVED,
                reason="no_ward",
                line=line,
                province_code=province.code,
                province_name=province.name,
                postal_code=_province_postal(index, province.code),
                confidence=round(max(confidence, 0.0) * 0.5, 2),
                regime=reading.regime,
                legacy=legacy,
            )
        reason = "ambiguous_province" if len(provinces) > 1 else "no_province"
        return Normalised(input=original, status=UNRESOLVED, reason=reason, line=line)

    candidates = tuple(_candidate(index, code) for code in codes)
    if len(candidates) == 1:
        only = candidates[0]
        return Normalised(
            input=original,
            status=RESOLVED,
            line=line,
            ward_code=only.ward_code,
            ward_name=only.ward_name,
            province_code=only.province_code,
            province_name=only.province_name,
            postal_code=only.postal_code,
            confidence=round(max(confidence, 0.05), 2),
            regime=reading.regime,
            legacy=legacy,
            candidates=candidates,
        )
    candidate_provinces = sorted({c.province_code for c in candidates})
    shared = index.provinces_new[candidate_provinces[0]] if len(candidate_provinces) == 1 else None
    return Normalised(
        input=original,
        status=AMBIGUOUS,
        reason="several_wards",
        line=line,
        province_code=shared.code if shared else "",
        province_name=shared.name if shared else "",
        postal_code=_province_postal(index, shared.code) if shared else "",
        confidence=round(max(confidence, 0.05) / len(candidates), 2),
        regime=reading.regime,
        legacy=legacy,
        candidates=candidates,
    )


def _province_postal(index: Index, code: str) -> str:
    return index.province_postal_codes.get(code, "")


def _legacy(index: Index, ward: Unit | None, district: Unit | None) -> Legacy:
    if district is None:
        assert ward is not None
        district = index.districts[ward.district]
    province = index.provinces_old[district.parent]
    return Legacy(
        ward_code=ward.code if ward else "",
        ward_name=ward.name if ward else "",
        district_code=district.code,
        district_name=district.name,
        province_code=province.code,
        province_name=province.name,
    )


__all__ = [
    "AMBIGUOUS",
    "RESOLVED",
    "UNRESOLVED",
    "Candidate",
    "Legacy",
    "Normalised",
    "clear_line_cache",
    "normalise",
]
