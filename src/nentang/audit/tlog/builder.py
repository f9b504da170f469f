"""The growing right edge of the tree: append leaf hashes, get tiles and the root.

The integrator keeps, for each tile level, the hashes of the rightmost (partial) tile.
Appending a leaf hash appends to the level-0 tile; when a tile reaches 256 hashes it is
complete, its root is appended to the tile one level up, and a new tile starts. The
root of the whole tree is computed from these partial tiles alone (at most 255 hashes a
level), so appending costs about two SHA-256 per entry whatever the size of the tree.
``nentang audit verify`` uses the same builder from size 0 to recompute the tree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from nentang.audit.tlog.hashing import fold_right, perfect_root
from nentang.audit.tlog.tiles import TILE_HEIGHT, TILE_WIDTH, TileKey, partial_tiles


class TreeBuilder:
    """The right edge of a tree of ``size`` entries, given the partial tile of each level
    (``edge[level]``: the hashes of that tile, exactly as many as the size implies)."""

    def __init__(self, size: int = 0, edge: Mapping[int, Sequence[bytes]] | None = None) -> None:
        expected = {key.level: width for key, width in partial_tiles(size)}
        given = {level: list(hashes) for level, hashes in (edge or {}).items() if hashes}
        for level in set(expected) | set(given):
            if len(given.get(level, ())) != expected.get(level, 0):
                raise ValueError(
                    f"a tree of {size} entries has {expected.get(level, 0)} hashes in its "
                    f"partial tile of level {level}, {len(given.get(level, ()))} given"
                )
        self.size = size
        self._edge: dict[int, list[bytes]] = given
        self._completed: dict[TileKey, bytes] = {}
        self._touched: set[int] = set()

    def append(self, leaf_hashes: Iterable[bytes]) -> None:
        """Add entries, in order, by their leaf hashes."""
        level0 = self._edge.setdefault(0, [])
        touched = False
        for value in leaf_hashes:
            level0.append(value)
            self.size += 1
            touched = True
            if len(level0) == TILE_WIDTH:
                self._complete(0)
                level0 = self._edge[0]
        if touched:
            self._touched.add(0)

    def _complete(self, level: int) -> None:
        hashes = self._edge[level]
        index = (self.size >> (TILE_HEIGHT * level)) // TILE_WIDTH - 1
        self._completed[TileKey(level, index)] = b"".join(hashes)
        self._edge[level] = []
        above = self._edge.setdefault(level + 1, [])
        above.append(perfect_root(hashes))
        self._touched.add(level + 1)
        if len(above) == TILE_WIDTH:
            self._complete(level + 1)

    def root(self) -> bytes:
        """The root hash of the tree as it now stands (MTH of every entry appended)."""
        subtrees = []
        for level in sorted(self._edge, reverse=True):
            hashes = self._edge[level]
            position = 0
            for height in range(TILE_HEIGHT - 1, -1, -1):
                if len(hashes) >> height & 1:
                    subtrees.append(perfect_root(hashes[position : position + (1 << height)]))
                    position += 1 << height
        return fold_right(subtrees)

    def take_tiles(self) -> dict[TileKey, bytes]:
        """The tiles that changed since the last call: every tile completed (256 hashes)
        and the current partial tile of each level that grew."""
        changed = dict(self._completed)
        for level in self._touched:
            hashes = self._edge.get(level)
            if hashes:
                index = (self.size >> (TILE_HEIGHT * level)) // TILE_WIDTH
                changed[TileKey(level, index)] = b"".join(hashes)
        self._completed = {}
        self._touched = set()
        return changed
