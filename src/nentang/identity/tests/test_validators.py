"""The identifier rules, against the published examples (DOMAIN.md)."""

from __future__ import annotations

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nentang.identity.validators import (
    BIRTH_PROVINCES,
    IdentifierError,
    check_personal_id_matches,
    normalise_tax_code,
    parse_personal_id,
    tax_code_check_digit,
)

TODAY = datetime.date(2026, 11, 28)


def test_the_published_example_decodes() -> None:
    parsed = parse_personal_id("087084000999", today=TODAY)
    assert (parsed.birth_province, parsed.sex, parsed.birth_year) == ("Đồng Tháp", "male", 1984)


@pytest.mark.parametrize(
    ("number", "province", "sex", "year"),
    [
        ("079090001234", "TP Hồ Chí Minh", "male", 1990),  # Nguyễn Văn An (demo)
        ("001195004321", "Hà Nội", "female", 1995),  # Trần Thị Bình (demo)
        ("048205000001", "Đà Nẵng", "male", 2005),
        ("001312000001", "Hà Nội", "female", 2012),
        ("096000000001", "Cà Mau", "male", 1900),
    ],
)
def test_century_and_sex_digit(number: str, province: str, sex: str, year: int) -> None:
    parsed = parse_personal_id(number, today=TODAY)
    assert (parsed.birth_province, parsed.sex, parsed.birth_year) == (province, sex, year)


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("07909000123", "invalid_length"),
        ("0790900012345", "invalid_length"),
        ("07909000123a", "invalid_length"),
        ("０７９０９０００１２３４", "invalid_length"),  # full-width digits
        ("003090001234", "unknown_place_code"),  # 003 was never a province code
        ("100090001234", "unknown_place_code"),
        ("079290001234", "birth_year_in_future"),  # 2090
        ("079427001234", "birth_year_in_future"),  # 2127
    ],
)
def test_malformed_numbers_are_refused_with_a_reason(number: str, code: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_personal_id(number, today=TODAY)
    assert caught.value.code == code


def test_country_codes_are_configurable() -> None:
    with pytest.raises(IdentifierError):
        parse_personal_id("999090001234", today=TODAY)
    parsed = parse_personal_id(
        "999090001234", today=TODAY, extra_place_codes={"999": "(abroad, test)"}
    )
    assert parsed.birth_province == "(abroad, test)"


def test_declared_birth_date_and_sex_must_agree() -> None:
    parsed = parse_personal_id("079090001234", today=TODAY)
    assert (
        check_personal_id_matches(parsed, date_of_birth=datetime.date(1990, 5, 2), sex="male") == []
    )
    problems = check_personal_id_matches(
        parsed, date_of_birth=datetime.date(1991, 5, 2), sex="female"
    )
    assert [(field, code) for field, code, _m in problems] == [
        ("date_of_birth", "id_number_mismatch"),
        ("sex", "id_number_mismatch"),
    ]


@given(
    place=st.sampled_from(sorted(BIRTH_PROVINCES)),
    century=st.integers(0, 3),
    yy=st.integers(0, 99),
    serial=st.integers(0, 999_999),
)
def test_every_well_formed_number_round_trips(
    place: str, century: int, yy: int, serial: int
) -> None:
    number = f"{place}{century}{yy:02d}{serial:06d}"
    year = 1900 + 100 * (century // 2) + yy
    if year > TODAY.year:
        with pytest.raises(IdentifierError):
            parse_personal_id(number, today=TODAY)
        return
    parsed = parse_personal_id(number, today=TODAY)
    assert parsed.birth_year == year
    assert parsed.sex == ("female" if century % 2 else "male")
    assert parsed.value == number


@pytest.mark.parametrize("code", ["0100109106", "0300588569", "0101248141", "0100109106-001"])
def test_published_tax_codes_are_valid(code: str) -> None:
    assert normalise_tax_code(code) == code


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("0100109107", "invalid_check_digit"),
        ("0300588560", "invalid_check_digit"),
        ("010010910", "invalid_format"),
        ("0100109106-01", "invalid_format"),
        ("0100109106-0a1", "invalid_format"),
        ("01001O9106", "invalid_format"),
    ],
)
def test_bad_tax_codes_are_refused(code: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        normalise_tax_code(code)
    assert caught.value.code == reason


def test_a_sum_divisible_by_eleven_has_no_valid_check_digit() -> None:
    # 4·7 + 1·5 = 33 = 3·11: the check would be 10, which no digit holds.
    assert tax_code_check_digit("000000410") is None
    with pytest.raises(IdentifierError):
        normalise_tax_code("0000004100")
