"""Money in Vietnamese đồng: always an ``int`` of whole đồng, never a float.

The đồng has no minor unit in circulation, so an amount is an integer. Display uses
the Vietnamese convention ``1.234.567 ₫`` (dot as thousands separator, sign after).
"""

from __future__ import annotations

import re
from decimal import Decimal

Dong = int

_SYMBOLS = ("₫", "đ", "Đ", "VND", "VNĐ", "vnd", "vnđ", "dong", "đồng")
_GROUPED = re.compile(r"^\d{1,3}(\.\d{3})+$")
_PLAIN = re.compile(r"^\d+$")


class MoneyError(ValueError):
    """An amount is not a valid number of đồng (float, fraction, negative, malformed)."""


def to_dong(value: object, *, positive: bool = False, allow_zero: bool = True) -> Dong:
    """Accept an integer amount of đồng, refusing anything that could hide a fraction.

    ``positive=True`` demands ``> 0`` (a payment, a fee); otherwise ``>= 0``
    unless ``allow_zero`` is false. Floats are refused even when whole (``1e6``),
    because a float on a money path is itself the bug.
    """
    if isinstance(value, (bool, float)):
        raise MoneyError("Amounts of money are whole đồng; floats are not accepted.")
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise MoneyError("Amounts of money are whole đồng; fractions are not accepted.")
        value = int(value)
    if not isinstance(value, int):
        raise MoneyError(f"Expected a whole number of đồng, got {type(value).__name__}.")
    if value < 0:
        raise MoneyError("The amount must not be negative.")
    if positive and value == 0:
        raise MoneyError("The amount must be greater than zero.")
    if not allow_zero and value == 0:
        raise MoneyError("The amount must not be zero.")
    return value


def parse_vnd(text: str, *, positive: bool = False) -> Dong:
    """Parse ``"1.234.567 ₫"``, ``"1.234.567đ"``, ``"1234567"`` or ``"1.234.567 VND"``.

    Refuses decimal commas (``"1,5"``), misplaced separators (``"12.34"``) and signs:
    a money amount typed by a person is never silently guessed.
    """
    if not isinstance(text, str):
        raise MoneyError(f"Expected text, got {type(text).__name__}.")
    cleaned = text.strip()
    for symbol in _SYMBOLS:
        if cleaned.endswith(symbol):
            cleaned = cleaned[: -len(symbol)].strip()
            break
    cleaned = cleaned.replace("\u00a0", "").replace(" ", "")
    if cleaned.startswith("-"):
        raise MoneyError("The amount must not be negative.")
    if _PLAIN.match(cleaned):
        amount = int(cleaned)
    elif _GROUPED.match(cleaned):
        amount = int(cleaned.replace(".", ""))
    else:
        raise MoneyError(f"{text!r} is not an amount of đồng such as 1.234.567 ₫.")
    return to_dong(amount, positive=positive)


def format_vnd(amount: Dong, *, symbol: bool = True) -> str:
    """``1234567`` → ``"1.234.567 ₫"``; negative amounts (refunds, debits) keep a minus."""
    if isinstance(amount, bool) or not isinstance(amount, int):
        raise MoneyError(f"Expected a whole number of đồng, got {type(amount).__name__}.")
    sign = "-" if amount < 0 else ""
    grouped = f"{abs(amount):,}".replace(",", ".")
    return f"{sign}{grouped} ₫" if symbol else f"{sign}{grouped}"
