"""Legacy Vietnamese encodings: known strings in TCVN3, VNI and Windows-1258 come back
as the UTF-8 text, and the detector tells them apart."""

from __future__ import annotations

import codecs
import gzip
import shutil
import subprocess
from pathlib import Path

import pytest

from nentang.opendata import encodings

TEXT = (
    "Cộng hoà xã hội chủ nghĩa Việt Nam - Độc lập, Tự do, Hạnh phúc. "
    "Sở Tài nguyên và Môi trường Thừa Thiên Huế; chất lượng nước sông Hương; "
    "trường Tiểu học Nguyễn Văn Trỗi, quận Đống Đa"
)
# Strings as they appear in old agency files, with their meaning.
KNOWN_TCVN3 = [
    ("Céng hoµ x· héi chñ nghÜa ViÖt Nam", "Cộng hoà xã hội chủ nghĩa Việt Nam"),
    ("§éc lËp - Tù do - H¹nh phóc", "Độc lập - Tự do - Hạnh phúc"),
]
KNOWN_VNI = [
    ("Coäng hoøa xaõ hoäi chuû nghóa Vieät Nam", "Cộng hòa xã hội chủ nghĩa Việt Nam"),
    ("Ñoäc laäp - Töï do - Haïnh phuùc", "Độc lập - Tự do - Hạnh phúc"),
    ("Thaønh phoá Hoà Chí Minh", "Thành phố Hồ Chí Minh"),
]


@pytest.mark.parametrize(("legacy", "text"), KNOWN_TCVN3)
def test_tcvn3_strings_from_old_documents(legacy: str, text: str) -> None:
    data = legacy.encode("latin-1")
    assert encodings.decode(data, "tcvn3") == text
    assert encodings.detect(data) == "tcvn3"


@pytest.mark.parametrize(("legacy", "text"), KNOWN_VNI)
def test_vni_strings_from_old_documents(legacy: str, text: str) -> None:
    data = legacy.encode("cp1252")
    assert encodings.decode(data, "vni") == text
    assert encodings.detect(data) == "vni"


def test_the_tcvn3_table_matches_glibc() -> None:
    """The table was generated from glibc's charmap; iconv agrees byte by byte."""
    if shutil.which("iconv") is None:
        pytest.skip("iconv is not installed")
    # One byte a line, so that glibc does not compose a letter with the next mark.
    data = b"\n".join(bytes([b]) for b in range(0x80, 0x100))
    iconv = subprocess.run(
        ["iconv", "-f", "TCVN5712-1", "-t", "UTF-8"], input=data, capture_output=True, check=True
    )
    ours = [encodings.decode(bytes([b]), "tcvn3") for b in range(0x80, 0x100)]
    assert ours == iconv.stdout.decode().split("\n")
    charmap = Path("/usr/share/i18n/charmaps/TCVN5712-1.gz")
    if charmap.exists():
        with gzip.open(charmap, "rt") as source:
            assert "TCVN5712-1" in source.readline()


def test_round_trips_and_detection() -> None:
    samples = {
        "tcvn3": encodings.encode_tcvn3(TEXT),
        "vni": encodings.encode_vni(TEXT),
        "cp1258": subprocess.run(
            ["iconv", "-f", "UTF-8", "-t", "CP1258"],
            input=TEXT.encode(),
            capture_output=True,
            check=True,
        ).stdout,
        "utf-8": TEXT.encode(),
        "utf-8-sig": codecs.BOM_UTF8 + TEXT.encode(),
        "utf-16": TEXT.encode("utf-16"),
    }
    for name, data in samples.items():
        assert encodings.detect(data) == name, name
        assert encodings.decode(data, name) == TEXT, name
