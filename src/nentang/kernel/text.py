"""Vietnamese text: NFC normalisation and a folded form for search.

``fold("Đà Nẵng") == fold("da nang") == fold("ĐÀ NẴNG") == "da nang"``: lower case,
tone and vowel marks removed, đ → d, runs of white space collapsed.
"""

from __future__ import annotations

import unicodedata

_D_MAP = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """The canonical composed form that every stored text uses."""
    return unicodedata.normalize("NFC", text)


def clean(text: str) -> str:
    """NFC with outer white space removed and inner runs collapsed to one space."""
    return " ".join(nfc(text).split())


def fold(text: str) -> str:
    """Search form: lower case, no diacritics, đ → d, single spaces."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().split())
