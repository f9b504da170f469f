"""Paying by a photo of a VietQR code: the picture is decoded server-side (OpenCV) and
each fault has its own Vietnamese message on the picture field — no code in the
picture, a QR code that is not VietQR, a damaged code (bad CRC), a file that is not a
picture, too big or too many pixels — and nothing is paid."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import translation
from PIL import Image

from nentang.kernel.errors import ValidationFailed
from nentang.payments import services
from nentang.payments.models import Account, Wallet
from nentang.payments.tests.test_pages import an, balance, binh, funded, key, shop, shop_qr

__all__ = ["an", "binh", "funded", "shop"]  # fixtures used by name

pytestmark = pytest.mark.django_db


def photo(payload: str, *, kind: str = "JPEG", angle: float = 7.0) -> bytes:
    """A phone-like photo: the code small on a larger grey background, turned a little,
    saved lossy."""
    code = Image.open(io.BytesIO(services.vietqr_png(payload, scale=5))).convert("L")
    turned = code.rotate(angle, expand=True, fillcolor=255)
    canvas = Image.new("L", (1600, 1200), 200)
    canvas.paste(turned, (500, 300))
    buffer = io.BytesIO()
    canvas.save(buffer, format=kind, quality=80)
    return buffer.getvalue()


def bad_crc(payload: str) -> str:
    return payload[:-1] + ("0" if payload[-1] != "0" else "1")


def refusal(data: bytes) -> tuple[str, str]:
    with pytest.raises(ValidationFailed) as caught, translation.override("vi"):
        services.vietqr_text_from_image(data)
    return caught.value.code, str(caught.value.errors[0].message)


def test_a_png_and_a_turned_jpeg_photo_are_read() -> None:
    payload = "00020101021238570010A00000072701270006970415011300110019324180208QRIBFTTA530370454061200005802VN62170813ung ho lu lut6304C15C"  # noqa: E501
    assert services.vietqr_text_from_image(services.vietqr_png(payload)) == payload
    assert services.vietqr_text_from_image(photo(payload)) == payload
    assert services.vietqr_text_from_image(photo(payload, kind="WEBP", angle=-4)) == payload


def test_each_fault_of_a_picture_has_its_own_code_and_vietnamese_message() -> None:
    blank = io.BytesIO()
    Image.new("L", (640, 480), 255).save(blank, format="PNG")
    assert refusal(blank.getvalue())[0] == "qr_not_found"
    assert "Không tìm thấy mã QR" in refusal(blank.getvalue())[1]

    link = services.vietqr_png("https://example.com/pay?x=1")
    assert refusal(link) == (
        "qr_not_vietqr",
        "Mã QR này không phải mã thanh toán VietQR (không bắt đầu bằng 000201).",
    )

    gif = io.BytesIO()
    Image.new("L", (10, 10), 255).save(gif, format="GIF")
    assert refusal(gif.getvalue()) == ("qr_image_invalid", "Hãy chọn ảnh PNG, JPEG hoặc WebP.")
    assert refusal(b"\x89PNG\r\n\x1a\n" + b"\0" * 100)[0] == "qr_image_invalid"
    assert refusal(b"")[0] == "qr_image_invalid"
    assert refusal(b"x" * (5 * 1024 * 1024 + 1))[0] == "qr_image_invalid"

    wide = io.BytesIO()
    Image.new("1", (4001, 10), 1).save(wide, format="PNG")  # tiny file, too many pixels
    assert refusal(wide.getvalue())[0] == "qr_image_invalid"


def upload(client: Client, data: bytes, name: str = "qr.jpg", **extra: Any) -> Any:
    form = client.get(reverse("payments:pay_qr"))
    picture = SimpleUploadedFile(name, data, "image/jpeg")
    return client.post(
        reverse("payments:pay_qr"),
        {"upload": picture, "key": key(form), "step": "review", **extra},
        HTTP_ACCEPT_LANGUAGE="vi",
    )


def test_a_photo_of_the_shops_code_pays_it(client: Client, funded: Wallet, shop: Account) -> None:
    review = upload(client, photo(shop_qr(shop, 25_000)))

    assert review.status_code == 200
    assert review.context["review"]["qr"].amount == 25_000
    # The confirm step carries the decoded text, not the picture.
    data = {"payload": review.context["review"]["payload"], "amount": "25000",
            "key": review.context["form"]["key"].value(), "step": "confirm"}  # fmt: skip
    assert client.post(reverse("payments:pay_qr"), data).status_code == 302
    assert balance(funded) == 475_000
    assert Account.objects.get(pk=shop.pk).balance == 25_000


@pytest.mark.parametrize(
    ("picture", "message"),
    [
        (lambda shop: photo(bad_crc(shop_qr(shop, 1_000))), "Mã kiểm tra không khớp"),
        (lambda shop: services.vietqr_png("https://example.com"), "không phải mã thanh toán"),
        (lambda shop: b"GIF89a" + b"\0" * 50, "Tệp này không phải ảnh đọc được."),
        (lambda shop: b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024), "lớn hơn 5 MB"),
    ],
)
def test_a_bad_picture_is_refused_on_the_picture_field(
    client: Client, funded: Wallet, shop: Account, picture: Any, message: str
) -> None:
    response = upload(client, picture(shop))

    assert response.status_code == 400
    errors = response.context["form"].errors
    assert list(errors) == ["upload"]
    assert message in " ".join(errors["upload"])
    assert balance(funded) == 500_000
