"""The Vietnamese font every PDF of the platform is set in (Be Vietnam Pro, SIL Open Font
Licence 1.1, ``data/fonts/OFL.txt``), registered once with ReportLab: postal labels,
dossier receipt slips and signed results share it."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]  # ships no type information
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]  # ships no type information

FONTS = Path(__file__).resolve().parent / "data" / "fonts"


@cache
def vietnamese_fonts() -> tuple[str, str]:
    """The names of the regular and bold faces, registered with ReportLab."""
    pdfmetrics.registerFont(TTFont("BeVietnamPro", str(FONTS / "BeVietnamPro-Regular.ttf")))
    pdfmetrics.registerFont(TTFont("BeVietnamPro-Bold", str(FONTS / "BeVietnamPro-Bold.ttf")))
    return "BeVietnamPro", "BeVietnamPro-Bold"
