"""Shared helpers of the transparency-log tests: an in-memory tile store."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence

from nentang.audit.tlog import TileKey, TreeBuilder


class MemoryTiles:
    """Tiles kept in a dict, filled by the integrator's own builder."""

    def __init__(self, hashes: Sequence[bytes] = (), *, chunk: int = 1000) -> None:
        self.tiles: dict[TileKey, bytes] = {}
        self.reads = 0
        self.builder = TreeBuilder()
        for start in range(0, len(hashes), chunk):
            self.append(hashes[start : start + chunk])

    def append(self, hashes: Sequence[bytes]) -> None:
        self.builder.append(hashes)
        self.tiles.update(self.builder.take_tiles())

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        self.reads += 1
        return {key: self.tiles[key] for key in keys if key in self.tiles}
