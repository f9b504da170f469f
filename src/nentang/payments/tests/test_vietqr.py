"""VietQR payloads: the published vector of DOMAIN.md, the CRC's standard check value,
round trips, each malformed input with its own code, and the PNG read back by an
independent QR decoder (OpenCV's)."""

from __future__ import annotations

import cv2
import numpy
import pytest

from nentang.kernel.errors import ValidationFailed
from nentang.payments.services import (
    VietQR,
    crc16_ccitt_false,
    vietqr_parse,
    vietqr_payload,
    vietqr_png,
    vietqr_svg,
)

VECTOR = (
    "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA"
    "530370454061200005802VN62170813ung ho lu lut6304C15C"
)


def test_crc16_ccitt_false_has_its_catalogued_check_value() -> None:
    assert crc16_ccitt_false(b"123456789") == 0x29B1


def test_the_published_vector_parses_and_is_rebuilt_byte_for_byte() -> None:
    qr = vietqr_parse(VECTOR)

    assert (qr.bank_bin, qr.account, qr.service) == ("970415", "0011001932418", "QRIBFTTA")
    assert (qr.amount, qr.purpose, qr.dynamic) == (120_000, "ung ho lu lut", True)
    assert vietqr_payload(qr) == VECTOR


def test_a_static_merchant_code_round_trips() -> None:
    qr = VietQR(bank_bin="970436", account="1234567890", service="QRPUSH", mcc="5812",
                merchant_name="Banh mi Sai Gon", city="Ho Chi Minh", terminal="QUAY1")  # fmt: skip
    payload = vietqr_payload(qr)

    assert payload.startswith("000201010211")
    assert vietqr_parse(payload) == qr


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (VECTOR[:-4] + "C15D", "qr_bad_crc"),
        (VECTOR.replace("5303704", "5303840")[:-4] + "0000", "qr_bad_crc"),
        ("0002010102", "qr_malformed_tlv"),
        ("00020101021299", "qr_malformed_tlv"),
        ("000201010211", "qr_missing_tag"),
        (VECTOR.replace("ung ho lu lut", "ủng hộ lũ lụt"), "qr_non_ascii"),
    ],
)
def test_bad_payloads_each_get_their_code(payload: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        vietqr_parse(payload)
    assert refused.value.code == code


def _with_crc(body: str) -> str:
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode()):04X}"


def test_currency_and_amount_are_checked_after_the_crc() -> None:
    body = VECTOR[: VECTOR.index("6304")]
    with pytest.raises(ValidationFailed) as currency:
        vietqr_parse(_with_crc(body.replace("5303704", "5303840")))
    assert currency.value.code == "qr_wrong_currency"
    with pytest.raises(ValidationFailed) as fraction:
        vietqr_parse(_with_crc(body.replace("5406120000", "5409120000.50")))
    assert fraction.value.code == "qr_amount_not_integer"
    with pytest.raises(ValidationFailed) as accents:
        vietqr_payload(VietQR(bank_bin="970436", account="1", service="QRPUSH",
                              merchant_name="Bánh mì"))  # fmt: skip
    assert accents.value.code == "qr_non_ascii"


def test_the_png_is_read_back_by_an_independent_decoder() -> None:
    image = cv2.imdecode(numpy.frombuffer(vietqr_png(VECTOR), numpy.uint8), cv2.IMREAD_GRAYSCALE)
    assert image is not None
    decoded, _points, _straight = cv2.QRCodeDetector().detectAndDecode(image)

    assert decoded == VECTOR
    assert vietqr_svg(VECTOR).startswith("<svg")
