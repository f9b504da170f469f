"""Inclusion and consistency proofs (RFC 9162 §2.1.3 and §2.1.4): generation from tiles,
verification from hashes alone.

Generation follows the recursive definitions of RFC 6962 §2.1.1–2.1.2 (``PATH`` and
``SUBPROOF``) to find which ranges of entries the proof hashes cover, splits each range
into perfect subtrees (nodes) and reads all of them from the tiles in one batch: the
tree is never recomputed from its leaves. Verification is RFC 9162's algorithm, step by
step, so a verifier elsewhere can check our proofs with nothing but the hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from nentang.audit.tlog.hashing import (
    EMPTY_ROOT,
    HASH_SIZE,
    decompose,
    fold_right,
    largest_power_of_two_below,
    node_hash,
)
from nentang.audit.tlog.tiles import TileReader, node_hashes

Range = tuple[int, int]


class ProofError(ValueError):
    """A proof does not verify, or its parameters are impossible; the message says why."""


@dataclass(frozen=True)
class InclusionProof:
    index: int
    tree_size: int
    leaf_hash: bytes
    hashes: list[bytes]
    root_hash: bytes


@dataclass(frozen=True)
class ConsistencyProof:
    first: int
    second: int
    hashes: list[bytes]
    first_root: bytes
    second_root: bytes


def inclusion_ranges(index: int, size: int) -> list[Range]:
    """The ranges of entries whose hashes make up the audit path of ``index`` in a tree
    of ``size`` entries, from the leaf upwards (RFC 6962 ``PATH(m, D[n])``)."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of {size} entries")
    ranges = []
    low, high = 0, size
    while high - low > 1:
        split = low + largest_power_of_two_below(high - low)
        if index < split:
            ranges.append((split, high))
            high = split
        else:
            ranges.append((low, split))
            low = split
    ranges.reverse()
    return ranges


def consistency_ranges(first: int, second: int) -> list[Range]:
    """The ranges whose hashes prove that the tree of ``first`` entries is a prefix of
    the tree of ``second`` entries (RFC 6962 ``PROOF(m, D[n])``; empty when ``first`` is 0
    or equals ``second``)."""
    if not 0 <= first <= second:
        raise ProofError(f"no consistency proof from size {first} to size {second}")
    if first in (0, second):
        return []
    ranges = []
    low, high, remaining, whole = 0, second, first, True
    while high - low != remaining:
        split = largest_power_of_two_below(high - low)
        if remaining <= split:
            ranges.append((low + split, high))
            high = low + split
        else:
            ranges.append((low, low + split))
            low += split
            remaining -= split
            whole = False
    if not whole:
        ranges.append((low, high))
    ranges.reverse()
    return ranges


def _nodes(ranges: Iterable[Range]) -> set[tuple[int, int]]:
    return {node for start, end in ranges for node in decompose(start, end)}


def _range_hash(hashes: dict[tuple[int, int], bytes], start: int, end: int) -> bytes:
    return fold_right([hashes[node] for node in decompose(start, end)])


def root_hash(reader: TileReader, size: int) -> bytes:
    """The root of the tree of the first ``size`` entries, from the tiles."""
    if size == 0:
        return EMPTY_ROOT
    hashes = node_hashes(reader, decompose(0, size))
    return _range_hash(hashes, 0, size)


def prove_inclusion(reader: TileReader, index: int, size: int) -> InclusionProof:
    """The audit path of entry ``index`` in the tree of ``size`` entries, with the leaf
    hash and the root it leads to; one read of the tiles."""
    ranges = inclusion_ranges(index, size)
    hashes = node_hashes(reader, _nodes([*ranges, (0, size), (index, index + 1)]))
    return InclusionProof(
        index=index,
        tree_size=size,
        leaf_hash=hashes[(0, index)],
        hashes=[_range_hash(hashes, start, end) for start, end in ranges],
        root_hash=_range_hash(hashes, 0, size),
    )


def prove_consistency(reader: TileReader, first: int, second: int) -> ConsistencyProof:
    """The proof that the tree of ``first`` entries is a prefix of the tree of ``second``
    entries, with both roots; one read of the tiles."""
    ranges = consistency_ranges(first, second)
    hashes = node_hashes(reader, _nodes([*ranges, (0, first), (0, second)]))
    return ConsistencyProof(
        first=first,
        second=second,
        hashes=[_range_hash(hashes, start, end) for start, end in ranges],
        first_root=_range_hash(hashes, 0, first) if first else EMPTY_ROOT,
        second_root=_range_hash(hashes, 0, second) if second else EMPTY_ROOT,
    )


def _check_hash(value: bytes, what: str) -> None:
    if len(value) != HASH_SIZE:
        raise ProofError(f"{what} is {len(value)} bytes long, not {HASH_SIZE}")


def root_from_inclusion_proof(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """The root that an audit path leads to (RFC 9162 §2.1.3.2, steps 1–5)."""
    if not 0 <= index < size:
        raise ProofError(f"index {index} is not in a tree of {size} entries")
    _check_hash(leaf_hash, "the leaf hash")
    fn, sn = index, size - 1
    result = leaf_hash
    for position, sibling in enumerate(proof):
        _check_hash(sibling, f"proof hash {position}")
        if sn == 0:
            raise ProofError("the proof is longer than the path to the root")
        if fn & 1 or fn == sn:
            result = node_hash(sibling, result)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            result = node_hash(result, sibling)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than the path to the root")
    return result


def verify_inclusion(
    index: int, size: int, leaf_hash: bytes, proof: Sequence[bytes], root: bytes
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows the leaf at ``index`` in the tree
    of ``size`` entries whose root is ``root``."""
    _check_hash(root, "the root hash")
    if root_from_inclusion_proof(index, size, leaf_hash, proof) != root:
        raise ProofError("the proof leads to another root")


def verify_consistency(
    first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]
) -> None:
    """Raise :class:`ProofError` unless ``proof`` shows that the tree of ``first`` entries
    with root ``first_root`` is a prefix of the tree of ``second`` entries with root
    ``second_root`` (RFC 9162 §2.1.4.2)."""
    _check_hash(first_root, "the first root")
    _check_hash(second_root, "the second root")
    if not 0 <= first <= second:
        raise ProofError(f"size {first} cannot precede size {second}")
    if first == second:
        if proof:
            raise ProofError("two trees of the same size need an empty proof")
        if first_root != second_root:
            raise ProofError("two trees of the same size have different roots")
        return
    if first == 0:
        if proof:
            raise ProofError("the empty tree needs an empty proof")
        return
    if not proof:
        raise ProofError("the proof is empty")
    for position, value in enumerate(proof):
        _check_hash(value, f"proof hash {position}")
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    first_result = second_result = path[0]
    for value in path[1:]:
        if sn == 0:
            raise ProofError("the proof is longer than needed")
        if fn & 1 or fn == sn:
            first_result = node_hash(value, first_result)
            second_result = node_hash(value, second_result)
            while not fn & 1 and fn:
                fn >>= 1
                sn >>= 1
        else:
            second_result = node_hash(second_result, value)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ProofError("the proof is shorter than needed")
    if first_result != first_root:
        raise ProofError("the proof does not lead to the first root")
    if second_result != second_root:
        raise ProofError("the proof does not lead to the second root")
