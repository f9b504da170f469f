"""Pseudo-localisation: find visible text that did not pass through translation.

``marked_translations()`` wraps every catalogue so that each translated string comes
out between ``⟦`` and ``⟧``; ``untranslated(html)`` then lists the visible text of a page
(text nodes and the attributes people read or hear: ``alt``, ``title``, ``aria-label``,
``placeholder``, button values) that carries no mark once the allowed proper names,
codes and numbers are set aside. A string that skipped gettext — hard-coded English, a
model name without ``verbose_name``, a library's message — is left over and named.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser
from typing import Any

OPEN, CLOSE = "⟦", "⟧"

# Text that is the same in every language: codes, numbers, amounts, dates, paths,
# e-mail addresses, URLs and punctuation.
NEUTRAL = re.compile(
    r"""(
        https?://\S+ | /[\w/.\-?=&%…]* | [\w.+-]+@[\w-]+(\.[\w-]+)+   # URLs, paths, e-mail
      | \b[\w.-]*\d[\w.:/-]*\b                                      # anything with a digit
      | [A-Z]{2,}[\w-]*                                             # codes: VN, API, HTTP, S10
      | [_a-z]+(_[a-z]+)+                                           # snake_case codes
      | [^\w\s]                                                     # punctuation, symbols
    )""",
    re.VERBOSE,
)

# Names that are not translated: the product, languages named in themselves, standards.
PROPER_NAMES = {
    "nentang",
    "Tiếng Việt",
    "English",
    "OpenID Connect",
    "OpenAPI",
    "JSON",
    "VietQR",
    "e-ID",
}

_READ_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")


class _Marked:
    """A translation object whose results are marked; everything else is delegated."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def gettext(self, message: str) -> str:
        result = self._inner.gettext(message)
        if "\x04" in result:  # pgettext's "context\x04message" with no translation: the
            result = result.split("\x04", 1)[1]  # message itself, marked all the same
        return f"{OPEN}{result}{CLOSE}"

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        return f"{OPEN}{self._inner.ngettext(singular, plural, number)}{CLOSE}"

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


@contextmanager
def marked_translations(languages: Iterable[str] = ("vi", "en")) -> Iterator[None]:
    """While active, ``gettext`` and friends mark what they return, in every thread."""
    from django.utils.translation import trans_real

    saved = dict(trans_real._translations)  # type: ignore[attr-defined]
    saved_default = trans_real._default  # type: ignore[attr-defined]
    for language in languages:
        trans_real._translations[language] = _Marked(trans_real.translation(language))  # type: ignore[attr-defined]
    trans_real._default = None  # type: ignore[attr-defined]
    _forget_translated_country_names()
    try:
        yield
    finally:
        trans_real._translations.clear()  # type: ignore[attr-defined]
        trans_real._translations.update(saved)  # type: ignore[attr-defined]
        trans_real._default = saved_default  # type: ignore[attr-defined]
        # django-countries keeps the names it translated per language: marked names
        # must not outlive the marking (a later test on this worker read "⟦Việt Nam⟧").
        trans_real.deactivate()
        _forget_translated_country_names()


def _forget_translated_country_names() -> None:
    from django_countries import countries

    del countries.countries  # its documented reset of every cached list


def unmarked(text: str, allowed: Iterable[str] = ()) -> str:
    """What is left of ``text`` once marked parts, allowed names and neutral tokens go."""
    previous = None
    while previous != text:  # marks nest when a translation is formatted into another
        previous = text
        text = re.sub(rf"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", " ", text)
    for name in sorted({*PROPER_NAMES, *allowed}, key=len, reverse=True):
        if name:
            text = text.replace(name, " ")
    return " ".join(NEUTRAL.sub(" ", text).split())


# Elements whose text is code or data, the same in every language.
_HIDDEN = ("script", "style", "template", "svg")
_CODE = ("code", "kbd", "samp", "pre")


class _VisibleText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.chunks: list[str] = []
        self._hidden: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _HIDDEN or tag in _CODE or "mono" in values.get("class", "").split():
            self._hidden.append(tag)
        if tag == "meta" and values.get("name") == "description":
            self.chunks.append(values.get("content", ""))
        self.chunks += [values[name] for name in _READ_ATTRIBUTES if values.get(name)]
        if tag == "input" and values.get("type") in ("submit", "button") and values.get("value"):
            self.chunks.append(values["value"])

    def handle_endtag(self, tag: str) -> None:
        if self._hidden and self._hidden[-1] == tag:
            self._hidden.pop()

    def handle_data(self, data: str) -> None:
        if self._hidden and self._hidden[-1] in _HIDDEN:
            return
        # Code inside a sentence stays, as one neutral token, so the sentence's marks
        # still pair up around it.
        self.chunks.append(" ⁂ " if self._hidden else data)


def untranslated(html: str, allowed: Iterable[str] = ()) -> list[str]:
    """The pieces of visible text on the page that no translation produced: the page's
    text is read as one stream, since a translated sentence may hold links or code."""
    reader = _VisibleText()
    reader.feed(html)
    text = "\n".join(reader.chunks)
    previous = None
    while previous != text:
        previous = text
        text = re.sub(rf"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}", "\n", text)
    names = list(allowed)
    left = (unmarked(line, names) for line in text.splitlines())
    return [piece for piece in left if piece]


def untranslated_json(
    value: object, allowed: Iterable[str] = (), keys: Iterable[str] = ()
) -> list[str]:
    """The same for a JSON document: the string values under ``keys`` (all if empty)."""
    names, wanted = list(allowed), set(keys)
    found: list[str] = []

    def walk(node: object, key: str | None) -> None:
        if isinstance(node, dict):
            for child_key, child in node.items():
                walk(child, child_key)
        elif isinstance(node, list):
            for child in node:
                walk(child, key)
        elif (
            isinstance(node, str)
            and (not wanted or key in wanted)
            and (piece := unmarked(node, names))
        ):
            found.append(f"{key}: {piece}")

    walk(value, None)
    return found
