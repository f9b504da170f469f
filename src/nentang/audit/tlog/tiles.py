"""C2SP tlog-tiles: the tree served as tiles of 256 hashes, and their paths.

A tile of level ``L`` holds up to 256 consecutive hashes of tree level ``8·L``: at level
0 the leaf hashes, at level 1 and above the roots of full tiles of the level below. Tile
``N`` of level ``L`` covers the entries ``[N·256^(L+1), (N+1)·256^(L+1))``. The rightmost
tile of a level is *partial* (1 to 255 hashes) until it fills; it is served as
``tile/<L>/<N>.p/<W>`` and never hashed into the level above.

Any hash of a perfect subtree of the tree (a "node" ``(level, index)``, covering the
entries ``[index·2^level, (index+1)·2^level)``) can be computed from one tile: the node's
2^h descendants at tree level ``8·L`` (``level = 8·L + h``, ``h < 8``) are consecutive hashes
of tile ``(L, index·2^h // 256)``. Proofs therefore read tiles, never leaves.
"""

from __future__ import annotations

import re
import struct
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from nentang.audit.tlog.hashing import HASH_SIZE, perfect_root

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT  # 256 hashes
MAX_LEVEL = 63
MAX_TREE_SIZE = (1 << 63) - 1  # sizes and indices are signed 64-bit integers in the database
ENTRIES = "entries"

_PATH = re.compile(
    r"^(?P<level>0|[1-9][0-9]?|entries)/(?P<index>(?:x[0-9]{3}/){0,6}[0-9]{3})"
    r"(?:\.p/(?P<width>[1-9][0-9]{0,2}))?$"
)


@dataclass(frozen=True, order=True, slots=True)
class TileKey:
    """A tile's place: its level (0–63) and its index within the level."""

    level: int
    index: int


class TilePathError(ValueError):
    """A tile path that the tlog-tiles grammar does not allow; the message says why."""


@dataclass(frozen=True)
class TileRef:
    """A parsed tile path: a hash tile (``level`` 0–63) or an entry bundle (``level`` None)."""

    level: int | None
    index: int
    width: int | None  # None for a full tile (256), else 1–255

    @property
    def is_bundle(self) -> bool:
        return self.level is None

    @property
    def path(self) -> str:
        return tile_path(ENTRIES if self.level is None else self.level, self.index, self.width)


def encode_index(index: int) -> str:
    """``1234067`` → ``x001/x234/067``: zero-padded groups of three digits, all but the
    last prefixed with ``x`` (so files and directories never collide on disk)."""
    if index < 0:
        raise ValueError(f"a tile index is not negative, got {index}")
    groups = [f"{index % 1000:03d}"]
    index //= 1000
    while index:
        groups.append(f"x{index % 1000:03d}")
        index //= 1000
    return "/".join(reversed(groups))


def tile_path(level: int | str, index: int, width: int | None = None) -> str:
    """The path of a tile below the log's prefix, e.g. ``tile/1/x001/234.p/17``."""
    if level != ENTRIES and not (isinstance(level, int) and 0 <= level <= MAX_LEVEL):
        raise ValueError(f"a tile level is 0–{MAX_LEVEL} or 'entries', got {level!r}")
    suffix = ""
    if width is not None and width != TILE_WIDTH:
        if not 1 <= width < TILE_WIDTH:
            raise ValueError(f"a partial tile is 1–255 hashes wide, got {width}")
        suffix = f".p/{width}"
    return f"tile/{level}/{encode_index(index)}{suffix}"


def parse_tile_path(path: str) -> TileRef:
    """Parse what follows ``tile/``: ``<L>/<N>[.p/<W>]`` or ``entries/<N>[.p/<W>]``.

    Only the canonical spelling is accepted (no leading zeros in ``L`` or ``W``, no
    ``x000`` group in front of ``N``), so each tile has exactly one URL.
    """
    match = _PATH.fullmatch(path)
    if match is None:
        raise TilePathError(
            "expected <L>/<N>[.p/<W>]: a level 0–63 or 'entries', an index in groups of "
            "three digits (x001/x234/067), and for a partial tile a width 1–255"
        )
    level_text, index_text, width_text = match.group("level", "index", "width")
    level = None if level_text == ENTRIES else int(level_text)
    if level is not None and level > MAX_LEVEL:
        raise TilePathError(f"level {level} is above {MAX_LEVEL}")
    width = int(width_text) if width_text else None
    if width is not None and width >= TILE_WIDTH:
        raise TilePathError(f"a partial tile is 1–255 hashes wide, not {width}")
    index = int(index_text.replace("x", "").replace("/", ""))
    if encode_index(index) != index_text:
        raise TilePathError(f"{index_text!r} is not the canonical spelling of index {index}")
    span = TILE_HEIGHT * ((level or 0) + 1)
    if index > MAX_TREE_SIZE >> span:
        raise TilePathError(f"index {index} is beyond any tree this log can hold")
    return TileRef(level=level, index=index, width=width)


def tile_width(level: int, index: int, tree_size: int) -> int:
    """How many hashes tile ``(level, index)`` has in a tree of ``tree_size`` entries
    (256 when full, 0 when the tree does not reach it yet)."""
    hashes_at_level = tree_size >> (TILE_HEIGHT * level)
    return max(0, min(TILE_WIDTH, hashes_at_level - index * TILE_WIDTH))


def partial_tiles(tree_size: int) -> list[tuple[TileKey, int]]:
    """The rightmost, partial tile of each level with its width (levels where it is not
    empty): what the integrator appends to."""
    result = []
    level = 0
    while tree_size >> (TILE_HEIGHT * level):
        hashes_at_level = tree_size >> (TILE_HEIGHT * level)
        width = hashes_at_level % TILE_WIDTH
        if width:
            result.append((TileKey(level, hashes_at_level // TILE_WIDTH), width))
        level += 1
    return result


def node_location(level: int, index: int) -> tuple[TileKey, int, int]:
    """Where the descendants of node ``(level, index)`` lie: tile, first offset, count."""
    tile_level, height = divmod(level, TILE_HEIGHT)
    first = index << height
    return TileKey(tile_level, first >> TILE_HEIGHT), first % TILE_WIDTH, 1 << height


class TileReader(Protocol):
    """Storage of the tiles: returns the stored hashes (concatenated, 32 bytes each) of
    the tiles it has among ``keys``. A stored tile may be wider than a caller needs."""

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]: ...


class MissingHashError(LookupError):
    """A tile that a proof needs is missing or too narrow: the tree is smaller than asked,
    or the storage is damaged."""


def node_hashes(
    reader: TileReader, nodes: Iterable[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    """The hashes of perfect-subtree nodes, from one batched read of their tiles."""
    wanted = {(level, index): node_location(level, index) for level, index in set(nodes)}
    tiles = reader.read_tiles({key for key, _offset, _count in wanted.values()}) if wanted else {}
    result: dict[tuple[int, int], bytes] = {}
    for node, (key, offset, count) in wanted.items():
        data = tiles.get(key)
        end = (offset + count) * HASH_SIZE
        if data is None or len(data) < end:
            raise MissingHashError(f"tile {key.level}/{key.index} lacks the hashes of node {node}")
        hashes = [data[i : i + HASH_SIZE] for i in range(offset * HASH_SIZE, end, HASH_SIZE)]
        result[node] = hashes[0] if count == 1 else perfect_root(hashes)
    return result


def split_hashes(data: bytes) -> list[bytes]:
    """A tile's bytes as a list of 32-byte hashes."""
    if len(data) % HASH_SIZE:
        raise ValueError(f"a tile is a whole number of {HASH_SIZE}-byte hashes")
    return [data[i : i + HASH_SIZE] for i in range(0, len(data), HASH_SIZE)]


def encode_bundle(leaves: Iterable[bytes]) -> bytes:
    """An entry bundle: each leaf prefixed with its length as a big-endian uint16."""
    parts = []
    for leaf in leaves:
        if len(leaf) > 0xFFFF:
            raise ValueError(f"an entry bundle holds leaves up to 65,535 bytes, not {len(leaf)}")
        parts.append(struct.pack(">H", len(leaf)))
        parts.append(leaf)
    return b"".join(parts)


def decode_bundle(data: bytes) -> list[bytes]:
    """The leaves of an entry bundle; raises ValueError when it is truncated."""
    leaves = []
    position = 0
    while position < len(data):
        if position + 2 > len(data):
            raise ValueError("entry bundle truncated in a length prefix")
        (length,) = struct.unpack_from(">H", data, position)
        position += 2
        if position + length > len(data):
            raise ValueError("entry bundle truncated in an entry")
        leaves.append(data[position : position + length])
        position += length
    return leaves
