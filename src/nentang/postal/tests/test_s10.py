"""UPU S10 item identifiers: the check digit, parsing, and allocation without duplicates."""

from __future__ import annotations

import pytest
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from nentang.kernel.errors import BadRequest
from nentang.postal.services.s10 import check_digit, s10_format, s10_is_valid, s10_parse

# (serial, check digit): DOMAIN.md's example and the UPU S10 standard's worked examples.
VECTORS = [
    ("47312482", 9),  # DOMAIN.md: EE473124829VN
    ("12345678", 5),  # UPU S10 Annex: RA123456785GB
    ("00000000", 5),  # Σ = 0 → 11 → 5
    ("00000001", 4),  # Σ = 7 → 4
    ("00000010", 2),  # Σ = 9 → 2
    ("00000002", 8),  # Σ = 14 → 11 − 3 = 8
    ("10000000", 3),  # Σ = 8 → 3
    ("01000000", 5),  # Σ = 6 → 5
    ("00010000", 9),  # Σ = 2 → 9
    ("00000004", 5),  # Σ = 28 → 11 − 6 = 5
    ("00005000", 7),  # Σ = 15 → 11 − 4 = 7
    ("00000100", 6),  # Σ = 5 → 6
    ("00200000", 3),  # Σ = 8 → 3
]


def _reference(serial: str) -> int:
    """The rule written out once more, independently of the code under test."""
    weights = [8, 6, 4, 2, 3, 5, 9, 7]
    total = sum(int(d) * w for d, w in zip(serial, weights, strict=True))
    c = 11 - (total % 11)
    return 0 if c == 10 else 5 if c == 11 else c


@pytest.mark.parametrize(("serial", "expected"), VECTORS)
def test_check_digit_vectors(serial: str, expected: int) -> None:
    assert check_digit(serial) == expected


def test_the_domain_example_is_valid_and_its_neighbours_are_not() -> None:
    assert s10_is_valid("EE473124829VN")
    assert s10_is_valid("RA123456785GB")
    assert not s10_is_valid("EE473124828VN")
    assert not s10_is_valid("EE47312482VN")
    assert not s10_is_valid("ee473124829vn")


def test_a_check_digit_of_ten_becomes_zero() -> None:
    # Σ mod 11 == 1 → C = 10 → 0: find the first such serial by the reference rule.
    serial = next(f"{n:08d}" for n in range(1000) if _reference(f"{n:08d}") == 0)
    total = sum(int(d) * w for d, w in zip(serial, [8, 6, 4, 2, 3, 5, 9, 7], strict=True))
    assert total % 11 == 1
    assert check_digit(serial) == 0


@given(st.integers(min_value=0, max_value=99_999_999), st.sampled_from(["EE", "CP", "CE", "RR"]))
def test_formatted_identifiers_round_trip(serial: int, indicator: str) -> None:
    number = s10_format(indicator, serial)
    assert len(number) == 13
    assert number.endswith("VN")
    assert s10_is_valid(number)
    assert s10_parse(number.lower()) == number
    assert s10_parse(f" {number[:2]} {number[2:7]} {number[7:]} ") == number
    assert check_digit(number[2:10]) == _reference(number[2:10])


@given(
    st.integers(min_value=0, max_value=99_999_999),
    st.integers(min_value=0, max_value=7),
    st.integers(min_value=1, max_value=9),
)
def test_any_single_digit_error_is_caught(serial: int, position: int, shift: int) -> None:
    number = s10_format("EE", serial)
    digits = list(number[2:10])
    digits[position] = str((int(digits[position]) + shift) % 10)
    altered = number[:2] + "".join(digits) + number[10:]
    # The weights are all coprime to 11, so one changed digit always changes Σ mod 11;
    # 10 and 11 fold onto 0 and 5, which lets a few changes through: count them exactly.
    if s10_is_valid(altered):
        assert {check_digit(number[2:10]), check_digit(altered[2:10])} <= {0, 5}


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("EE473124828VN", "check digit"),
        ("EE47312482VN", "2 letters, 9 digits"),
        ("", "2 letters, 9 digits"),
        ("EE473124829V\x00", "2 letters, 9 digits"),
        ("E" * 10_000, "2 letters, 9 digits"),
    ],
)
def test_bad_identifiers_say_what_is_wrong(text: str, fragment: str) -> None:
    with translation.override("en"), pytest.raises(BadRequest) as error:
        s10_parse(text)
    assert error.value.code == "invalid_s10"
    assert fragment in str(error.value.detail)
