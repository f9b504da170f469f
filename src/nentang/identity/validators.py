"""Legal identifier formats of Vietnam: personal identification number and tax code.

Pure functions, no database: they state the rule and its legal basis, and are tested
against the published examples (tests/test_validators.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass

# Codes of the place of birth registration in the personal identification number:
# the 63 provinces before the 2025 reorganisation (Circular 07/2016/TT-BCA, Annex I).
# Numbers are for life, so this table is distinct from the 34 new province codes.
BIRTH_PROVINCES: Mapping[str, str] = {
    "001": "Hà Nội", "002": "Hà Giang", "004": "Cao Bằng", "006": "Bắc Kạn",
    "008": "Tuyên Quang", "010": "Lào Cai", "011": "Điện Biên", "012": "Lai Châu",
    "014": "Sơn La", "015": "Yên Bái", "017": "Hòa Bình", "019": "Thái Nguyên",
    "020": "Lạng Sơn", "022": "Quảng Ninh", "024": "Bắc Giang", "025": "Phú Thọ",
    "026": "Vĩnh Phúc", "027": "Bắc Ninh", "030": "Hải Dương", "031": "Hải Phòng",
    "033": "Hưng Yên", "034": "Thái Bình", "035": "Hà Nam", "036": "Nam Định",
    "037": "Ninh Bình", "038": "Thanh Hóa", "040": "Nghệ An", "042": "Hà Tĩnh",
    "044": "Quảng Bình", "045": "Quảng Trị", "046": "Thừa Thiên Huế", "048": "Đà Nẵng",
    "049": "Quảng Nam", "051": "Quảng Ngãi", "052": "Bình Định", "054": "Phú Yên",
    "056": "Khánh Hòa", "058": "Ninh Thuận", "060": "Bình Thuận", "062": "Kon Tum",
    "064": "Gia Lai", "066": "Đắk Lắk", "067": "Đắk Nông", "068": "Lâm Đồng",
    "070": "Bình Phước", "072": "Tây Ninh", "074": "Bình Dương", "075": "Đồng Nai",
    "077": "Bà Rịa – Vũng Tàu", "079": "TP Hồ Chí Minh", "080": "Long An",
    "082": "Tiền Giang", "083": "Bến Tre", "084": "Trà Vinh", "086": "Vĩnh Long",
    "087": "Đồng Tháp", "089": "An Giang", "091": "Kiên Giang", "092": "Cần Thơ",
    "093": "Hậu Giang", "094": "Sóc Trăng", "095": "Bạc Liêu", "096": "Cà Mau",
}  # fmt: skip


class IdentifierError(ValueError):
    """An identifier breaks its legal format. ``code`` is stable, ``str()`` is a sentence."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class PersonalIdNumber:
    """A parsed personal identification number ``PPP G YY RRRRRR``."""

    value: str
    birth_province_code: str
    birth_province: str
    sex: str  # "male" or "female"
    birth_year: int
    serial: str


def parse_personal_id(
    value: str,
    *,
    today: datetime.date | None = None,
    extra_place_codes: Mapping[str, str] | None = None,
) -> PersonalIdNumber:
    """Parse and check a 12-digit personal identification number (số định danh cá nhân).

    Law on Identification 2023; Circular 07/2016/TT-BCA (structure). There is no check
    digit: the structure is what can be checked. ``PPP`` is the place where the birth
    was registered (``extra_place_codes`` adds country codes for births registered
    abroad, which are not confirmed: configurable); ``G`` encodes century and sex —
    0/1 = 1900s male/female, 2/3 = 2000s, 4/5 = 2100s …; ``YY`` the last two digits of
    the birth year; the last six digits are a serial. The year must not be in the future.
    """
    text = value.strip() if isinstance(value, str) else ""
    if len(text) != 12 or not (text.isascii() and text.isdigit()):
        raise IdentifierError("invalid_length", "A personal ID number is exactly 12 digits.")
    places = dict(BIRTH_PROVINCES)
    places.update(extra_place_codes or {})
    code = text[:3]
    if code not in places:
        raise IdentifierError(
            "unknown_place_code",
            f"{code} is not a known code of a place of birth registration.",
        )
    century_sex = int(text[3])
    birth_year = 1900 + 100 * (century_sex // 2) + int(text[4:6])
    current_year = (today or datetime.date.today()).year
    if birth_year > current_year:
        raise IdentifierError(
            "birth_year_in_future",
            f"The century digit {century_sex} and year {text[4:6]} give {birth_year}, "
            "a year that has not come yet.",
        )
    return PersonalIdNumber(
        value=text,
        birth_province_code=code,
        birth_province=places[code],
        sex="female" if century_sex % 2 else "male",
        birth_year=birth_year,
        serial=text[6:],
    )


def check_personal_id_matches(
    parsed: PersonalIdNumber, *, date_of_birth: datetime.date, sex: str
) -> list[tuple[str, str, str]]:
    """Disagreements between the number and the declared birth date and sex, as
    (field, code, message) — empty when they agree."""
    problems = []
    if parsed.birth_year != date_of_birth.year:
        problems.append(
            (
                "date_of_birth",
                "id_number_mismatch",
                f"The ID number says born in {parsed.birth_year}, not {date_of_birth.year}.",
            )
        )
    if parsed.sex != sex:
        problems.append(
            ("sex", "id_number_mismatch", f"The ID number is that of a {parsed.sex} person.")
        )
    return problems


_MST_WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def tax_code_check_digit(first_nine: str) -> int | None:
    """The 10th digit of a tax code (mã số thuế) computed from the first nine.

    Weights 31, 29, 23, 19, 17, 13, 7, 5, 3; check = 10 − (Σ mod 11). When Σ mod 11 is
    0 the check would be 10, which no digit can hold (unconfirmed: such codes are
    treated as invalid), and ``None`` is returned.
    """
    total = sum(int(digit) * weight for digit, weight in zip(first_nine, _MST_WEIGHTS, strict=True))
    check = 10 - total % 11
    return None if check == 10 else check


def normalise_tax_code(value: str) -> str:
    """Check a tax code: 10 digits with a valid check digit, optionally ``-NNN`` for a
    branch (13 characters in all). Returns it with spaces removed."""
    text = "".join(value.split()) if isinstance(value, str) else ""
    main, dash, branch = text.partition("-")
    if len(main) != 10 or not (main.isascii() and main.isdigit()):
        raise IdentifierError("invalid_format", "A tax code is 10 digits, then -NNN for a branch.")
    if dash and (len(branch) != 3 or not (branch.isascii() and branch.isdigit())):
        raise IdentifierError("invalid_format", "A branch suffix is a dash and 3 digits: -001.")
    expected = tax_code_check_digit(main[:9])
    if expected is None or expected != int(main[9]):
        raise IdentifierError("invalid_check_digit", "The check digit of this tax code is wrong.")
    return text
