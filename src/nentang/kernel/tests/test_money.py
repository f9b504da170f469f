from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nentang.kernel.money import MoneyError, format_vnd, parse_vnd, to_dong


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1.234.567 ₫", 1_234_567),
        ("1.234.567₫", 1_234_567),
        ("1.234.567 đ", 1_234_567),
        ("1.234.567 VND", 1_234_567),
        ("1234567", 1_234_567),
        ("  12.000  ", 12_000),
        ("0", 0),
        ("1.000.000.000 ₫", 1_000_000_000),
    ],
)
def test_parse_accepts_vietnamese_notation(text: str, amount: int) -> None:
    assert parse_vnd(text) == amount


@pytest.mark.parametrize(
    "text",
    ["1,5", "12.34", "1.2345", "-5.000", "abc", "", "₫", "1.234,00", "1e6", "1 234.5"],
)
def test_parse_refuses_what_it_cannot_read_exactly(text: str) -> None:
    with pytest.raises(MoneyError):
        parse_vnd(text)


def test_parse_positive_refuses_zero() -> None:
    with pytest.raises(MoneyError, match="greater than zero"):
        parse_vnd("0", positive=True)


def test_format_uses_dots_and_the_dong_sign() -> None:
    assert format_vnd(1_234_567) == "1.234.567 ₫"
    assert format_vnd(0) == "0 ₫"
    assert format_vnd(999) == "999 ₫"
    assert format_vnd(-50_000) == "-50.000 ₫"
    assert format_vnd(1_000, symbol=False) == "1.000"


@pytest.mark.parametrize("value", [1.0, 1e6, 0.5, True, "100", None])
def test_to_dong_refuses_floats_bools_and_text(value: object) -> None:
    with pytest.raises(MoneyError):
        to_dong(value)


def test_to_dong_rules() -> None:
    assert to_dong(100) == 100
    assert to_dong(Decimal("2000")) == 2000
    with pytest.raises(MoneyError, match="fractions"):
        to_dong(Decimal("2000.5"))
    with pytest.raises(MoneyError, match="negative"):
        to_dong(-1)
    with pytest.raises(MoneyError, match="greater than zero"):
        to_dong(0, positive=True)
    with pytest.raises(MoneyError, match="zero"):
        to_dong(0, allow_zero=False)


def test_format_refuses_floats() -> None:
    with pytest.raises(MoneyError):
        format_vnd(1.5)  # type: ignore[arg-type]


@given(st.integers(min_value=0, max_value=10**15))
def test_format_then_parse_round_trips(amount: int) -> None:
    assert parse_vnd(format_vnd(amount)) == amount
