"""Fill or replace msgstr entries of a .po file from a JSON map {msgid: msgstr}.

Used when adding translations in bulk: clears the fuzzy flag of the entries it fills.
Usage: python scripts/po_fill.py src/nentang/locale/vi/LC_MESSAGES/django.po map.json
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _msgid(entry: str) -> str | None:
    match = re.search(r'^msgid ((?:".*"\n?)+)', entry, re.MULTILINE)
    if not match:
        return None
    parts = re.findall(r'^"(.*)"$', match.group(1), re.MULTILINE)
    return "".join(parts).encode().decode("unicode_escape").encode("latin-1").decode("utf-8")


def fill(po_path: Path, translations: dict[str, str]) -> int:
    entries = po_path.read_text(encoding="utf-8").split("\n\n")
    filled = 0
    for index, entry in enumerate(entries):
        msgid = _msgid(entry)
        if not msgid or msgid not in translations or "\nmsgid_plural" in "\n" + entry:
            continue
        lines = [
            line for line in entry.splitlines() if not line.startswith("#|") and line != "#, fuzzy"
        ]
        lines = [line.replace(", fuzzy", "") if line.startswith("#,") else line for line in lines]
        head = "\n".join(lines)
        head = head[: head.index("\nmsgstr ")] if "\nmsgstr " in head else head
        entries[index] = f"{head}\nmsgstr {_quote(translations[msgid])}"
        filled += 1
    po_path.write_text("\n\n".join(entries), encoding="utf-8")
    return filled


if __name__ == "__main__":
    count = fill(Path(sys.argv[1]), json.loads(Path(sys.argv[2]).read_text(encoding="utf-8")))
    print(f"filled {count} entries")
