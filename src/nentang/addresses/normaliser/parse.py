"""Read a Vietnamese address as people write it and find its units.

The address is folded and cut into word tokens (letters and digits apart, so "P12",
"Q.1" and "Tp.HCM" split as they should); commas, semicolons, new lines and spaced
hyphens end a segment. The administrative part is consumed from one end — the end for
"12 Nguyễn Huệ, Bến Nghé, Q1, TP HCM", the start for "TP HCM, Q1, Bến Nghé, 12 Nguyễn
Huệ" — level by level (province, then old district, then ward), each level one dict
look-up per span length in the scopes the level above allows. A kind word before a name
("phường", "p.", "f", "q", "tx", "tp", "huyện" …) is consumed with it and must agree
with the unit's kind; a number ("Phường 1", "Q10") counts only after such a word. What
is left is the house-and-street line, cut from the original text.

Typos are tried only after an exact miss, within the scope already found, and cost
confidence. Names that differ only by their marks (Tân Thành / Tân Thạnh) are told
apart by the marks the writer used; when they were not written, every candidate is
returned.

Addresses written with commas mostly take the fast path (``normaliser.fast``) instead.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from operator import itemgetter
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

_TOKEN = re.compile(r"[a-z]+|[0-9]+|[,;|\n]| - ")
_WORD = re.compile(r"[a-z]+|[0-9]+")
_HAS_SEPARATOR = re.compile(r"[,;|\n]| - ")
_SEPARATORS = {",", ";", "|", "\n", " - "}
MAX_NAME_WORDS = 6
_new_tuple = tuple.__new__


class Token(NamedTuple):
    text: str  # folded; numbers without leading zeros
    start: int
    end: int
    segment: int


class Match(NamedTuple):
    units: tuple[Unit, ...]
    start: int  # token index of the first consumed token (kind word included)
    end: int  # one past the last consumed token
    marked: bool
    fuzzy: bool
    whole_segment: bool
    name_start: int  # first token of the name itself (after the kind word)
    name_end: int


def tokenize(folded: str) -> list[Token]:
    tokens: list[Token] = []
    append = tokens.append
    if not _HAS_SEPARATOR.search(folded):
        # One segment (no comma): words alone, numbers trimmed only when a 0 is there.
        zeros = "0" in folded
        for found in _WORD.finditer(folded):
            text = found.group()
            if zeros and text[0] == "0" and len(text) <= 3 and text.isdigit():
                text = str(int(text))
            append(_new_tuple(Token, (text, *found.span(), 0)))
        return tokens
    segment = 0
    for found in _TOKEN.finditer(folded):
        text = found.group()
        if text in _SEPARATORS:
            segment += 1
            continue
        if text[0] == "0" and len(text) <= 3 and text.isdigit():
            text = str(int(text))
        start, end = found.span()
        # tuple.__new__ skips the Python-level NamedTuple constructor (hot path).
        append(_new_tuple(Token, (text, start, end, segment)))
    return tokens


def _marker(
    tokens: Sequence[Token], at: int, markers: dict[str, set[str]], before: bool, lo: int, hi: int
) -> tuple[set[str], int]:
    """A kind word of one or two tokens just before ``at`` (or starting at ``at``)."""
    for size in (2, 1):
        first = at - size if before else at
        last = first + size
        if first < lo or last > hi:
            continue
        words = tokens[first:last]
        if size == 2 and words[0].segment != words[1].segment:
            continue
        kinds = markers.get(" ".join(t.text for t in words))
        if kinds:
            return kinds, size
    return set(), 0


def lookup(scopes: Sequence[Scope], name: str) -> list[Unit]:
    if len(scopes) == 1:
        return scopes[0].names.get(name) or []
    found: list[Unit] = []
    for scope in scopes:
        units = scope.names.get(name)
        if units:
            found.extend(u for u in units if u not in found)
    return found


def starts_with_province(index: Index, tokens: Sequence[Token]) -> bool:
    """Is the first segment a province's name ("TP HCM, Q1, …" is written big-to-small)?"""
    if not tokens or tokens[0].segment == tokens[-1].segment:
        return False
    segment = tokens[0].segment
    words = [t.text for t in tokens if t.segment == segment]
    if (len(words) > 1 and words[0] in ("tinh", "tp")) or words[:2] == ["thanh", "pho"]:
        words = words[2:] if words[:2] == ["thanh", "pho"] else words[1:]
    return " ".join(words) in index.province_names.names


def _segment_bounds(tokens: Sequence[Token], start: int, end: int) -> bool:
    """Does tokens[start:end] fill its segment (no other word of it before or after)?"""
    seg = tokens[start].segment
    before_ok = start == 0 or tokens[start - 1].segment != seg
    after_ok = end == len(tokens) or tokens[end].segment != seg
    return before_ok and after_ok


# How many tokens from ``pointer`` a match can see: a kind word of two and a name of six.
WINDOW = MAX_NAME_WORDS + 2
_NO_MATCH = object()
# The words a country name in COUNTRY_WORDS can start or end with.
_COUNTRY_EDGES = frozenset(
    word for name in COUNTRY_WORDS for word in (name.split()[0], name.split()[-1])
)
_TEXT = itemgetter(0)
_EMPTY = Scope()


def match(
    tokens: Sequence[Token],
    pointer: int,
    scopes: Sequence[Scope],
    markers: dict[str, set[str]],
    *,
    from_end: bool,
    bound: int,
    allow_fuzzy: bool,
    need_marker_alone: bool = False,
    memo: dict[Any, Any] | None = None,
) -> Match | None:
    """The longest name of ``scopes`` that ends at ``pointer`` (``from_end``) or starts
    there, with its kind word. ``bound`` is how far the match may reach.

    With ``memo`` (the index's), the answer is remembered for what the search can see:
    the words of the window of :data:`WINDOW` tokens at ``pointer``, their segments, and
    whether the words just outside it share their segment (what ``whole_segment``
    reads) — "… phuong ben nghe quan 1 tp ho chi minh" read again in another address is
    one dict look-up per level."""
    if not scopes:
        return None
    if from_end and not allow_fuzzy and pointer > bound:
        # What ``_match`` finds first: no exact name of the scopes ends with this word.
        edge_word = tokens[pointer - 1][0]
        if not any(edge_word in scope.last_words() for scope in scopes):
            return None
    if memo is None:
        return _match(
            tokens, pointer, scopes, markers, from_end, bound, allow_fuzzy, need_marker_alone
        )
    first, last = (
        (max(bound, pointer - WINDOW), pointer)
        if from_end
        else (
            pointer,
            min(bound, pointer + WINDOW),
        )
    )
    if first >= last:
        return None
    window = tokens[first:last]
    base = window[0][3]
    seen = tuple(map(_TEXT, window))
    # The segments relative to the first (None: all in one, the common case).
    segments = None if window[-1][3] == base else tuple([t[3] - base for t in window])
    before = tokens[first - 1][3] == base if first > 0 else None
    after = tokens[last][3] == window[-1][3] if last < len(tokens) else None
    key = (
        "match",
        from_end,
        allow_fuzzy,
        need_marker_alone,
        id(markers),
        tuple(map(id, scopes)),
        seen,
        segments,
        before,
        after,
    )
    remembered = memo.get(key)
    if remembered is None:
        found = _match(
            tokens, pointer, scopes, markers, from_end, bound, allow_fuzzy, need_marker_alone
        )
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[key] = (
            _NO_MATCH
            if found is None
            else found._replace(
                start=found.start - first,
                end=found.end - first,
                name_start=found.name_start - first,
                name_end=found.name_end - first,
            )
        )
        return found
    if remembered is _NO_MATCH:
        return None
    units, start, end, marked, fuzzy, whole, name_start, name_end = remembered
    return _new_tuple(
        Match,
        (
            units,
            start + first,
            end + first,
            marked,
            fuzzy,
            whole,
            name_start + first,
            name_end + first,
        ),
    )


def _match(
    tokens: Sequence[Token],
    pointer: int,
    scopes: Sequence[Scope],
    markers: dict[str, set[str]],
    from_end: bool,
    bound: int,
    allow_fuzzy: bool,
    need_marker_alone: bool,
) -> Match | None:
    if not scopes:
        return None
    lo, hi = (bound, pointer) if from_end else (pointer, bound)
    for fuzzy in (False, True) if allow_fuzzy else (False,):
        # From the start, a kind word comes first: try it, then the bare name.
        lead_kinds, lead = (set(), 0) if from_end else _marker(tokens, lo, markers, False, lo, hi)
        for skip in (lead, 0) if lead else (0,):
            limit = min(MAX_NAME_WORDS, hi - lo - skip)
            if markers is not PROVINCE_MARKERS and limit > 1:
                # Names do not cross a comma (only "Bà Rịa - Vũng Tàu" does, a province).
                edge = hi - 1 if from_end else lo + skip
                segment = tokens[edge].segment
                run = 1
                step = -1 if from_end else 1
                while run < limit and tokens[edge + step * run].segment == segment:
                    run += 1
                limit = run
            if not fuzzy and limit > 0:
                # Every exact name here ends (from the end) or starts with one token:
                # when no name of the scopes has that word there, none can match.
                edge_word = tokens[hi - 1][0] if from_end else tokens[lo + skip][0]
                if not any(
                    edge_word in (scope.last_words() if from_end else scope.first_words())
                    for scope in scopes
                ):
                    continue
            for size in range(limit, 0, -1):
                if from_end:
                    name_start, name_end = hi - size, hi
                else:
                    name_start, name_end = lo + skip, lo + skip + size
                name = " ".join([t[0] for t in tokens[name_start:name_end]])
                if fuzzy:
                    squashed = name.replace(" ", "")
                    if squashed.isdigit() or len(squashed) < 5:
                        continue
                    names = set().union(*(scope.fuzzy(squashed) for scope in scopes))
                    units = [u for n in sorted(names) for u in lookup(scopes, n)]
                else:
                    units = lookup(scopes, name)
                    if not units and size == 1:
                        continue
                if not units:
                    continue
                if from_end:
                    kinds, marker_size = _marker(tokens, name_start, markers, True, lo, hi)
                else:
                    kinds, marker_size = (lead_kinds, skip) if skip else (set(), 0)
                if kinds:
                    agreeing = [u for u in units if u.kind in kinds]
                    if agreeing:
                        units = agreeing
                    else:
                        kinds, marker_size = set(), 0
                if not kinds and (is_numeric(name) or need_marker_alone):
                    continue
                start = name_start - marker_size if from_end else lo
                end = name_end
                return Match(
                    units=tuple(units),
                    start=start,
                    end=end,
                    marked=bool(kinds),
                    fuzzy=fuzzy,
                    whole_segment=_segment_bounds(tokens, start, end),
                    name_start=name_start,
                    name_end=name_end,
                )
    return None


@dataclass
class Reading:
    """What one direction of reading found."""

    province: Match | None = None
    district: Match | None = None
    ward: Match | None = None
    regime: str = ""  # "2025" or "pre_2025"
    provinces: tuple[str, ...] = ()  # candidate province codes of the regime read
    line_span: tuple[int, int] = (0, 0)  # character span of the house-and-street line
    score: float = 0.0
    # The fast path's memo entry this reading came from (``fast._Template``), where
    # ``_result`` may keep the answer.
    template: Any = field(default=None, compare=False, repr=False)


def _trim_country(tokens: list[Token], from_end: bool) -> list[Token]:
    """Drop "Việt Nam"/"VN" and a postal code at the outer end."""
    if tokens:
        outer = tokens[-1][0] if from_end else tokens[0][0]
        if outer not in _COUNTRY_EDGES and not outer.isdigit():
            return tokens  # the common case: nothing to drop
    changed = True
    while changed and tokens:
        changed = False
        for words in (2, 1):
            part = tokens[-words:] if from_end else tokens[:words]
            if len(part) == words and " ".join(t.text for t in part) in COUNTRY_WORDS:
                tokens = tokens[:-words] if from_end else tokens[words:]
                changed = True
                break
        edge = tokens[-1] if from_end and tokens else (tokens[0] if tokens else None)
        if edge is not None and edge.text.isdigit() and len(edge.text) in (5, 6):
            tokens = tokens[:-1] if from_end else tokens[1:]
            changed = True
    return tokens


def read(
    index: Index, text: str, tokens: list[Token], *, from_end: bool, fuzzy: bool = False
) -> Reading:
    tokens = _trim_country(tokens, from_end)  # slices: the caller's list is left as it is
    reading = Reading()
    if not tokens:
        return reading
    total = len(tokens)
    pointer = total if from_end else 0
    bound = 0 if from_end else total

    def advance(found: Match) -> None:
        nonlocal pointer
        pointer = found.start if from_end else found.end

    # 1. Province (new or old name, or a nickname).
    province = match(
        tokens,
        pointer,
        [index.province_names],
        PROVINCE_MARKERS,
        from_end=from_end,
        bound=bound,
        allow_fuzzy=fuzzy,
        memo=index.memo,
    )
    if province is not None and province.fuzzy and not province.whole_segment:
        province = None
    if province is not None:
        reading.province = province
        advance(province)
    new_provinces, old_provinces = province_sets(index, province)

    # 2. District (pre-reform addresses only).
    district_scopes = (
        [index.districts_by_province[c] for c in old_provinces if c in index.districts_by_province]
        if province is not None
        else [index.districts_all]
    )
    district = match(
        tokens,
        pointer,
        district_scopes,
        DISTRICT_MARKERS,
        from_end=from_end,
        bound=bound,
        allow_fuzzy=fuzzy and province is not None,
        need_marker_alone=province is None,
        memo=index.memo,
    )
    if district is not None and not (district.marked or district.whole_segment):
        district = None
    if district is not None and not district.marked:
        # A bare name that fills its segment may be a district ("Chí Linh") or today's
        # ward of the same name: it is a district only if an old ward of it comes next.
        after = district.start if from_end else district.end
        scopes = [index.old_wards_by_district.get(u.code, _EMPTY) for u in district.units]
        if _ward(
            tokens, after, scopes, from_end, bound, fuzzy=False, memo=index.memo
        ) is None and not any(u.code in index.island_districts for u in district.units):
            district = None
    if district is not None:
        reading.district = district
        advance(district)
        old_provinces = sorted({u.parent for u in district.units})
        new_provinces = sorted({index.old_to_new_province[c] for c in old_provinces})

    # 3. Ward: in the old district when one was named, else today's wards first.
    ward: Match | None = None
    regime = "pre_2025" if district is not None else ""
    if district is not None:
        scopes = [index.old_wards_by_district.get(u.code, _EMPTY) for u in district.units]
        ward = _ward(tokens, pointer, scopes, from_end, bound, fuzzy=fuzzy, memo=index.memo)
        # An island district had no wards: the district itself is the unit.
    else:
        known = province is not None
        new_scopes = ([index.new_wards_by_province[c] for c in new_provinces] if known else []) or (
            [index.new_wards_all] if not known else []
        )
        ward = _ward(
            tokens,
            pointer,
            new_scopes,
            from_end,
            bound,
            fuzzy=fuzzy and known,
            nationwide=not known,
            memo=index.memo,
        )
        regime = "2025"
        if ward is None:
            old_scopes = (
                [index.old_wards_by_province[c] for c in old_provinces] if known else []
            ) or ([index.old_wards_all] if not known else [])
            ward = _ward(
                tokens,
                pointer,
                old_scopes,
                from_end,
                bound,
                fuzzy=fuzzy and known,
                nationwide=not known,
                memo=index.memo,
            )
            regime = "pre_2025" if ward is not None else ""
        if (
            province is not None
            and ward is None
            and province.units[0].code in index.provinces_old
            and province.units[0].code not in index.provinces_new
        ):
            regime = "pre_2025"
        if ward is None and province is not None:
            regime = regime or _regime_of_province(index, province)
    if ward is not None:
        reading.ward = ward
        advance(ward)
    reading.regime = regime
    reading.provinces = tuple(new_provinces)

    # The line: what is left on the other side of the administrative part.
    if from_end:
        reading.line_span = (0, tokens[pointer].start if pointer < total else len(text))
    else:
        reading.line_span = (tokens[pointer - 1].end if pointer > 0 else 0, len(text))
    reading.score = score(reading)
    return reading


def _ward(
    tokens: Sequence[Token],
    pointer: int,
    scopes: Sequence[Scope],
    from_end: bool,
    bound: int,
    *,
    fuzzy: bool,
    nationwide: bool = False,
    memo: dict[Any, Any] | None = None,
) -> Match | None:
    found = match(
        tokens,
        pointer,
        scopes,
        WARD_MARKERS,
        from_end=from_end,
        bound=bound,
        allow_fuzzy=fuzzy,
        memo=memo,
    )
    if found is None:
        return None
    if nationwide and not found.marked:
        return None  # without a province, "61 Trường Chinh" is a street, not a ward
    has_commas = tokens[0].segment != tokens[-1].segment
    if not found.marked and has_commas and not found.whole_segment:
        return None  # a bare name inside "12 Nguyễn Thái Bình, …" is the street
    if found.fuzzy and not (found.marked or found.whole_segment):
        return None
    return found


def province_sets(index: Index, province: Match | None) -> tuple[list[str], list[str]]:
    """(today's province codes, pre-2025 province codes) a province match allows."""
    if province is None:
        return [], []
    new: set[str] = set()
    old: set[str] = set()
    for unit in province.units:
        if index.provinces_new.get(unit.code) is unit:
            new.add(unit.code)
            old.update(index.new_to_old_provinces.get(unit.code, ()))
        if index.provinces_old.get(unit.code) is unit:
            old.add(unit.code)
            new.add(index.old_to_new_province[unit.code])
    return sorted(new), sorted(old)


def _regime_of_province(index: Index, province: Match) -> str:
    codes_new = {u.code for u in province.units if index.provinces_new.get(u.code) is u}
    return "2025" if codes_new else "pre_2025"


def score(reading: Reading) -> float:
    total = 0.0
    for found, weight in ((reading.province, 3.0), (reading.district, 2.0), (reading.ward, 4.0)):
        if found is None:
            continue
        total += weight
        total += 0.5 if found.marked else 0.0
        total += 0.3 if found.whole_segment else 0.0
        total -= 1.5 if found.fuzzy else 0.0
    return total


def accent_filter(
    units: Sequence[Unit], original: str, found: Match, tokens: Sequence[Token]
) -> list[Unit]:
    """Among units whose folded names collide, keep those whose marks match the text."""
    if len(units) < 2:
        return list(units)
    written = unicodedata.normalize(
        "NFC", original[tokens[found.name_start].start : tokens[found.name_end - 1].end]
    ).lower()
    if fold_fast(written) == written:
        return list(units)  # written without marks: nothing to tell them apart by
    written = " ".join(written.replace("-", " ").split())
    same = [u for u in units if u.accented == written]
    return same or list(units)
