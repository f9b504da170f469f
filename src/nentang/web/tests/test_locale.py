"""The committed translations: complete for Vietnamese, and compiled.

Each context keeps its own catalogues (``<context>/locale/{vi,en}/LC_MESSAGES``), so two
contexts built side by side never edit the same file. A fresh machine serves the
committed ``.mo`` files without running compilemessages, so a ``.po`` edited without
recompiling would silently not show. These tests compare what each ``.po`` says with
what its ``.mo`` holds, entry by entry (file dates mean nothing after a git checkout),
and require every Vietnamese entry to be translated.

To fix a failure::

    ./scripts/messages CONTEXT     # makemessages + compilemessages for that context
    (translate the new or fuzzy entries in CONTEXT/locale/vi/LC_MESSAGES/django.po)
    ./scripts/messages CONTEXT
"""

from __future__ import annotations

import ast
import gettext
import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE_DIR = Path(__file__).resolve().parents[2]
PO_FILES = sorted(PACKAGE_DIR.glob("*/locale/*/LC_MESSAGES/django.po"))
VI_FILES = [po for po in PO_FILES if po.parts[-3] == "vi"]
CONTEXTS = sorted({po.parts[-5] for po in PO_FILES})


def _name(po: Path) -> str:
    return f"{po.parts[-5]}-{po.parts[-3]}"


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: str = ""
    msgstr_plural: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    line: int = 0

    @property
    def translated(self) -> bool:
        if self.msgid_plural is not None:
            return bool(self.msgstr_plural) and all(self.msgstr_plural.values())
        return bool(self.msgstr)


_KEYWORD = re.compile(r"^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(\".*\")$")


def parse_po(path: Path) -> list[Entry]:
    """The live (not obsolete) entries of a .po file, header included."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int | None] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if line.startswith("#~"):  # obsolete entry: msgfmt ignores it
            continue
        if entry is None:
            entry = Entry(line=number)
            entries.append(entry)
        if line.startswith("#,"):
            entry.flags.update(flag.strip() for flag in line[2:].split(","))
            continue
        if line.startswith("#"):
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            text = ast.literal_eval(literal)
            if keyword.startswith("msgstr["):
                target = ("msgstr_plural", int(index))
                entry.msgstr_plural[int(index)] = text
            else:
                target = (keyword, None)
                setattr(entry, keyword, text)
        elif line.startswith('"') and target is not None:
            text = ast.literal_eval(line)
            name, index = target
            if index is not None:
                entry.msgstr_plural[index] += text
            else:
                setattr(entry, name, (getattr(entry, name) or "") + text)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    return [e for e in entries if e.msgid or e.msgstr]  # drop comment-only blocks


def compiled_catalog(entries: list[Entry]) -> dict[object, str]:
    """What msgfmt puts in the .mo: translated, non-fuzzy entries, keyed as gettext does."""
    catalog: dict[object, str] = {}
    for entry in entries:
        if "fuzzy" in entry.flags or not entry.translated:
            continue
        key = entry.msgid if entry.msgctxt is None else f"{entry.msgctxt}\x04{entry.msgid}"
        if entry.msgid_plural is not None:
            for index, text in entry.msgstr_plural.items():
                catalog[(key, index)] = text
        else:
            catalog[key] = entry.msgstr
    return catalog


def mo_catalog(path: Path) -> dict[object, str]:
    with path.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def _header_field(header: str, name: str) -> str | None:
    for line in header.splitlines():
        if line.startswith(f"{name}:"):
            return line.split(":", 1)[1].strip()
    return None


@pytest.mark.parametrize("context", CONTEXTS)
def test_each_context_has_both_languages(context: str) -> None:
    languages = [po.parts[-3] for po in PO_FILES if po.parts[-5] == context]

    assert languages == ["en", "vi"]


def test_the_contexts_with_catalogues_are_the_installed_ones() -> None:
    from django.conf import settings

    installed = {app.rsplit(".", 1)[-1] for app in settings.NENTANG_APPS}

    assert set(CONTEXTS) <= installed
    assert {"kernel", "web", "identity", "audit", "addresses"} <= set(CONTEXTS)


@pytest.mark.parametrize("po", PO_FILES, ids=_name)
def test_mo_is_compiled_from_the_current_po(po: Path) -> None:
    mo = po.with_suffix(".mo")
    assert mo.exists(), f"{mo} is missing: run `nentang manage compilemessages`"

    expected = compiled_catalog(parse_po(po))
    actual = mo_catalog(mo)
    # The header is compared by the fields that change behaviour: msgfmt rewrites the
    # rest (it drops POT-Creation-Date, for one), differently across gettext versions.
    expected_header, actual_header = expected.pop(""), actual.pop("")
    for name in ("Language", "Plural-Forms", "Content-Type"):
        assert _header_field(expected_header, name) == _header_field(actual_header, name), name

    stale = sorted(str(k) for k in expected.keys() ^ actual.keys())
    changed = sorted(str(k) for k in expected.keys() & actual.keys() if expected[k] != actual[k])
    assert (stale, changed) == ([], []), (
        f"{mo.relative_to(PACKAGE_DIR)} differs from its .po: run ./scripts/messages"
    )


def _messages(po: Path) -> list[Entry]:
    return [e for e in parse_po(po) if e.msgid]


@pytest.mark.parametrize("po", VI_FILES, ids=_name)
class TestVietnamese:
    def test_header_declares_the_language_and_its_plural_rule(self, po: Path) -> None:
        header = next(e for e in parse_po(po) if not e.msgid)

        assert "Language: vi\n" in header.msgstr
        assert "Plural-Forms: nplurals=1; plural=0;\n" in header.msgstr
        assert "fuzzy" not in header.flags

    def test_every_message_is_translated(self, po: Path) -> None:
        untranslated = [e.msgid for e in _messages(po) if not e.translated]

        assert untranslated == []

    def test_no_message_is_fuzzy(self, po: Path) -> None:
        fuzzy = [f"line {e.line}: {e.msgid}" for e in _messages(po) if "fuzzy" in e.flags]

        assert fuzzy == []

    def test_translations_keep_their_placeholders(self, po: Path) -> None:
        placeholder = re.compile(r"%\(\w+\)[sdr]|<[^>]+>")
        broken = []
        for entry in _messages(po):
            wanted = sorted(placeholder.findall(entry.msgid))
            texts = (
                list(entry.msgstr_plural.values())
                if entry.msgid_plural is not None
                else [entry.msgstr]
            )
            broken += [entry.msgid for text in texts if sorted(placeholder.findall(text)) != wanted]

        assert broken == []

    def test_one_spelling_of_the_words_with_two(self, po: Path) -> None:
        """khóa, xóa, hủy — the tone mark on the first vowel (the spelling of the
        government's own e-ID texts), never khoá, xoá, huỷ (web/README.md)."""
        other = re.compile(r"khoá|xoá|huỷ", re.IGNORECASE)
        found = [
            f"line {e.line}: {text}"
            for e in _messages(po)
            for text in [e.msgstr, *e.msgstr_plural.values()]
            if other.search(text)
        ]

        assert found == []


def test_a_message_has_one_translation_in_every_context() -> None:
    """Django merges every context's catalogue into one, so the same English words
    translated two ways show the first context's words everywhere (smartcity's badge
    "Received" once read publicservices' "Tiếp nhận"). Words that mean two things take a
    context: ``pgettext("report state", "Received")``, ``{% translate "…" context "…" %}``."""
    translations: dict[tuple[str | None, str], dict[str, str]] = {}
    for po in VI_FILES:
        for entry in _messages(po):
            if entry.translated and "fuzzy" not in entry.flags:
                text = entry.msgstr or repr(sorted(entry.msgstr_plural.items()))
                translations.setdefault((entry.msgctxt, entry.msgid), {})[po.parts[-5]] = text

    differing = {
        (f"{context}: " if context else "") + msgid: by_context
        for (context, msgid), by_context in translations.items()
        if len(set(by_context.values())) > 1
    }

    assert differing == {}


@pytest.mark.slow
def test_catalogs_hold_every_message_of_the_source(tmp_path: Path) -> None:
    """Re-extract the messages of every context (makemessages in a copy of the source,
    context by context, as ``scripts/messages`` does) and compare: a msgid added to code
    or templates without updating its context's catalogue fails here, and so does a
    context with translatable text but no ``locale/`` folder (makemessages refuses)."""
    import shutil
    import subprocess
    import sys

    from django.conf import settings

    if shutil.which("xgettext") is None:
        pytest.skip("gettext's xgettext is not installed (apt-get install gettext)")
    copy = tmp_path / "nentang"
    shutil.copytree(
        PACKAGE_DIR, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static")
    )
    contexts = [app.rsplit(".", 1)[-1] for app in settings.NENTANG_APPS] + ["config"]
    script = (
        "import os, sys, django; django.setup();"
        "from django.core.management import call_command;"
        "[(os.chdir(d), call_command('makemessages', locale=['vi'], no_obsolete=True,"
        " no_location=True, verbosity=0)) for d in sys.argv[1:]]"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, *(str(copy / name) for name in contexts)],
        check=False,
        capture_output=True,
        text=True,
        env={**__import__("os").environ, "DJANGO_SETTINGS_MODULE": "nentang.config.settings"},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    for context in CONTEXTS:
        relative = Path(context, "locale/vi/LC_MESSAGES/django.po")
        committed = {e.msgid for e in parse_po(PACKAGE_DIR / relative)}
        extracted = {e.msgid for e in parse_po(copy / relative)}
        assert sorted(extracted - committed) == [], f"{context}: run ./scripts/messages {context}"
        assert sorted(committed - extracted) == [], f"{context}: run ./scripts/messages {context}"
