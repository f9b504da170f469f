"""RFC 6962 / RFC 9162 Merkle tree hashing (§2.1.1), with SHA-256.

A leaf hash is ``SHA-256(0x00 ‖ leaf)``, an interior node ``SHA-256(0x01 ‖ left ‖ right)``
and the empty tree's root ``SHA-256("")``. The domain-separation bytes stop a leaf from
ever passing for an interior node (second-preimage attacks on the tree).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256

HASH_SIZE = 32
EMPTY_ROOT = sha256(b"").digest()
_LEAF = b"\x00"
_NODE = b"\x01"


def leaf_hash(leaf: bytes) -> bytes:
    """The hash of a leaf (an entry's canonical bytes)."""
    return sha256(_LEAF + leaf).digest()


def leaf_hashes(leaves: Iterable[bytes]) -> list[bytes]:
    """``leaf_hash`` of each leaf, without a Python call per leaf."""
    return [sha256(_LEAF + leaf).digest() for leaf in leaves]


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an interior node from its two children."""
    return sha256(_NODE + left + right).digest()


def largest_power_of_two_below(n: int) -> int:
    """The largest power of two strictly smaller than ``n`` (``n`` ≥ 2): RFC 6962's k."""
    if n < 2:
        raise ValueError(f"n must be at least 2, got {n}")
    return 1 << ((n - 1).bit_length() - 1)


def perfect_root(hashes: Sequence[bytes]) -> bytes:
    """The root of a perfect subtree whose 2^h leaves (or lower nodes) are ``hashes``."""
    count = len(hashes)
    if count == 0 or count & (count - 1):
        raise ValueError(f"a perfect subtree has 2^h hashes, got {count}")
    level = list(hashes)
    while len(level) > 1:
        level = [sha256(_NODE + level[i] + level[i + 1]).digest() for i in range(0, len(level), 2)]
    return level[0]


def fold_right(hashes: Sequence[bytes]) -> bytes:
    """Combine the roots of a range's perfect subtrees, left to right by position, into
    the range's hash: RFC 6962 hashes the smallest (rightmost) subtrees together first."""
    if not hashes:
        return EMPTY_ROOT
    result = hashes[-1]
    for left in reversed(hashes[:-1]):
        result = sha256(_NODE + left + result).digest()
    return result


def tree_root(hashes: Sequence[bytes]) -> bytes:
    """MTH of the leaves with these hashes, computed from scratch (tests, small trees)."""
    return fold_right(
        [perfect_root(hashes[i << lvl : (i + 1) << lvl]) for lvl, i in decompose(0, len(hashes))]
    )


def decompose(start: int, end: int) -> list[tuple[int, int]]:
    """The perfect subtrees ``(level, index)`` that cover ``[start, end)``, left to right.

    ``start`` must be a multiple of a power of two at least ``end - start`` (as every
    range that RFC 6962's recursive definitions produce is): then the subtrees follow the
    binary digits of the range's size, largest first.
    """
    size = end - start
    if size < 0:
        raise ValueError(f"empty or reversed range [{start}, {end})")
    nodes = []
    position = start
    for level in range(size.bit_length() - 1, -1, -1):
        if size >> level & 1:
            if position % (1 << level):
                raise ValueError(f"range [{start}, {end}) is not aligned")
            nodes.append((level, position >> level))
            position += 1 << level
    return nodes
