import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from nentang.kernel.text import clean, fold, nfc


def test_da_nang_in_every_spelling_folds_alike() -> None:
    assert fold("Đà Nẵng") == fold("da nang") == fold("ĐÀ NẴNG") == "da nang"


def test_fold_handles_decomposed_input() -> None:
    decomposed = unicodedata.normalize("NFD", "Thừa Thiên Huế")
    assert fold(decomposed) == "thua thien hue"


def test_fold_strips_every_tone_and_vowel_mark() -> None:
    assert fold("Phường Sài Gòn") == "phuong sai gon"
    assert fold("Nguyễn Thị Ánh Tuyết") == "nguyen thi anh tuyet"
    assert fold("Ơ ư ă â ê ô") == "o u a a e o"
    assert fold("  Hà   Nội ") == "ha noi"


def test_nfc_composes() -> None:
    decomposed = unicodedata.normalize("NFD", "Việt Nam")
    assert decomposed != "Việt Nam"
    assert nfc(decomposed) == "Việt Nam"
    assert clean("  Việt \t Nam ") == "Việt Nam"


@given(st.text())
def test_fold_is_idempotent_and_ascii_for_vietnamese(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@given(st.text(alphabet="aăâbcdđeêghiklmnoôơpqrstuưvxyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệ "))
def test_vietnamese_letters_fold_to_ascii(text: str) -> None:
    assert fold(text).isascii()
    assert fold(text) == fold(text.upper())
