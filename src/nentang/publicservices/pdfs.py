"""The two papers of a dossier, as A4 PDFs set in Be Vietnam Pro (kernel.pdffonts):

* the receipt-and-appointment slip (giấy tiếp nhận hồ sơ và hẹn trả kết quả, form 01
  of Circular 01/2018/TT-VPCP): who filed what, the receipt code, the documents, the
  date of the appointment, and a QR code of the public status page;
* the result (kết quả giải quyết thủ tục hành chính): the procedure, the answers it
  decided on, the approval date and, for a birth registration, the child's personal
  ID number; a QR code opens the public verification page. It is signed afterwards
  (``signing.pdf_sign``).

Pure rendering: the caller passes the values; nothing is read here.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Sequence
from dataclasses import dataclass

from reportlab.graphics import renderPDF  # type: ignore[import-untyped]  # ships no type information
from reportlab.graphics.barcode.qr import QrCodeWidget  # type: ignore[import-untyped]  # ships no type information
from reportlab.graphics.shapes import Drawing  # type: ignore[import-untyped]  # ships no type information
from reportlab.lib.pagesizes import A4  # type: ignore[import-untyped]  # ships no type information
from reportlab.lib.units import mm  # type: ignore[import-untyped]  # ships no type information
from reportlab.lib.utils import simpleSplit  # type: ignore[import-untyped]  # ships no type information
from reportlab.pdfgen import canvas  # type: ignore[import-untyped]  # ships no type information

from nentang.kernel.pdffonts import vietnamese_fonts

WIDTH, HEIGHT = A4
MARGIN = 20 * mm


@dataclass(frozen=True)
class Paper:
    """What a paper says: the agency that issues it, its title, the lines of its body
    as (label, value), a closing sentence, and the URL its QR code carries."""

    agency: str
    title: str
    reference: str
    lines: Sequence[tuple[str, str]]
    closing: str
    qr_url: str
    qr_caption: str
    dated: datetime.date
    place: str


class _Writer:
    def __init__(self, pdf: canvas.Canvas) -> None:
        self.pdf = pdf
        self.regular, self.bold = vietnamese_fonts()
        self.y = HEIGHT - MARGIN

    def centred(self, text: str, *, size: float, bold: bool = False, gap: float = 6) -> None:
        self.pdf.setFont(self.bold if bold else self.regular, size)
        self.pdf.drawCentredString(WIDTH / 2, self.y, text)
        self.y -= size + gap

    def paragraph(self, text: str, *, size: float = 11, indent: float = 0) -> None:
        width = WIDTH - 2 * MARGIN - indent
        for line in simpleSplit(text, self.regular, size, width) or [""]:
            self.pdf.setFont(self.regular, size)
            self.pdf.drawString(MARGIN + indent, self.y, line)
            self.y -= size + 4

    def field(self, label: str, value: str, *, size: float = 11) -> None:
        self.pdf.setFont(self.bold, size)
        self.pdf.drawString(MARGIN, self.y, f"{label}:")
        self.y -= size + 3
        self.paragraph(value or "—", size=size, indent=8 * mm)
        self.y -= 2


def _qr(pdf: canvas.Canvas, url: str, *, x: float, y: float, size: float) -> None:
    widget = QrCodeWidget(url)
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, pdf, x, y)


def render(paper: Paper) -> bytes:
    """One A4 page (more when the answers are long) with the national motto, the
    agency, the title and reference, the body, the date and place, and the QR code."""
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4, invariant=True)
    pdf.setTitle(paper.title)
    pdf.setAuthor(paper.agency)
    pdf.setCreator("nentang")
    writer = _Writer(pdf)
    writer.centred("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", size=12, bold=True, gap=4)
    writer.centred("Độc lập - Tự do - Hạnh phúc", size=12, bold=True, gap=14)
    writer.centred(paper.agency.upper(), size=11, bold=True, gap=16)
    writer.centred(paper.title.upper(), size=14, bold=True, gap=4)
    writer.centred(paper.reference, size=11, gap=16)
    for label, value in paper.lines:
        if writer.y < MARGIN + 60 * mm:
            pdf.showPage()
            writer.y = HEIGHT - MARGIN
        writer.field(label, value)
    writer.y -= 6
    writer.paragraph(paper.closing)
    writer.y -= 10
    pdf.setFont(writer.regular, 11)
    pdf.drawRightString(
        WIDTH - MARGIN,
        writer.y,
        f"{paper.place}, ngày {paper.dated.day:02d} tháng {paper.dated.month:02d} "
        f"năm {paper.dated.year}",
    )
    size = 32 * mm
    _qr(pdf, paper.qr_url, x=MARGIN, y=MARGIN, size=size)
    pdf.setFont(writer.regular, 8)
    pdf.drawString(MARGIN + size + 4 * mm, MARGIN + size / 2, paper.qr_caption)
    pdf.drawString(MARGIN + size + 4 * mm, MARGIN + size / 2 - 11, paper.qr_url)
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()
