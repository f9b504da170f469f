"""The loaded reference data says what Resolution 202/2025/QH15 and Decision 19/2025 say."""

from __future__ import annotations

import datetime
import hashlib
import json
import re
import unicodedata
from pathlib import Path

import pytest
from django.utils import timezone

from nentang.addresses.models import Commune, DataSource, Province
from nentang.kernel.text import fold

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
DATA_FILE = DATA_DIR / "units-2025-07-01.json"

# Decision 19/2025/QĐ-TTg, as listed in DOMAIN.md ("Administrative units").
DOMAIN_PROVINCES = {
    "01": "Hà Nội", "04": "Cao Bằng", "08": "Tuyên Quang", "11": "Điện Biên",
    "12": "Lai Châu", "14": "Sơn La", "15": "Lào Cai", "19": "Thái Nguyên",
    "20": "Lạng Sơn", "22": "Quảng Ninh", "24": "Bắc Ninh", "25": "Phú Thọ",
    "31": "Hải Phòng", "33": "Hưng Yên", "37": "Ninh Bình", "38": "Thanh Hóa",
    "40": "Nghệ An", "42": "Hà Tĩnh", "44": "Quảng Trị", "46": "Huế",
    "48": "Đà Nẵng", "51": "Quảng Ngãi", "52": "Gia Lai", "56": "Khánh Hòa",
    "66": "Đắk Lắk", "68": "Lâm Đồng", "75": "Đồng Nai", "79": "Hồ Chí Minh",
    "80": "Tây Ninh", "82": "Đồng Tháp", "86": "Vĩnh Long", "91": "An Giang",
    "92": "Cần Thơ", "96": "Cà Mau",
}  # fmt: skip

pytestmark = pytest.mark.django_db


def test_there_are_34_provincial_units_28_provinces_and_6_cities() -> None:
    assert Province.objects.count() == 34
    assert Province.objects.filter(kind=Province.Kind.TINH).count() == 28
    cities = Province.objects.filter(kind=Province.Kind.THANH_PHO).order_by("code")
    assert [(p.code, p.name) for p in cities] == [
        ("01", "Hà Nội"),
        ("31", "Hải Phòng"),
        ("46", "Huế"),
        ("48", "Đà Nẵng"),
        ("79", "Hồ Chí Minh"),
        ("92", "Cần Thơ"),
    ]


def test_province_codes_and_names_are_those_of_decision_19_2025() -> None:
    assert dict(Province.objects.values_list("code", "name")) == DOMAIN_PROVINCES


def test_there_are_3321_communes_2621_xa_687_phuong_13_dac_khu() -> None:
    assert Commune.objects.count() == 3321
    assert Commune.objects.filter(kind=Commune.Kind.XA).count() == 2621
    assert Commune.objects.filter(kind=Commune.Kind.PHUONG).count() == 687
    assert Commune.objects.filter(kind=Commune.Kind.DAC_KHU).count() == 13


def test_every_province_has_communes_and_hcmc_has_168() -> None:
    assert Commune.objects.values("province").distinct().count() == 34
    assert Commune.objects.filter(province_id="79").count() == 168


@pytest.mark.parametrize(
    ("code", "name", "kind", "province"),
    [
        ("26740", "Phường Sài Gòn", "phuong", "79"),
        ("00070", "Phường Hoàn Kiếm", "phuong", "01"),
        ("00004", "Phường Ba Đình", "phuong", "01"),
        ("26732", "Đặc khu Côn Đảo", "dac_khu", "79"),
        ("31078", "Đặc khu Phú Quốc", "dac_khu", "91"),
        ("20333", "Đặc khu Hoàng Sa", "dac_khu", "48"),
        ("22736", "Đặc khu Trường Sa", "dac_khu", "56"),
        # Four rows whose wardType the source got wrong: the name's kind is kept.
        ("10543", "Phường Việt Hòa", "phuong", "31"),
        ("11848", "Xã Vĩnh Hòa", "xa", "31"),
        ("31213", "Phường Tân Lộc", "phuong", "92"),
        ("31299", "Xã Phong Điền", "xa", "92"),
    ],
)
def test_known_communes_have_their_official_code(
    code: str, name: str, kind: str, province: str
) -> None:
    commune = Commune.objects.get(code=code)
    assert (commune.name, commune.kind, commune.province_id) == (name, kind, province)


def test_codes_keep_their_legal_format() -> None:
    assert all(
        re.fullmatch(r"[0-9]{2}", c) for c in Province.objects.values_list("code", flat=True)
    )
    assert all(re.fullmatch(r"[0-9]{5}", c) for c in Commune.objects.values_list("code", flat=True))


def test_names_are_nfc_and_the_stored_folded_name_is_fold_of_the_name() -> None:
    for name, short, folded in Commune.objects.values_list("name", "short_name", "name_folded"):
        assert unicodedata.is_normalized("NFC", name)
        assert name.endswith(" " + short)
        assert folded == fold(name)
    for name, full, folded in Province.objects.values_list("name", "full_name", "name_folded"):
        assert unicodedata.is_normalized("NFC", name)
        assert full in (f"Tỉnh {name}", f"Thành phố {name}")
        assert folded == fold(name)


def test_the_commune_kind_is_the_prefix_of_its_name() -> None:
    prefixes = {"xa": "Xã ", "phuong": "Phường ", "dac_khu": "Đặc khu "}
    for name, kind in Commune.objects.values_list("name", "kind"):
        assert name.startswith(prefixes[kind])


def test_every_unit_is_in_force_from_1_july_2025_and_not_closed() -> None:
    start = datetime.date(2025, 7, 1)
    assert set(Province.objects.values_list("effective_from", "effective_to")) == {(start, None)}
    assert set(Commune.objects.values_list("effective_from", "effective_to")) == {(start, None)}


def test_the_data_file_sha256_is_the_one_in_the_readme() -> None:
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    recorded = re.search(r"\| output sha256 \| `([0-9a-f]{64})` \|", readme)
    assert recorded is not None, "README.md must record the output sha256"
    assert hashlib.sha256(DATA_FILE.read_bytes()).hexdigest() == recorded.group(1)


def test_the_readme_reproduces_the_mit_notice_of_the_source() -> None:
    readme = (DATA_DIR / "README.md").read_text(encoding="utf-8")
    assert "Copyright (c) 2025 Tran Ngoc Minh Hieu" in readme
    assert "The above copyright notice and this permission notice shall be included" in readme


def test_the_load_is_recorded_as_a_data_source() -> None:
    source = DataSource.objects.get()
    meta = json.loads(DATA_FILE.read_bytes())["source"]
    assert (source.name, source.version, source.licence) == ("vietnamadminunits", "1.0.4", "MIT")
    assert source.url == "https://pypi.org/project/vietnamadminunits/1.0.4/"
    assert source.source_sha256 == meta["wheel_sha256"]
    assert source.data_sha256 == hashlib.sha256(DATA_FILE.read_bytes()).hexdigest()
    assert source.effective_from == datetime.date(2025, 7, 1)
    assert source.loaded_at <= timezone.now()
    assert Province.objects.exclude(source=source).count() == 0
    assert Commune.objects.exclude(source=source).count() == 0
