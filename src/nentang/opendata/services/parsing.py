"""Reading the files agencies publish (CSV, XLSX, JSON) as rows of text, streamed,
with their encoding detected (``opendata.encodings``), and inferring column types the
Vietnamese way: ``dd/mm/yyyy`` dates, ``có/không`` booleans, ``1.234.567`` integers
and ``1.234,5`` decimals (dot for thousands, comma for decimals), as well as the ISO
and English forms."""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import json
import re
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _

from nentang.kernel.text import clean
from nentang.opendata import encodings

SAMPLE = 256 * 1024
MAX_COLUMNS = 500
MAX_NAME = 63


class ParseError(ValueError):
    """A malformed file: the row (1 = the header) and column, and what is wrong."""

    def __init__(self, message: str, *, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.row, self.column = row, column


@dataclass
class Table:
    headers: list[str]
    rows: Iterator[list[Any]]
    encoding: str = ""


class _Counting(io.RawIOBase):
    """A binary file that reports how many bytes were read (progress)."""

    def __init__(self, raw: IO[bytes], report: Callable[[int], None] | None) -> None:
        self.raw, self.report, self.done = raw, report, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.done += len(data)
        if self.report is not None:
            self.report(self.done)
        return len(data)


def _text_lines(raw: _Counting, encoding: str) -> Iterator[str]:
    """Lines of text (newlines kept), decoded as they stream."""
    buffered = io.BufferedReader(raw, 1 << 16)
    if encoding in ("tcvn3", "vni"):
        for raw_line in buffered:
            yield encodings.decode(raw_line, encoding)
        return
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    pending = ""
    while chunk := buffered.read(1 << 16):
        try:
            pending += decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise ParseError(
                _("The bytes are not %(encoding)s: %(reason)s.")
                % {"encoding": encoding, "reason": error.reason}
            ) from None
        *lines, pending = pending.split("\n")
        for line in lines:
            yield unicodedata.normalize("NFC", line + "\n")
    pending += decoder.decode(b"", final=True)
    if pending:
        yield unicodedata.normalize("NFC", pending)


def headers_clean(raw: list[Any]) -> list[str]:
    names: list[str] = []
    for index, value in enumerate(raw):
        text = "".join(ch for ch in str(value if value is not None else "") if ch.isprintable())
        name = clean(text)[:MAX_NAME] or f"cot_{index + 1}"
        if name.startswith("_"):
            name = name.lstrip("_") or f"cot_{index + 1}"
        base, n = name, 2
        while name in names:
            name = f"{base[: MAX_NAME - 4]}_{n}"
            n += 1
        names.append(name)
    if len(names) > MAX_COLUMNS:
        raise ParseError(_("More than %(n)s columns.") % {"n": MAX_COLUMNS}, row=1)
    return names


def _ragged(number: int, cells: int, width: int) -> str:
    return _("Row %(row)s has %(cells)s cells; the header has %(width)s.") % {
        "row": number, "cells": cells, "width": width,
    }  # fmt: skip


def _no_nul(row: list[Any], headers: list[str], number: int) -> None:
    """A NUL character in a cell (a binary file, or one saved as UTF-16 and read as
    something else) stops the load at its row and column: PostgreSQL cannot store it."""
    for value, column in zip(row, headers, strict=False):
        if isinstance(value, str) and "\x00" in value:
            raise ParseError(_("A cell holds a NUL character."), row=number, column=column)


def _dialect(sample: str) -> Any:
    """The delimiter that splits the first lines into the same number (> 1) of cells,
    the most cells winning (``;`` is common in Vietnamese files, where the comma is the
    decimal separator)."""
    lines = sample.splitlines(keepends=True)[:50]
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a sample may be cut
    best, best_width = ",", 1
    for delimiter in (";", "\t", "|", ","):
        try:
            widths = [len(row) for row in csv.reader(lines, delimiter=delimiter) if row]
        except csv.Error:
            continue
        if not widths or widths[0] <= best_width:
            continue
        agreeing = sum(1 for width in widths if width == widths[0]) / len(widths)
        if agreeing >= 0.8:
            best, best_width = delimiter, widths[0]

    class Dialect(csv.excel):
        delimiter = best

    return Dialect


def read_csv(
    path: Path, *, encoding: str | None = None, progress: Callable[[int], None] | None = None
) -> Table:
    with path.open("rb") as probe:
        sample = probe.read(SAMPLE)
    chosen = encoding or encodings.detect(sample)
    try:
        text_sample = encodings.decode(sample[: SAMPLE - 4], chosen)
    except ValueError:
        text_sample = sample.decode("latin-1")
    dialect: Any = _dialect(text_sample)
    raw = path.open("rb")
    lines = _text_lines(_Counting(raw, progress), chosen)
    reader = csv.reader(lines, dialect)
    try:
        first = next(reader)
    except StopIteration:
        raw.close()
        raise ParseError(_("The file is empty."), row=1) from None
    if first and first[0].startswith("\ufeff"):
        first[0] = first[0][1:]
    headers = headers_clean(first)

    def rows() -> Iterator[list[Any]]:
        try:
            for number, row in enumerate(reader, start=2):
                if not row or (len(row) == 1 and not row[0].strip()):
                    continue
                if len(row) != len(headers):
                    column = headers[-1] if len(row) > len(headers) else headers[len(row)]
                    raise ParseError(
                        _ragged(number, len(row), len(headers)), row=number, column=column
                    )
                _no_nul(row, headers, number)
                yield row
        except csv.Error as error:
            raise ParseError(
                _("Malformed CSV: %(error)s.") % {"error": error}, row=reader.line_num
            ) from None
        finally:
            raw.close()

    return Table(headers, rows(), chosen)


def read_xlsx(path: Path, *, progress: Callable[[int], None] | None = None) -> Table:
    from openpyxl import load_workbook

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:
        raise ParseError(
            _("Not an XLSX workbook (%(error)s).") % {"error": type(error).__name__}, row=1
        ) from None
    sheet = book.worksheets[0]
    iterator = sheet.iter_rows(values_only=True)
    try:
        headers = headers_clean(list(next(iterator)))
    except StopIteration:
        book.close()
        raise ParseError(_("The sheet is empty."), row=1) from None

    def rows() -> Iterator[list[Any]]:
        try:
            for number, row in enumerate(iterator, start=2):
                values = list(row)
                while len(values) > len(headers) and values[-1] is None:
                    values.pop()
                if all(v is None for v in values):
                    continue
                if len(values) > len(headers):
                    raise ParseError(
                        _ragged(number, len(values), len(headers)),
                        row=number, column=headers[-1],
                    )  # fmt: skip
                values += [None] * (len(headers) - len(values))
                yield ["" if v is None else v for v in values]
        finally:
            book.close()

    return Table(headers, rows(), "xlsx")


def read_json(path: Path, *, encoding: str | None = None) -> Table:
    data = path.read_bytes()
    chosen = encoding or encodings.detect(data[:SAMPLE])
    try:
        parsed = json.loads(encodings.decode(data, chosen))
    except ValueError as error:
        raise ParseError(_("Not valid JSON: %(error)s.") % {"error": error}, row=1) from None
    except RecursionError:
        raise ParseError(_("The JSON is nested too deeply."), row=1) from None
    if isinstance(parsed, dict):
        parsed = parsed.get("records") or parsed.get("data") or parsed.get("result") or []
    if not isinstance(parsed, list) or not all(isinstance(r, dict) for r in parsed):
        raise ParseError(_('The JSON must be a list of objects (or {"records": [...]}).'), row=1)
    keys: dict[str, None] = {}
    for record in parsed[:1000]:
        keys.update(dict.fromkeys(str(k) for k in record))
    names = list(keys)
    headers = headers_clean(names)

    def rows() -> Iterator[list[Any]]:
        for number, record in enumerate(parsed, start=1):
            row = ["" if record.get(k) is None else record.get(k) for k in names]
            _no_nul(row, headers, number)
            yield row

    return Table(headers, rows(), chosen)


def read(
    path: Path,
    fmt: str,
    *,
    encoding: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Table:
    fmt = fmt.upper()
    if fmt == "XLSX":
        return read_xlsx(path, progress=progress)
    if fmt == "JSON":
        return read_json(path, encoding=encoding)
    return read_csv(path, encoding=encoding, progress=progress)


# --- types ------------------------------------------------------------------------

INT = re.compile(r"^[+-]?\d{1,18}$")
INT_VN = re.compile(r"^[+-]?\d{1,3}(\.\d{3})+$")
DEC_VN = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+),\d+$")
DEC_EN = re.compile(r"^[+-]?\d+\.\d+$")
DATE_VN = re.compile(r"^(\d{1,2})[/-](\d{1,2})[/-](\d{4})$")
DATE_ISO = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
TRUE = {"có", "co", "true", "đúng", "x", "yes"}
FALSE = {"không", "khong", "false", "sai", "no"}
BOOLS = TRUE | FALSE


def _kinds(value: Any) -> set[str]:
    if isinstance(value, bool):
        return {"bool"}
    if isinstance(value, int):
        return {"int"}
    if isinstance(value, float | Decimal):
        return {"dec_en"}
    if isinstance(value, datetime.datetime | datetime.date):
        return {"date"}
    text = str(value).strip()
    kinds = set()
    if INT.match(text):
        kinds.add("int")
    if INT_VN.match(text):
        kinds |= {"int_vn", "dec_en"} if text.count(".") == 1 else {"int_vn"}
    if DEC_VN.match(text):
        kinds.add("dec_vn")
    if DEC_EN.match(text):
        kinds.add("dec_en")
    if DATE_VN.match(text) or DATE_ISO.match(text):
        try:
            convert(text, "date")
            kinds.add("date")
        except ValueError:
            pass
    if text.lower() in BOOLS:
        kinds.add("bool")
    return kinds


class Inference:
    """Column types from every value (one pass): the narrowest type that fits all."""

    ORDER = ("int", "int_vn", "dec_vn", "dec_en", "date", "bool")

    def __init__(self, width: int) -> None:
        self.possible = [set(self.ORDER) for _ in range(width)]
        self.seen = [False] * width

    def add(self, row: list[Any]) -> None:
        for index, value in enumerate(row):
            if value == "" or value is None:
                continue
            possible = self.possible[index]
            if not possible:
                continue
            self.seen[index] = True
            kinds = _kinds(value)
            # A plain integer also fits the Vietnamese and English number forms.
            if "int" in kinds:
                kinds |= {"int_vn", "dec_vn", "dec_en"}
            if "int_vn" in kinds:
                kinds.add("dec_vn")
            possible &= kinds

    def types(self) -> list[str]:
        out = []
        for possible, seen in zip(self.possible, self.seen, strict=True):
            if not seen:
                out.append("text")
            elif "int" in possible:
                out.append("int")
            elif "int_vn" in possible:
                out.append("int_vn")
            elif "dec_vn" in possible:
                out.append("dec_vn")
            elif "dec_en" in possible:
                out.append("dec_en")
            elif "date" in possible:
                out.append("date")
            elif "bool" in possible:
                out.append("bool")
            else:
                out.append("text")
        return out


# The CKAN type names of our inferred kinds.
CKAN_TYPES = {
    "int": "int", "int_vn": "int", "dec_vn": "numeric", "dec_en": "numeric",
    "date": "date", "bool": "bool", "text": "text",
}  # fmt: skip


def convert(value: Any, kind: str) -> Any:
    """A cell as the Python value of its column's type (None when empty)."""
    if value is None or value == "":
        return None
    if kind == "text":
        return value if isinstance(value, str) else str(value)
    if isinstance(value, bool):
        return value
    if kind in ("int", "int_vn"):
        if isinstance(value, int):
            return value
        return int(str(value).strip().replace(".", "") if kind == "int_vn" else str(value).strip())
    if kind in ("dec_vn", "dec_en"):
        if isinstance(value, int | float | Decimal):
            return float(value)
        text = str(value).strip()
        if kind == "dec_vn":
            text = text.replace(".", "").replace(",", ".")
        try:
            return float(Decimal(text))
        except InvalidOperation:
            raise ValueError(text) from None
    if kind == "date":
        if isinstance(value, datetime.datetime):
            return value.date()
        if isinstance(value, datetime.date):
            return value
        text = str(value).strip()
        if match := DATE_VN.match(text):
            day, month, year = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        if match := DATE_ISO.match(text):
            year, month, day = (int(g) for g in match.groups())
            return datetime.date(year, month, day)
        raise ValueError(text)
    if kind == "bool":
        return str(value).strip().lower() in TRUE
    return value
