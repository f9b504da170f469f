"""C2SP tlog-tiles: paths, widths, which tiles a tree has, entry bundles."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nentang.audit.tests.tlog_support import MemoryTiles
from nentang.audit.tlog import TileKey, TilePathError, TileRef, parse_tile_path, tile_path
from nentang.audit.tlog.hashing import leaf_hash, perfect_root
from nentang.audit.tlog.tiles import (
    MAX_TREE_SIZE,
    decode_bundle,
    encode_bundle,
    encode_index,
    partial_tiles,
    split_hashes,
    tile_width,
)


@pytest.mark.parametrize(
    ("index", "encoded"),
    [(0, "000"), (5, "005"), (999, "999"), (1000, "x001/000"), (1234067, "x001/x234/067")],
)
def test_indices_are_encoded_in_groups_of_three_digits(index: int, encoded: str) -> None:
    assert encode_index(index) == encoded


@pytest.mark.parametrize(
    ("args", "path"),
    [
        ((0, 0, None), "tile/0/000"),
        ((0, 1234067, None), "tile/0/x001/x234/067"),
        ((1, 1, 17), "tile/1/001.p/17"),
        ((2, 0, 256), "tile/2/000"),
        (("entries", 1000, 3), "tile/entries/x001/000.p/3"),
    ],
)
def test_tile_paths(args: tuple[int | str, int, int | None], path: str) -> None:
    assert tile_path(*args) == path


@st.composite
def tile_refs(draw: st.DrawFn) -> TileRef:
    level = draw(st.one_of(st.none(), st.integers(0, 7)))
    largest = MAX_TREE_SIZE >> (8 * ((level or 0) + 1))
    index = draw(st.integers(0, largest))
    width = draw(st.one_of(st.none(), st.integers(1, 255)))
    return TileRef(level=level, index=index, width=width)


@given(ref=tile_refs())
def test_tile_paths_round_trip(ref: TileRef) -> None:
    assert ref.path.startswith("tile/")
    assert parse_tile_path(ref.path.removeprefix("tile/")) == ref


@pytest.mark.parametrize(
    "path",
    [
        "",
        "0",
        "0/",
        "0/1",
        "0/0001",
        "0/x001",
        "0/x000/001",  # not canonical: 1 is "001"
        "01/000",
        "64/000",
        "-1/000",
        "0/000.p/0",
        "0/000.p/256",
        "0/000.p/07",
        "0/000.p/",
        "0/000.p",
        "0/000/",
        "0/X001/000",
        "entries/abc",
        "Entries/000",
        "0/000.p/5/extra",
        "0/" + "x001/" * 10 + "000",
        "7/001",  # beyond any tree of at most 2^63 - 1 entries
        "0/000 ",
    ],
)
def test_malformed_tile_paths_are_refused(path: str) -> None:
    with pytest.raises(TilePathError):
        parse_tile_path(path)


def test_a_tree_of_70000_entries_has_the_tiles_the_spec_lists() -> None:
    # tlog-tiles: 273 full level-0 tiles, a partial one of width 112, one full level-1
    # tile, a partial level-1 tile of width 17 and a partial level-2 tile of width 1.
    assert partial_tiles(70_000) == [
        (TileKey(0, 273), 112),
        (TileKey(1, 1), 17),
        (TileKey(2, 0), 1),
    ]
    assert tile_width(0, 272, 70_000) == 256
    assert tile_width(0, 273, 70_000) == 112
    assert tile_width(0, 274, 70_000) == 0
    assert tile_width(1, 0, 70_000) == 256
    assert tile_width(1, 1, 70_000) == 17
    assert tile_width(2, 0, 70_000) == 1
    # and a tree of 256 entries: a full level-0 tile and a level-1 tile of width 1.
    assert partial_tiles(256) == [(TileKey(1, 0), 1)]


def test_the_builder_writes_exactly_those_tiles() -> None:
    hashes = [leaf_hash(b"%d" % i) for i in range(70_000)]
    tiles = MemoryTiles(hashes, chunk=4_999).tiles
    widths = {key: len(data) // 32 for key, data in tiles.items()}
    assert len([k for k in widths if k.level == 0]) == 274
    assert widths[TileKey(0, 273)] == 112
    assert widths[TileKey(1, 0)] == 256
    assert widths[TileKey(1, 1)] == 17
    assert widths[TileKey(2, 0)] == 1
    # a level-1 hash is the root of a full level-0 tile
    assert split_hashes(tiles[TileKey(1, 0)])[3] == perfect_root(split_hashes(tiles[TileKey(0, 3)]))
    assert split_hashes(tiles[TileKey(0, 273)]) == hashes[273 * 256 :]


def test_entry_bundles_are_length_prefixed_and_round_trip() -> None:
    leaves = [b"", b"a", "Nguyễn Văn An".encode(), b"x" * 300]
    bundle = encode_bundle(leaves)
    assert bundle[:3] == b"\x00\x00\x00"
    assert bundle[2:5] == b"\x00\x01a"
    assert decode_bundle(bundle) == leaves
    with pytest.raises(ValueError, match="truncated"):
        decode_bundle(bundle[:-1])
    with pytest.raises(ValueError, match="65,535"):
        encode_bundle([b"x" * 65_536])


def test_the_largest_tile_index_is_bounded_by_the_database() -> None:
    last = MAX_TREE_SIZE >> 8
    assert parse_tile_path(encode_index(last).join(["0/", ""])).index == last
    with pytest.raises(TilePathError):
        parse_tile_path("0/" + encode_index(last + 1))
