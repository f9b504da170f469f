"""Vietnamese names and places for generated demo citizens.

Family names with their approximate share of the population (per mille), after the
commonly cited estimates (Nguyễn ≈ 38 %, Trần ≈ 11 %, Lê ≈ 9.5 % …); Hoàng/Huỳnh and
Vũ/Võ are northern and southern forms of one name, listed separately. Middle and given
names are common ones, by sex. Mobile prefixes are those of the national numbering plan
after the 2018 conversion to 10 digits (Viettel, VinaPhone, MobiFone, Vietnamobile).
"""

from __future__ import annotations

FAMILY_NAMES: tuple[tuple[str, int], ...] = (
    ("Nguyễn", 384),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 71),
    ("Hoàng", 30),
    ("Huỳnh", 21),
    ("Phan", 45),
    ("Vũ", 22),
    ("Võ", 17),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 5),
    ("Trương", 5),
    ("Lâm", 4),
    ("Mai", 4),
    ("Trịnh", 4),
    ("Đào", 4),
    ("Cao", 3),
    ("Lương", 3),
)

MIDDLE_NAMES: dict[str, tuple[str, ...]] = {
    "male": ("Văn", "Hữu", "Đức", "Minh", "Quốc", "Thành", "Công", "Gia", "Anh", "Hoàng"),
    "female": ("Thị", "Ngọc", "Thu", "Thanh", "Minh", "Bảo", "Hồng", "Kim", "Phương", "Mỹ"),
}

GIVEN_NAMES: dict[str, tuple[str, ...]] = {
    "male": (
        "An", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hùng", "Huy",
        "Khang", "Khoa", "Kiên", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân",
        "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Trung", "Tuấn", "Việt", "Vinh",
    ),
    "female": (
        "Anh", "Châu", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hoa", "Hương", "Lan", "Linh",
        "Mai", "My", "Ngân", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Trang", "Tâm",
        "Uyên", "Vân", "Xuân", "Yến",
    ),
}  # fmt: skip

STREETS: tuple[str, ...] = (
    "Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt",
    "Quang Trung", "Điện Biên Phủ", "Nguyễn Trãi", "Phan Chu Trinh", "Hùng Vương",
    "Lê Duẩn", "Võ Thị Sáu", "Nguyễn Du", "Bà Triệu", "Trần Phú",
)  # fmt: skip

# The two digits after the leading 0 of a 10-digit mobile number.
MOBILE_PREFIXES: tuple[str, ...] = (
    "32", "33", "34", "35", "36", "37", "38", "39", "86", "96", "97", "98",  # Viettel
    "81", "82", "83", "84", "85", "88", "91", "94",  # VinaPhone
    "70", "76", "77", "78", "79", "90", "93",  # MobiFone
)  # fmt: skip
