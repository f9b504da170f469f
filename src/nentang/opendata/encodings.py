"""Text encodings of the files agencies publish, detected and converted to UTF-8.

* UTF-8 (with or without BOM) and UTF-16 (BOM) are recognised by their bytes;
* otherwise the legacy Vietnamese encodings are tried — Windows-1258 (Python's
  ``cp1258``, tone marks as combining characters, NFC-composed afterwards),
  **TCVN3 (ABC)**, TCVN 5712:1993, one byte per letter: the table in
  ``data/tcvn3.tsv`` is generated from glibc's TCVN5712-1 charmap, and
  **VNI Windows**: a base letter followed by a mark byte (``"Vieät"`` = "Việt"),
  composed here from VNI's published tone and vowel-mark bytes (the VNI-Windows font
  table; the bytes read as Windows-1252) —
  and the decoding that yields the most Vietnamese letters and the fewest stray
  symbols wins. The user may override the guess.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
from functools import cache
from pathlib import Path

ENCODINGS = ("utf-8", "utf-8-sig", "utf-16", "cp1258", "tcvn3", "vni")
LABELS = {
    "utf-8": "UTF-8",
    "utf-8-sig": "UTF-8 (BOM)",
    "utf-16": "UTF-16",
    "cp1258": "Windows-1258",
    "tcvn3": "TCVN3 (ABC)",
    "vni": "VNI Windows",
}
DATA = Path(__file__).resolve().parent / "data"


@cache
def _tcvn3_table() -> dict[int, str]:
    table = {}
    for line in (DATA / "tcvn3.tsv").read_text(encoding="ascii").splitlines():
        if line and not line.startswith("#"):
            byte, code = line.split("\t")
            table[int(byte, 16)] = chr(int(code, 16))
    return table


def decode_tcvn3(data: bytes) -> str:
    table = _tcvn3_table()
    text = "".join(table.get(b, chr(b)) for b in data)
    return unicodedata.normalize("NFC", text)


# VNI Windows, read as Windows-1252 characters: the tone marks and vowel marks that
# follow a base letter, lower case and upper case.
_VNI_TONES_LOWER = {"ù": "\u0301", "ø": "\u0300", "û": "\u0309", "õ": "\u0303", "ï": "\u0323"}
_VNI_TONES_UPPER = {"Ù": "\u0301", "Ø": "\u0300", "Û": "\u0309", "Õ": "\u0303", "Ï": "\u0323"}
# Circumflex (â ê ô) with its tones, and breve (ă) with its tones.
_VNI_HAT_LOWER = {
    "â": "",
    "á": "\u0301",
    "à": "\u0300",
    "å": "\u0309",
    "ã": "\u0303",
    "ä": "\u0323",
}
_VNI_HAT_UPPER = {
    "Â": "",
    "Á": "\u0301",
    "À": "\u0300",
    "Å": "\u0309",
    "Ã": "\u0303",
    "Ä": "\u0323",
}
_VNI_BREVE_LOWER = {
    "ê": "",
    "é": "\u0301",
    "è": "\u0300",
    "ú": "\u0309",
    "ü": "\u0303",
    "ë": "\u0323",
}
_VNI_BREVE_UPPER = {
    "Ê": "",
    "É": "\u0301",
    "È": "\u0300",
    "Ú": "\u0309",
    "Ü": "\u0303",
    "Ë": "\u0323",
}
# Letters VNI writes as one byte.
_VNI_SINGLE = {
    "ñ": "đ", "Ñ": "Đ", "ô": "ơ", "Ô": "Ơ", "ö": "ư", "Ö": "Ư",
    "í": "í", "ì": "ì", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ",
    "Í": "Í", "Ì": "Ì", "Æ": "Ỉ", "Ó": "Ĩ", "Ò": "Ị", "Î": "Ỵ",
}  # fmt: skip


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@cache
def _vni_sequences() -> dict[str, str]:
    pairs: dict[str, str] = {}
    for base in "aeouy":
        for mark, tone in _VNI_TONES_LOWER.items():
            pairs[base + mark] = _nfc(base + tone)
    for base in "AEOUY":
        for mark, tone in _VNI_TONES_UPPER.items():
            pairs[base + mark] = _nfc(base + tone)
    for base in "aeo":
        for mark, tone in _VNI_HAT_LOWER.items():
            pairs[base + mark] = _nfc(base + "\u0302" + tone)
    for base in "AEO":
        for mark, tone in _VNI_HAT_UPPER.items():
            pairs[base + mark] = _nfc(base + "\u0302" + tone)
    for mark, tone in _VNI_BREVE_LOWER.items():
        pairs["a" + mark] = _nfc("a\u0306" + tone)
    for mark, tone in _VNI_BREVE_UPPER.items():
        pairs["A" + mark] = _nfc("A\u0306" + tone)
    # ơ and ư (one byte each) take the tone bytes too.
    for horn, letter in (("ô", "ơ"), ("ö", "ư")):
        for mark, tone in _VNI_TONES_LOWER.items():
            pairs[horn + mark] = _nfc(letter + tone)
    for horn, letter in (("Ô", "Ơ"), ("Ö", "Ư")):
        for mark, tone in _VNI_TONES_UPPER.items():
            pairs[horn + mark] = _nfc(letter + tone)
    return pairs


@cache
def _vni_pattern() -> re.Pattern[str]:
    keys = sorted({*_vni_sequences(), *_VNI_SINGLE}, key=len, reverse=True)
    return re.compile("|".join(re.escape(k) for k in keys))


def decode_vni(data: bytes) -> str:
    text = data.decode("cp1252", errors="surrogateescape")
    text = "".join(
        chr(ord(ch) - 0xDC00) if 0xDC80 <= ord(ch) <= 0xDCFF else ch for ch in text
    )  # the five bytes cp1252 leaves undefined, as Latin-1
    sequences = _vni_sequences()

    def replace(match: re.Match[str]) -> str:
        found = match.group(0)
        return sequences.get(found) or _VNI_SINGLE[found]

    return _vni_pattern().sub(replace, text)


def decode(data: bytes, encoding: str) -> str:
    """Decode with one of :data:`ENCODINGS` (``ValueError`` when the bytes do not fit)."""
    if encoding == "tcvn3":
        return decode_tcvn3(data)
    if encoding == "vni":
        return decode_vni(data)
    if encoding not in ENCODINGS:
        raise ValueError(f"unknown encoding {encoding}")
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as error:
        raise ValueError(str(error)) from None
    return unicodedata.normalize("NFC", text)


_VIETNAMESE = set(
    "aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
)
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
# A Vietnamese syllable: onset, vowel nucleus (the vowel groups of the language),
# coda. Checked on the letters without their tone.
_NUCLEI = (
    "iêu|oai|oay|oeo|uây|uôi|ươi|ươu|uyê|yêu|uya|uyu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|ôi|ơi|oo|ua|uâ|uê|ui|uô|uơ|ưa|ưi|ươ|ưu|uy|yê|"
    "a|ă|â|e|ê|i|o|ô|ơ|u|ư|y"
)
_SYLLABLE = re.compile(
    r"(ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnpqrstvx])?"
    rf"({_NUCLEI})(ch|nh|ng|[cmnpt])?"
)
_WORD = re.compile(r"[^\W\d_]+")


def _untoned(word: str) -> tuple[str, int]:
    decomposed = unicodedata.normalize("NFD", word.lower())
    tones = sum(1 for ch in decomposed if ch in _TONES)
    base = "".join(ch for ch in decomposed if ch not in _TONES)
    return unicodedata.normalize("NFC", base), tones


def score(text: str) -> float:
    """How Vietnamese a decoding looks: words with diacritics that are Vietnamese
    syllables (one tone, a known vowel group) count; other such words and stray
    symbols cost."""
    good = bad = 0
    for word in _WORD.findall(text):
        if word.isascii():
            continue
        if not all(ch.lower() in _VIETNAMESE for ch in word):
            bad += 2
            continue
        base, tones = _untoned(word)
        if tones <= 1 and _SYLLABLE.fullmatch(base):
            good += 1
        else:
            bad += 1
    for ch in text:
        if not ch.isascii() and not ch.isalpha() and ch not in "–—“”‘’…°€×·":
            bad += 2
    return good - 2 * bad


def detect(sample: bytes) -> str:
    """The encoding of a file from its first bytes (see the module docstring)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        sample.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as error:
        # A multi-byte character cut at the end of the sample is still UTF-8.
        if error.start >= len(sample) - 3 and error.reason == "unexpected end of data":
            return "utf-8"
    best, best_score = "cp1258", float("-inf")
    for candidate in ("cp1258", "tcvn3", "vni"):
        try:
            text = decode(sample, candidate)
        except ValueError:
            continue
        value = score(text)
        if value > best_score:
            best, best_score = candidate, value
    return best


def encode_tcvn3(text: str) -> bytes:
    """For tests and demo files: UTF-8 text written in TCVN3 (decomposed where the
    table has no precomposed letter)."""
    reverse = {ch: byte for byte, ch in _tcvn3_table().items()}
    out = bytearray()
    for ch in unicodedata.normalize("NFC", text):
        if ch in reverse:
            out.append(reverse[ch])
        elif ord(ch) < 128:
            out.append(ord(ch))
        else:
            raise ValueError(f"{ch!r} has no TCVN3 byte")
    return bytes(out)


def encode_vni(text: str) -> bytes:
    reverse = {v: k for k, v in _vni_sequences().items()}
    reverse.update({v: k for k, v in _VNI_SINGLE.items()})
    out = []
    for ch in unicodedata.normalize("NFC", text):
        out.append(reverse.get(ch, ch))
    return "".join(out).encode("cp1252")


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese software writes it: letters with their vowel marks
    (â ê ô ơ ư ă) precomposed, tone marks as combining characters after them."""
    out = []
    for ch in unicodedata.normalize("NFC", text):
        decomposed = unicodedata.normalize("NFD", ch)
        tones = "".join(c for c in decomposed if c in _TONES)
        base = unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))
        out.append(base + tones)
    return "".join(out).encode("cp1258")
