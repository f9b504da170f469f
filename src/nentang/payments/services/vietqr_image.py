"""Read a VietQR code from a picture (an upload or a phone camera's photo).

The bytes are checked before any decoding: at most :data:`MAX_BYTES`, a PNG, JPEG or
WebP by its content (Pillow reads the header, not the file name), at most
:data:`MAX_SIDE` pixels a side (a decompression bomb is refused before its pixels are
allocated). OpenCV's QR detector (Apache-2.0, the same decoder the tests use to read our
own PNGs back) then finds and decodes the code, on the picture and, when that fails, on
a smaller copy (large phone photos) and a binarised one (glare, low contrast). The text
must be an EMVCo payload (``000201…``); :func:`vietqr_parse` then checks it field by
field (CRC, currency …).
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from nentang.kernel.errors import FieldError, ValidationFailed
from nentang.payments.problems import QR_IMAGE_INVALID, QR_NOT_FOUND, QR_NOT_VIETQR

if TYPE_CHECKING:
    import numpy

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4000
FORMATS = ("PNG", "JPEG", "WEBP")
WORKING_SIDE = 1200  # a larger photo is also tried at this size


def _image(data: bytes, field: str) -> numpy.ndarray:
    import numpy  # OpenCV and NumPy load when a photo comes, not at every start-up

    if len(data) > MAX_BYTES:
        raise ValidationFailed(
            code=QR_IMAGE_INVALID,
            errors=[FieldError(field, _("The picture is larger than 5 MB."), QR_IMAGE_INVALID)],
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in FORMATS:
                raise ValidationFailed(
                    code=QR_IMAGE_INVALID,
                    errors=[
                        FieldError(
                            field, _("Choose a PNG, JPEG or WebP picture."), QR_IMAGE_INVALID
                        )
                    ],
                )
            if max(image.size) > MAX_SIDE:
                raise ValidationFailed(
                    code=QR_IMAGE_INVALID,
                    errors=[
                        FieldError(
                            field,
                            _("The picture is larger than 4,000 × 4,000 pixels."),
                            QR_IMAGE_INVALID,
                        )
                    ],
                )
            gray = image.convert("L")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError,
            Image.DecompressionBombWarning):  # fmt: skip
        raise ValidationFailed(
            code=QR_IMAGE_INVALID,
            errors=[
                FieldError(
                    field, _("This file is not a picture that can be read."), QR_IMAGE_INVALID
                )
            ],
        ) from None
    return numpy.asarray(gray, dtype=numpy.uint8)


def _variants(gray: numpy.ndarray) -> Iterator[numpy.ndarray]:
    """The picture, then a copy the detector copes with better (smaller, binarised)."""
    import cv2

    yield gray
    side = max(gray.shape)
    if side > WORKING_SIDE:
        scale = WORKING_SIDE / side
        small = cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        yield small
        gray = small
    # A white margin: a code cropped to its edge lacks the quiet zone detectors need.
    padded = cv2.copyMakeBorder(gray, 32, 32, 32, 32, cv2.BORDER_CONSTANT, value=255)
    yield padded
    _threshold, binary = cv2.threshold(padded, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    yield binary


def vietqr_text_from_image(data: bytes, *, field: str = "image") -> str:
    """The VietQR payload in a picture. Refuses with ``qr_image_invalid`` (size, type,
    unreadable), ``qr_not_found`` (no decodable QR code) or ``qr_not_vietqr`` (a QR code
    holding something else); the payload itself is checked by ``vietqr_parse``."""
    import cv2

    gray = _image(data, field)
    detector = cv2.QRCodeDetector()
    for variant in _variants(gray):
        text, _points, _straight = detector.detectAndDecode(variant)
        if text:
            break
    else:
        message = _(
            "No QR code was found in the picture: photograph the whole code, sharp and "
            "well lit, or paste its text."
        )
        raise ValidationFailed(code=QR_NOT_FOUND, errors=[FieldError(field, message, QR_NOT_FOUND)])
    text = text.strip()
    if not text.startswith("000201"):
        raise ValidationFailed(
            code=QR_NOT_VIETQR,
            errors=[
                FieldError(
                    field,
                    _("This QR code is not a VietQR payment code (it does not start with 000201)."),
                    QR_NOT_VIETQR,
                )
            ],
        )
    return text
