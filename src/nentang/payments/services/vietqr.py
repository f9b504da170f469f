"""VietQR: NAPAS's profile of the EMVCo merchant-presented QR code (DOMAIN.md).

A payload is a string of TLV fields ``ID(2) LEN(2) VALUE``; the last one, ``63``, holds
the CRC-16/CCITT-FALSE (polynomial 0x1021, initial 0xFFFF, no reflection, no final xor)
of everything before it *including* ``6304``, as four upper-case hex digits.

:func:`vietqr_payload` builds one (static without an amount, dynamic with one),
:func:`vietqr_parse` reads and validates one, each error with its own problem code and
the field it is about; :func:`vietqr_png` and :func:`vietqr_svg` draw it with segno.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import segno
from django.utils.translation import gettext as _

from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.payments.problems import (
    QR_AMOUNT_NOT_INTEGER,
    QR_BAD_CRC,
    QR_INVALID_FIELD,
    QR_MALFORMED_TLV,
    QR_MISSING_TAG,
    QR_NON_ASCII,
    QR_WRONG_CURRENCY,
)

NAPAS_GUID = "A000000727"
SERVICES = ("QRIBFTTA", "QRIBFTTC", "QRPUSH", "QRCASH")
MANDATORY = ("00", "01", "38", "53", "58", "63")
# Subfields of tag 62 (additional data) we read and write.
ADDITIONAL = {"01": "bill_number", "05": "reference", "07": "terminal", "08": "purpose"}


def crc16_ccitt_false(data: bytes) -> int:
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if len(value) > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


@dataclass(frozen=True)
class VietQR:
    bank_bin: str
    account: str
    service: str
    amount: int | None = None
    currency: str = "704"
    country: str = "VN"
    mcc: str = ""
    merchant_name: str = ""
    city: str = ""
    purpose: str = ""
    bill_number: str = ""
    reference: str = ""
    terminal: str = ""

    @property
    def dynamic(self) -> bool:
        return self.amount is not None


def _field(code: str, field: str, message: str) -> FieldError:
    return FieldError(field, message, code)


def _ascii(field: str, value: str) -> str:
    if not value.isascii() or any(ord(ch) < 32 for ch in value):
        raise ValidationFailed(
            code=QR_NON_ASCII,
            errors=[
                _field(QR_NON_ASCII, field, _("Free text in a VietQR code must be plain ASCII."))
            ],
        )
    return value


def vietqr_payload(qr: VietQR) -> str:
    """The payload string of ``qr`` (validated like an incoming one)."""
    if not (qr.bank_bin.isdigit() and len(qr.bank_bin) == 6):
        raise ValidationFailed(
            code=QR_INVALID_FIELD,
            errors=[_field(QR_INVALID_FIELD, "bank_bin", _("A bank BIN is 6 digits."))],
        )
    if not qr.account or not qr.account.isalnum() or not qr.account.isascii():
        raise ValidationFailed(
            code=QR_INVALID_FIELD,
            errors=[_field(QR_INVALID_FIELD, "account", _("Letters and digits only."))],
        )
    if qr.service not in SERVICES:
        raise ValidationFailed(
            code=QR_INVALID_FIELD,
            errors=[_field(QR_INVALID_FIELD, "service", _("Unknown NAPAS service code."))],
        )
    if qr.amount is not None and (isinstance(qr.amount, bool) or qr.amount <= 0):
        raise ValidationFailed(
            code=QR_AMOUNT_NOT_INTEGER,
            errors=[_field(QR_AMOUNT_NOT_INTEGER, "amount", _("A positive whole number of đồng."))],
        )
    for name in ("merchant_name", "city", "purpose", "bill_number", "reference", "terminal"):
        _ascii(name, getattr(qr, name))
    beneficiary = _tlv("00", qr.bank_bin) + _tlv("01", qr.account)
    account_info = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", qr.service)
    parts = [_tlv("00", "01"), _tlv("01", "12" if qr.dynamic else "11"), _tlv("38", account_info)]
    if qr.mcc:
        parts.append(_tlv("52", qr.mcc))
    parts.append(_tlv("53", qr.currency))
    if qr.amount is not None:
        parts.append(_tlv("54", str(qr.amount)))
    parts.append(_tlv("58", qr.country))
    if qr.merchant_name:
        parts.append(_tlv("59", qr.merchant_name))
    if qr.city:
        parts.append(_tlv("60", qr.city))
    extra = "".join(
        _tlv(sub, getattr(qr, name))
        for sub, name in sorted(ADDITIONAL.items())
        if getattr(qr, name)
    )
    if extra:
        parts.append(_tlv("62", extra))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('ascii')):04X}"


def _fields(text: str, where: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    index = 0
    while index < len(text):
        head = text[index : index + 4]
        if len(head) < 4 or not head.isdigit():
            raise ValidationFailed(
                code=QR_MALFORMED_TLV,
                errors=[
                    _field(
                        QR_MALFORMED_TLV,
                        where,
                        _("Malformed TLV at position %(at)s: expected a 2-digit id and length.")
                        % {"at": index},
                    )
                ],
            )
        tag, length = head[:2], int(head[2:])
        value = text[index + 4 : index + 4 + length]
        if len(value) != length:
            raise ValidationFailed(
                code=QR_MALFORMED_TLV,
                errors=[
                    _field(
                        QR_MALFORMED_TLV,
                        where,
                        _("Field %(tag)s says %(length)s characters but the payload ends first.")
                        % {"tag": tag, "length": length},
                    )
                ],
            )
        fields[tag] = value
        index += 4 + length
    return fields


def vietqr_parse(payload: str) -> VietQR:
    """Read and validate a VietQR payload; each fault raises its own problem code."""
    text = payload.strip()
    if not text.isascii():
        raise ValidationFailed(
            code=QR_NON_ASCII,
            errors=[_field(QR_NON_ASCII, "payload", _("A VietQR payload is plain ASCII."))],
        )
    fields = _fields(text, "payload")
    for tag in MANDATORY:
        if tag not in fields:
            raise ValidationFailed(
                code=QR_MISSING_TAG,
                errors=[
                    _field(
                        QR_MISSING_TAG,
                        f"payload.{tag}",
                        _("Field %(tag)s is missing.") % {"tag": tag},
                    )
                ],
            )
    if not text.endswith("6304" + fields["63"]) or len(fields["63"]) != 4:
        raise ValidationFailed(
            code=QR_BAD_CRC,
            errors=[_field(QR_BAD_CRC, "payload.63", _("The CRC must be the last field."))],
        )
    expected = f"{crc16_ccitt_false(text[:-4].encode('ascii')):04X}"
    if fields["63"].upper() != expected:
        raise ValidationFailed(
            code=QR_BAD_CRC,
            errors=[
                _field(
                    QR_BAD_CRC,
                    "payload.63",
                    _("The checksum does not match: the code is damaged or was altered."),
                )
            ],
        )
    if fields["00"] != "01" or fields["01"] not in ("11", "12"):
        raise ValidationFailed(
            code=QR_INVALID_FIELD,
            errors=[_field(QR_INVALID_FIELD, "payload.01", _("Not an EMVCo QR payload."))],
        )
    if fields["53"] != "704":
        raise ValidationFailed(
            code=QR_WRONG_CURRENCY,
            errors=[
                _field(
                    QR_WRONG_CURRENCY,
                    "payload.53",
                    _("The currency must be 704 (Vietnamese đồng)."),
                )
            ],
        )
    info = _fields(fields["38"], "payload.38")
    if info.get("00") != NAPAS_GUID or "01" not in info:
        raise ValidationFailed(
            code=QR_INVALID_FIELD,
            errors=[_field(QR_INVALID_FIELD, "payload.38", _("Not a NAPAS VietQR code."))],
        )
    beneficiary = _fields(info["01"], "payload.38.01")
    amount = None
    if "54" in fields:
        if not fields["54"].isdigit() or int(fields["54"]) <= 0:
            raise ValidationFailed(
                code=QR_AMOUNT_NOT_INTEGER,
                errors=[
                    _field(
                        QR_AMOUNT_NOT_INTEGER,
                        "payload.54",
                        _("The amount must be a positive whole number of đồng."),
                    )
                ],
            )
        amount = int(fields["54"])
    extra = _fields(fields.get("62", ""), "payload.62")
    for tag in ("59", "60"):
        _ascii(f"payload.{tag}", fields.get(tag, ""))
    for value in extra.values():
        _ascii("payload.62", value)
    return VietQR(
        bank_bin=beneficiary.get("00", ""),
        account=beneficiary.get("01", ""),
        service=info.get("02", ""),
        amount=amount,
        currency=fields["53"],
        country=fields["58"],
        mcc=fields.get("52", ""),
        merchant_name=fields.get("59", ""),
        city=fields.get("60", ""),
        **{name: extra.get(sub, "") for sub, name in ADDITIONAL.items()},
    )


def vietqr_png(payload: str, *, scale: int = 6) -> bytes:
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


def vietqr_svg(payload: str, *, scale: int = 4, title: str = "VietQR") -> str:
    buffer = io.BytesIO()
    segno.make_qr(payload, error="m").save(
        buffer, kind="svg", scale=scale, border=4, title=title, xmldecl=False, svgns=True
    )
    return buffer.getvalue().decode("utf-8")
