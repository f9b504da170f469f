"""The fast path of the normaliser: an address written "line, [ward], [district],
province" with commas (or the same parts the other way round) is read with one dict
look-up per part, and each part's answer in its scope is remembered in the index's memo.
``quick_read`` cuts the parts straight from the folded text (no tokens); ``fast_read``
takes tokens (text with a spaced hyphen, e.g. "Bà Rịa - Vũng Tàu"). Either returns None
when the address is not of that shape, and the general reading (``parse.read``) takes
over. The whole reading is remembered as well, without the house-and-street line
(``_Template``), and ``quick_answer`` — what ``normalise`` calls — answers a known
"…, ward, province" from it without making parts.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

from nentang.addresses.normaliser.index import (
    COUNTRY_WORDS,
    DISTRICT_MARKERS,
    MEMO_LIMIT,
    PROVINCE_MARKERS,
    WARD_MARKERS,
    Index,
    Scope,
    Unit,
    fold_fast,
    is_numeric,
)
from nentang.addresses.normaliser.parse import (
    MAX_NAME_WORDS,
    Match,
    Reading,
    Token,
    lookup,
    province_sets,
)

_MISSING = object()
_EMPTY = Scope()
_new = tuple.__new__


class Part(NamedTuple):
    """One comma-separated part of an address, for the fast path."""

    start: int  # token index of its first word
    end: int  # one past its last word
    words: str  # its folded words joined by single spaces
    first: int  # where its first word starts in the folded text
    last: int  # where its last word ends


@dataclass(frozen=True, slots=True)
class _Scopes:
    """What a province reading allows below it, with the memo keys of each scope list."""

    new: tuple[str, ...]
    districts: tuple[Scope, ...]
    districts_key: tuple[int, ...]
    new_wards: tuple[Scope, ...]
    new_wards_key: tuple[int, ...]
    old_wards: tuple[Scope, ...]
    old_wards_key: tuple[int, ...]
    guard: tuple[Scope, ...]  # every scope of names a part may hold, for typo searches


def _scopes(index: Index, province: Match) -> _Scopes:
    memo_key = ("scopes", province.units)
    found: _Scopes | None = index.memo.get(memo_key)
    if found is None:
        new, old = province_sets(index, province)
        districts = tuple(
            index.districts_by_province[c] for c in old if c in index.districts_by_province
        )
        new_wards = tuple(index.new_wards_by_province[c] for c in new)
        old_wards = tuple(
            index.old_wards_by_province[c] for c in old if c in index.old_wards_by_province
        )
        found = _Scopes(
            tuple(new),
            districts,
            tuple(map(id, districts)),
            new_wards,
            tuple(map(id, new_wards)),
            old_wards,
            tuple(map(id, old_wards)),
            districts + new_wards + old_wards,
        )
        _remember(index, memo_key, found)
    return found


def _remember(index: Index, memo_key: object, value: object) -> None:
    if len(index.memo) >= MEMO_LIMIT:
        index.memo.clear()
    index.memo[memo_key] = value


def _segment_unit(
    index: Index,
    part: Part,
    scopes: Sequence[Scope],
    markers: dict[str, set[str]],
    scopes_key: tuple[int, ...] | None = None,
) -> Match | None:
    """The unit named by the whole part, with its kind word or not.

    The answer depends only on the part's words and the scopes, so it is remembered in
    the index's memo: the same "Phường Bến Nghé" or "TP HCM" costs one look-up after
    its first reading."""
    if scopes_key is None:
        scopes_key = tuple(map(id, scopes))
    memo_key = (part.words, id(markers), scopes_key)
    found = index.memo.get(memo_key, _MISSING)
    if found is _MISSING:
        found = _segment_read(part.words, scopes, markers)
        _remember(index, memo_key, found)
    if found is None:
        return None
    units, marked, size = found  # the memo holds these triples
    start, end = part.start, part.end
    return _new(Match, (units, start, end, marked, False, True, start + size, end))


def _segment_typo(
    index: Index, part: Part, groups: tuple[tuple[Scope, ...], ...], guard: Sequence[Scope]
) -> tuple[Match, int] | None:
    """A ward written with its kind word and one typo in its name ("X. Tten Dien"), as
    the general reading would find it: (the match, which of ``groups`` it came from —
    today's wards are tried before the old ones), or None — then the general reading
    judges the address. Remembered in the index's memo like ``_segment_unit``'s
    answers; only tried after every exact look-up failed."""
    memo_key = ("typo", part.words, tuple(tuple(map(id, g)) for g in groups), tuple(map(id, guard)))
    found = index.memo.get(memo_key, _MISSING)
    if found is _MISSING:
        found = _typo_read(part.words, groups, guard)
        _remember(index, memo_key, found)
    if found is None:
        return None
    units, marker_size, group = found
    start, end = part.start, part.end
    return _new(Match, (units, start, end, True, True, True, start + marker_size, end)), group


def _typo_read(
    words: str, groups: tuple[tuple[Scope, ...], ...], guard: Sequence[Scope]
) -> tuple[tuple[Unit, ...], int, int] | None:
    """(units, kind-word size, group) when the part is a ward's kind word and a name one
    edit from a ward's; None when it is anything else or when the general reading
    (``parse.match``: exact names at every span first, typos longest span first, the
    district before the ward) could read it otherwise: an exact name ends the part
    (``guard``: every scope the general reading tries), or a longer span or a district
    is also one edit away."""
    parts = words.split(" ")
    marker_size = next(
        (n for n in (2, 1) if n < len(parts) and " ".join(parts[:n]) in WARD_MARKERS), 0
    )
    if not marker_size or len(parts) > MAX_NAME_WORDS:
        return None
    kinds = WARD_MARKERS[" ".join(parts[:marker_size])]
    if any(lookup(guard, " ".join(parts[-size:])) for size in range(len(parts), 0, -1)):
        return None
    name = "".join(parts[marker_size:])
    if name.isdigit() or len(name) < 5:
        return None
    # Spans longer than the name (with the kind word's letters) come first in a typo search.
    longer = ["".join(parts[-n:]) for n in range(len(parts) - marker_size + 1, len(parts) + 1)]
    for group, scopes in enumerate(groups):
        if any(scope.fuzzy(squashed) for squashed in longer for scope in scopes):
            return None
        names = set().union(*(scope.fuzzy(name) for scope in scopes))
        units = tuple(u for n in sorted(names) for u in lookup(scopes, n) if u.kind in kinds)
        if names and not units:
            return None  # the kind word disagrees: the general reading decides
        if units:
            return units, marker_size, group
    return None


def _segment_read(
    words: str, scopes: Sequence[Scope], markers: dict[str, set[str]]
) -> tuple[tuple[Unit, ...], bool, int] | None:
    """(units, marked, kind-word size) of a whole part written ``words``, or None."""
    parts = words.split(" ")
    for size in (2, 1):
        if size >= len(parts):
            continue
        kinds = markers.get(" ".join(parts[:size]))
        if not kinds:
            continue
        units = lookup(scopes, " ".join(parts[size:]))
        agreeing = tuple(u for u in units if u.kind in kinds)
        if agreeing:
            return agreeing, True, size
        break
    if is_numeric(words):
        return None
    units = lookup(scopes, words)
    if not units:
        return None
    return tuple(units), False, 0


def _trim_parts(parts: list[Part]) -> None:
    """Drop a trailing "Việt Nam" and postal code."""
    while parts:
        words = parts[-1].words
        if words in COUNTRY_WORDS or (words.isdigit() and len(words) in (5, 6)):
            parts.pop()
        else:
            break


def read_parts(index: Index, parts: list[Part], length: int) -> Reading | None:
    if len(parts) < 2:
        return None
    found = _fast_remembered(index, parts[::-1], length, from_end=True)
    if found is None and len(parts) >= 3:
        found = _fast_remembered(index, parts, length, from_end=False)
    return found


_THIRD = object()  # a memo value: the reading depends on the third part's words too


class _Template:
    """A reading of ``_fast`` without its positions: which parts (0, 1, 2 in reading
    order) hold the units read, what was read there, and — once ``_result`` has made
    it, when it depends on nothing else — the answer's fields."""

    __slots__ = ("answer", "line", "matches", "provinces", "regime")

    def __init__(
        self,
        matches: tuple[Any, ...],
        regime: str,
        provinces: tuple[str, ...],
        line: int,
    ) -> None:
        self.matches = matches  # flat: (attribute, part, units, marked, fuzzy, whole, kind size) …
        self.regime = regime
        self.provinces = provinces
        self.line = line  # the part next to the house-and-street line (the ward's)
        self.answer: dict[str, Any] | None = None


def _remembered(
    memo: dict[Any, Any], words: Sequence[str], from_end: bool
) -> tuple[tuple[object, ...], object]:
    """(memo key, memo value) of ``_fast`` on parts with these ``words`` (in reading
    order, two at least): a ``_Template``, None (no reading) or ``_MISSING``. The reading
    depends only on the direction, the words of the first two parts, whether there is a
    third, and — when the second part is an old district and there is a third — the
    third's words; never on the house-and-street line beyond them."""
    first, second = words[0], words[1]
    key: tuple[object, ...] = ("fast", from_end, first, second, len(words) >= 3)
    found = memo.get(key, _MISSING)
    if found is _THIRD:
        key = ("fast3", from_end, first, second, words[2])
        found = memo.get(key, _MISSING)
    return key, found


def _fast_remembered(
    index: Index, parts: list[Part], length: int, *, from_end: bool
) -> Reading | None:
    """``_fast`` through the index's memo (see ``_remembered``). The memo keeps the
    reading without positions and puts it back on these parts: "…, Phường Bến Nghé,
    TP HCM" after any line costs one or two look-ups."""
    key, found = _remembered(index.memo, [part.words for part in parts[:3]], from_end)
    if found is _MISSING:
        reading, used_third = _fast(index, parts, length, from_end=from_end)
        if used_third and key[0] == "fast":
            _remember(index, key, _THIRD)
            key = ("fast3", from_end, parts[0].words, parts[1].words, parts[2].words)
        template = None if reading is None else _template(reading, parts)
        _remember(index, key, template)
        if reading is not None:
            reading.template = template
        return reading
    if found is None:
        return None
    assert isinstance(found, _Template)
    reading = Reading(regime=found.regime, provinces=found.provinces, template=found)
    matches = found.matches
    for i in range(0, len(matches), 7):
        attr, at, units, marked, fuzzy, whole, size = matches[i : i + 7]
        part = parts[at]
        start, end = part.start, part.end
        setattr(
            reading, attr, _new(Match, (units, start, end, marked, fuzzy, whole, start + size, end))
        )
    part = parts[found.line]
    reading.line_span = (0, part.first) if from_end else (part.last, length)
    return reading


def quick_answer(index: Index, text: str) -> tuple[dict[str, Any], int, int] | Reading | None:
    """``quick_read``, with a shortcut: (the answer's fields, the line's span) when the
    memo already holds the answer of the fast path's reading of ``text`` (see
    ``_Template.answer``) — a known "…, ward, province" costs one look-up per chunk and
    one or two in the memo, no parts made."""
    pieces, found_chunks = _pieces(index, text)
    if len(pieces) < 2:
        return None  # one part: not the fast path's shape
    words = [chunk[0] for chunk in found_chunks]
    if "" not in words and words[-1] not in COUNTRY_WORDS and not words[-1].isdigit():
        # The parts are these words (nothing to drop): what the memo knows decides.
        memo = index.memo
        from_end = True
        found = _remembered(memo, words[::-1], True)[1]
        if found is None:
            if len(words) < 3:
                return None
            from_end = False
            found = _remembered(memo, words, False)[1]
            if found is None:
                return None  # neither direction reads it: the general reading will
        if isinstance(found, _Template) and found.answer is not None:
            piece = len(words) - 1 - found.line if from_end else found.line
            position = sum(map(len, pieces[:piece])) + piece  # separators are one character
            _, _, lead, tail = found_chunks[piece]
            if from_end:
                return found.answer, 0, position + lead
            return found.answer, position + tail, len(text)
    return read_parts(index, _parts(pieces, found_chunks), len(text))


def _template(reading: Reading, parts: list[Part]) -> _Template:
    starts = [part.start for part in parts[:3]]
    matches: list[Any] = []
    line = 0
    for attr in ("province", "district", "ward"):
        found: Match | None = getattr(reading, attr)
        if found is None:
            continue
        at = starts.index(found.start)
        assert parts[at].end == found.end == found.name_end  # a fast-path match is a whole part
        matches += (
            attr,
            at,
            found.units,
            found.marked,
            found.fuzzy,
            found.whole_segment,
            found.name_start - found.start,
        )
        line = at
    return _Template(tuple(matches), reading.regime, reading.provinces, line)


def fast_read(index: Index, folded: str, tokens: Sequence[Token]) -> Reading | None:
    """The common case, "line, [ward], [district], province" with commas (or the same
    parts the other way round), read with one look-up per part; None when the address is
    not of that shape (the general reading then takes over)."""
    parts: list[Part] = []
    start = 0
    for i in range(1, len(tokens) + 1):
        if i == len(tokens) or tokens[i].segment != tokens[start].segment:
            words = " ".join([t[0] for t in tokens[start:i]])
            parts.append(Part(start, i, words, tokens[start].start, tokens[i - 1].end))
            start = i
    _trim_parts(parts)
    # "Bà Rịa - Vũng Tàu": the one province name with a spaced hyphen in it.
    for side in (-1, 0):
        if len(parts) >= 3:
            a, b = (parts[-2], parts[-1]) if side == -1 else (parts[0], parts[1])
            between = folded[a.last : b.first]
            joined = Part(a.start, b.end, f"{a.words} {b.words}", a.first, b.last)
            if (
                "-" in between
                and "," not in between
                and _segment_unit(index, joined, [index.province_names], PROVINCE_MARKERS)
            ):
                if side == -1:
                    parts[-2:] = [joined]
                else:
                    parts[:2] = [joined]
    return read_parts(index, parts, len(folded))


_SPLIT = re.compile(r"[,;|\n]")
_WORD = re.compile(r"[a-z]+|[0-9]+")


def quick_read(index: Index, folded: str) -> Reading | None:
    """``fast_read`` straight from the folded text, without making tokens: the parts are
    cut at the separators and their words found by one regular expression each. Only
    for text without a spaced hyphen (that is left to ``fast_read``); None when the
    address is not of the fast path's shape."""
    return read_parts(index, quick_parts(index, folded), len(folded))


def quick_parts(index: Index, folded: str) -> list[Part]:
    """The comma-separated parts of folded text without a spaced hyphen (a trailing
    country name and postal code dropped)."""
    return _parts(*_pieces(index, folded))


def _pieces(index: Index, text: str) -> tuple[list[str], list[tuple[str, int, int, int]]]:
    """The text between separators, and for each its words (see ``_chunk_words``).
    ``text``: the folded address, or the address as written when every letter of it
    folds to one (``index.UNFOLDABLE``): each chunk is folded when first met."""
    # Commas alone (the common case) split without the regular expression.
    pieces = _SPLIT.split(text) if ";" in text or "|" in text or "\n" in text else text.split(",")
    chunks = index.chunks
    found = list(map(chunks.get, pieces))
    if None in found:
        for i, chunk in enumerate(found):
            if chunk is None:
                chunk = found[i] = _chunk_words(fold_fast(pieces[i]))
                if len(chunks) >= MEMO_LIMIT:
                    chunks.clear()
                chunks[pieces[i]] = chunk
    return pieces, found  # type: ignore[return-value]  # no None left


def _parts(pieces: list[str], found: list[tuple[str, int, int, int]]) -> list[Part]:
    parts: list[Part] = []
    count = position = 0
    for piece, (words, size, lead, tail) in zip(pieces, found, strict=True):
        if size:
            parts.append(_new(Part, (count, count + size, words, position + lead, position + tail)))
            count += size
        position += len(piece) + 1  # every separator is one character
    if parts and (parts[-1].words in COUNTRY_WORDS or parts[-1].words.isdigit()):
        _trim_parts(parts)
    return parts


def _chunk_words(chunk: str) -> tuple[str, int, int, int]:
    """(words joined by single spaces, how many, where the first starts, where the last
    ends) of a chunk, as ``parse.tokenize`` reads them (numbers of up to three digits
    without their leading zeros)."""
    found = list(_WORD.finditer(chunk))
    if not found:
        return "", 0, 0, 0
    words = [m.group() for m in found]
    if "0" in chunk:
        words = [str(int(w)) if w[0] == "0" and len(w) <= 3 and w.isdigit() else w for w in words]
    return " ".join(words), len(words), found[0].start(), found[-1].end()


def _fast(
    index: Index, parts: list[Part], length: int, *, from_end: bool
) -> tuple[Reading | None, bool]:
    """``parts``: the comma-separated parts, the province's first. Returns the reading
    (or None) and whether the third part's words were read."""
    province = _segment_unit(index, parts[0], (index.province_names,), PROVINCE_MARKERS)
    if province is None:
        return None, False
    scopes = _scopes(index, province)
    reading = Reading(province=province, provinces=scopes.new)
    part = parts[1]

    def line(after: Part) -> tuple[int, int]:
        if from_end:
            return (0, after.first)
        return (after.last, length)

    district = _segment_unit(index, part, scopes.districts, DISTRICT_MARKERS, scopes.districts_key)
    used_third = district is not None and len(parts) >= 3
    if district is not None and len(parts) >= 3:
        ward_part = parts[2]
        ward_scopes = [index.old_wards_by_district.get(u.code, _EMPTY) for u in district.units]
        ward = _segment_unit(index, ward_part, ward_scopes, WARD_MARKERS)
        if ward is None and from_end and district.marked:
            typo = _segment_typo(index, ward_part, (tuple(ward_scopes),), ward_scopes)
            ward = typo[0] if typo else None
        if ward is not None and (district.marked or ward.marked):
            reading.district, reading.ward, reading.regime = district, ward, "pre_2025"
            reading.provinces = tuple(
                sorted({index.old_to_new_province[u.parent] for u in district.units})
            )
            reading.line_span = line(ward_part)
            return reading, True
        if district.marked:
            return None, used_third
    ward = _segment_unit(index, part, scopes.new_wards, WARD_MARKERS, scopes.new_wards_key)
    regime = "2025"
    if ward is None:
        ward = _segment_unit(index, part, scopes.old_wards, WARD_MARKERS, scopes.old_wards_key)
        regime = "pre_2025"
    if ward is None and from_end and district is None:
        # Exact names failed: one typo in the ward's name, today's wards first.
        typo = _segment_typo(
            index, part, (scopes.districts, scopes.new_wards, scopes.old_wards), scopes.guard
        )
        if typo is not None and typo[1] > 0:
            ward, regime = typo[0], "2025" if typo[1] == 1 else "pre_2025"
    if ward is None:
        return None, used_third
    reading.ward, reading.regime = ward, regime
    reading.line_span = line(part)
    return reading, used_third  # its score is not needed: no other reading competes with it
