"""The shipping label: a 100 × 150 mm PDF page for thermal label printers.

Code 128 of the S10 identifier (the barcode every postal scanner reads), a QR code with
the public tracking URL, sender and recipient with the ward and province, the postal
code, the service, the weight and — large, because the worker collects it at the door —
the cash-on-delivery amount. Text is set in Be Vietnam Pro (SIL OFL 1.1, shipped in
``kernel/data/fonts`` with its licence) so that every Vietnamese letter prints.
"""

from __future__ import annotations

import io

import segno
from django.conf import settings
from reportlab.graphics.barcode import code128  # type: ignore[import-untyped]  # ships no type information
from reportlab.lib.units import mm  # type: ignore[import-untyped]  # ships no type information
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]  # ships no type information
from reportlab.pdfgen import canvas  # type: ignore[import-untyped]  # ships no type information

from nentang.kernel.money import format_vnd
from nentang.kernel.pdffonts import vietnamese_fonts
from nentang.postal.models import Shipment

WIDTH, HEIGHT = 100 * mm, 150 * mm
SERVICE_NAMES = {"express": "CHUYỂN PHÁT NHANH", "standard": "BƯU KIỆN", "ecommerce": "TMĐT"}


def _fonts() -> tuple[str, str]:
    return vietnamese_fonts()


def tracking_url(s10: str) -> str:
    return f"{settings.BASE_URL}/tracking/{s10}"


def _wrap(text: str, font: str, size: float, width: float) -> list[str]:
    words, lines, current = text.split(), [], ""
    for word in words:
        candidate = f"{current} {word}".strip()
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            current = candidate
        else:
            if current:
                lines.append(current)
            current = word
    if current:
        lines.append(current)
    return lines


def label_pdf(shipment: Shipment) -> bytes:
    """The label of one shipment as PDF bytes (one 100 × 150 mm page)."""
    regular, bold = _fonts()
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=(WIDTH, HEIGHT), pageCompression=1)
    pdf.setTitle(f"Nhãn {shipment.s10}")
    pdf.setAuthor("nentang")
    margin = 4 * mm
    inner = WIDTH - 2 * margin

    # Header: service and postal code of the destination.
    pdf.setFont(bold, 13)
    pdf.drawString(
        margin, HEIGHT - 9 * mm, SERVICE_NAMES.get(shipment.service, shipment.service.upper())
    )
    pdf.setFont(bold, 20)
    pdf.drawRightString(WIDTH - margin, HEIGHT - 10 * mm, shipment.recipient_postal_code)
    pdf.setLineWidth(0.8)
    pdf.line(margin, HEIGHT - 12 * mm, WIDTH - margin, HEIGHT - 12 * mm)

    # Code 128 of the S10 identifier, human-readable under it.
    barcode = code128.Code128(shipment.s10, barHeight=18 * mm, barWidth=0.42 * mm, quiet=False)
    x = (WIDTH - barcode.width) / 2
    barcode.drawOn(pdf, x, HEIGHT - 33 * mm)
    pdf.setFont(bold, 14)
    pdf.drawCentredString(
        WIDTH / 2,
        HEIGHT - 38.5 * mm,
        " ".join(
            (
                shipment.s10[:2],
                shipment.s10[2:5],
                shipment.s10[5:8],
                shipment.s10[8:11],
                shipment.s10[11:],
            )
        ),
    )
    pdf.line(margin, HEIGHT - 41 * mm, WIDTH - margin, HEIGHT - 41 * mm)

    # Recipient (large), then sender.
    y = HEIGHT - 46 * mm
    pdf.setFont(regular, 7.5)
    pdf.drawString(margin, y, "NGƯỜI NHẬN")
    y -= 5 * mm
    pdf.setFont(bold, 11)
    pdf.drawString(margin, y, f"{shipment.recipient_name}  {_phone(shipment.recipient_phone)}")
    pdf.setFont(regular, 9.5)
    address = ", ".join(
        p
        for p in (
            shipment.recipient_line,
            shipment.recipient_ward_name,
            shipment.recipient_province_name,
        )
        if p
    )
    for line in _wrap(address, regular, 9.5, inner)[:3]:
        y -= 4.3 * mm
        pdf.drawString(margin, y, line)
    y -= 6 * mm
    pdf.setFont(regular, 7.5)
    pdf.drawString(margin, y, "NGƯỜI GỬI")
    y -= 4 * mm
    pdf.setFont(regular, 8.5)
    sender = f"{shipment.sender_name} · {_phone(shipment.sender_phone)} · {shipment.sender_line}"
    for line in _wrap(sender, regular, 8.5, inner)[:2]:
        pdf.drawString(margin, y, line)
        y -= 3.8 * mm
    pdf.line(margin, 42 * mm, WIDTH - margin, 42 * mm)

    # Bottom: COD amount, weight, order code; QR to the tracking page.
    qr = segno.make(tracking_url(shipment.s10), error="m")
    size = 30 * mm
    cell = size / (qr.symbol_size(border=0)[0])
    origin_x, origin_y = WIDTH - margin - size, 7 * mm
    pdf.setFillColorRGB(0, 0, 0)
    for row_index, row in enumerate(qr.matrix):
        for col_index, dark in enumerate(row):
            if dark:
                pdf.rect(
                    origin_x + col_index * cell,
                    origin_y + size - (row_index + 1) * cell,
                    cell,
                    cell,
                    stroke=0,
                    fill=1,
                )
    pdf.setFont(regular, 8)
    pdf.drawString(margin, 37 * mm, "THU HỘ (COD)")
    pdf.setFont(bold, 18 if shipment.cod_amount else 14)
    pdf.drawString(
        margin,
        30 * mm,
        format_vnd(shipment.cod_amount) if shipment.cod_amount else "Không thu tiền",
    )
    pdf.setFont(regular, 8.5)
    pdf.drawString(margin, 22 * mm, f"Khối lượng: {shipment.weight_g:,} g".replace(",", "."))
    pdf.drawString(
        margin,
        18 * mm,
        f"Kích thước: {shipment.length_cm}×{shipment.width_cm}×{shipment.height_cm} cm",
    )
    if shipment.client_order_code:
        pdf.drawString(margin, 14 * mm, f"Mã đơn: {shipment.client_order_code[:28]}")
    if shipment.dossier_reference:
        pdf.drawString(margin, 14 * mm, f"Hồ sơ: {shipment.dossier_reference}")
    pdf.drawString(margin, 10 * mm, f"Ngày gửi: {shipment.created_at:%d/%m/%Y}")
    pdf.setFont(regular, 6.5)
    pdf.drawString(margin, 4 * mm, tracking_url(shipment.s10)[:70])
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def _phone(e164: str) -> str:
    """+84912345678 → 0912 345 678 (how people read Vietnamese numbers)."""
    if e164.startswith("+84") and len(e164) == 12:
        local = "0" + e164[3:]
        return f"{local[:4]} {local[4:7]} {local[7:]}"
    if e164.startswith("+842") and len(e164) == 13:  # a fixed line: 028 3822 1234
        local = "0" + e164[3:]
        return f"{local[:3]} {local[3:7]} {local[7:]}"
    return e164
