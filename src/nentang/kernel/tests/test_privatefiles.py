"""The one way secret and state files are written: atomic, private, made once."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from nentang.kernel.privatefiles import (
    SecretFileError,
    load_or_create_key,
    load_or_create_text,
    private_directory,
    write_private,
)


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most permissive umask an operator could have: modes must not depend on it."""
    previous = os.umask(0)
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_written_file_and_its_new_folders_are_private_whatever_the_umask(
    tmp_path: Path, open_umask: None
) -> None:
    target = tmp_path / "a" / "b" / "state.json"
    assert write_private(target, b'{"ok": true}') is True
    assert target.read_bytes() == b'{"ok": true}'
    assert mode(target) == 0o600
    assert mode(tmp_path / "a") == 0o700
    assert mode(tmp_path / "a" / "b") == 0o700
    assert sorted(p.name for p in target.parent.iterdir()) == ["state.json"]  # no temp left


def test_replace_rewrites_and_create_only_keeps_the_first(tmp_path: Path) -> None:
    target = tmp_path / "key"
    assert write_private(target, b"first", replace=False) is True
    assert write_private(target, b"second", replace=False) is False
    assert target.read_bytes() == b"first"
    assert write_private(target, b"third") is True
    assert target.read_bytes() == b"third"
    assert [p.name for p in tmp_path.iterdir()] == ["key"]


def test_an_existing_loose_folder_and_key_are_tightened(tmp_path: Path) -> None:
    folder = tmp_path / "home"
    folder.mkdir()
    folder.chmod(0o755)
    private_directory(folder)
    assert mode(folder) == 0o700
    key = folder / "k.key"
    key.write_text("ab" * 32 + "\n")
    key.chmod(0o644)
    assert load_or_create_key(key) == bytes.fromhex("ab" * 32)
    assert mode(key) == 0o600


def test_a_key_is_generated_once_then_read_back(tmp_path: Path) -> None:
    path = tmp_path / "k.key"
    first = load_or_create_key(path, size=32)
    assert len(first) == 32
    assert load_or_create_key(path, size=32) == first
    assert path.read_text() == first.hex() + "\n"


@pytest.mark.parametrize(
    ("content", "why"),
    [
        ("", "it is empty"),
        ("   \n", "it is empty"),
        ("xyz", "it is not hexadecimal"),
        ("00" * 16, "it holds 16 bytes, not 32"),
        (b"\xff\xfe".decode("latin-1"), "it is not hexadecimal"),
    ],
)
def test_a_damaged_key_is_refused_with_a_sentence_and_left_alone(
    tmp_path: Path, content: str, why: str
) -> None:
    path = tmp_path / "k.key"
    path.write_text(content, encoding="latin-1")
    with pytest.raises(SecretFileError) as raised:
        load_or_create_key(path)
    assert str(raised.value).startswith(f"{path} is damaged ({why}); restore it from a backup")
    assert path.read_text(encoding="latin-1") == content


def test_a_generator_that_breaks_its_own_rule_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "secret"
    with pytest.raises(ValueError, match="fails its own check"):
        load_or_create_text(path, generate=lambda: "short", check=lambda t: "too short")
    assert not path.exists()
