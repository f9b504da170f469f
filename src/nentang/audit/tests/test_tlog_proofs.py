"""Merkle tree hashing and proofs against the published RFC 6962 test vectors, and
hypothesis: every proof the tiles give verifies, and any flipped byte fails.

The vectors are the reference tree of eight leaves used by certificate-transparency-go
and transparency-dev/merkle (testonly/constants.go, proof/verify_test.go). Their leaf
numbers in the proof vectors start at 1; ours are 0-based indices.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nentang.audit.tests.tlog_support import MemoryTiles
from nentang.audit.tlog import (
    EMPTY_ROOT,
    MissingHashError,
    ProofError,
    leaf_hash,
    prove_consistency,
    prove_inclusion,
    root_hash,
    tree_root,
    verify_consistency,
    verify_inclusion,
)
from nentang.audit.tlog.hashing import node_hash
from nentang.audit.tlog.proofs import consistency_ranges, inclusion_ranges

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
ROOTS = [
    bytes.fromhex(h)
    for h in (
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    )
]
LEAF_HASHES = [
    bytes.fromhex(h)
    for h in (
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    )
]


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# (index, tree size, proof): leaf numbers of the published vectors minus one.
INCLUSION_VECTORS = [
    (0, 1, []),
    (
        0,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        5,
        8,
        [
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (2, 3, [h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125")]),
    (
        1,
        5,
        [
            h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
]

CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"),
        ],
    ),
    (
        6,
        8,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
    (
        2,
        5,
        [
            h("5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e"),
            h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
        ],
    ),
    (
        6,
        7,
        [
            h("0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"),
            h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
            h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
        ],
    ),
]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


@pytest.fixture(scope="module")
def reference() -> MemoryTiles:
    return MemoryTiles([leaf_hash(leaf) for leaf in LEAVES])


def test_the_empty_tree_hashes_to_sha256_of_nothing() -> None:
    assert ROOTS[0] == EMPTY_ROOT
    assert tree_root([]) == ROOTS[0]


def test_leaf_hashes_and_roots_of_sizes_0_to_8_match_the_vectors() -> None:
    hashes = [leaf_hash(leaf) for leaf in LEAVES]
    assert hashes == LEAF_HASHES
    assert [tree_root(hashes[:size]) for size in range(9)] == ROOTS


def test_roots_read_from_tiles_match_the_vectors(reference: MemoryTiles) -> None:
    assert [root_hash(reference, size) for size in range(9)] == ROOTS
    assert reference.builder.root() == ROOTS[8]


def test_interior_nodes_match_the_vectors() -> None:
    assert node_hash(LEAF_HASHES[0], LEAF_HASHES[1]) == ROOTS[2]
    assert node_hash(LEAF_HASHES[4], LEAF_HASHES[5]) == h(
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
    )


@pytest.mark.parametrize(("index", "size", "expected"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_the_vectors(
    reference: MemoryTiles, index: int, size: int, expected: list[bytes]
) -> None:
    proof = prove_inclusion(reference, index, size)
    assert proof.hashes == expected
    assert proof.leaf_hash == LEAF_HASHES[index]
    assert proof.root_hash == ROOTS[size]
    verify_inclusion(index, size, LEAF_HASHES[index], expected, ROOTS[size])


@pytest.mark.parametrize(("first", "second", "expected"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_the_vectors(
    reference: MemoryTiles, first: int, second: int, expected: list[bytes]
) -> None:
    proof = prove_consistency(reference, first, second)
    assert proof.hashes == expected
    assert (proof.first_root, proof.second_root) == (ROOTS[first], ROOTS[second])
    verify_consistency(first, second, ROOTS[first], ROOTS[second], expected)


def _inclusion_probes(index: int, size: int, proof: list[bytes]) -> list[tuple[object, ...]]:
    """Wrong index, size, leaf, root; garbage around the proof; each bit of it changed."""
    root, leaf = ROOTS[size], LEAF_HASHES[index]
    probes: list[tuple[object, ...]] = [
        (index - 1, size, leaf, proof, root),
        (index + 1, size, leaf, proof, root),
        (index ^ 2, size, leaf, proof, root),
        (index, size * 2, leaf, proof, root),
        (index, size // 2, leaf, proof, root),
        (index, size, b"WrongLeaf", proof, root),
        (index, size, leaf, proof, EMPTY_ROOT),
        (index, size, leaf, proof, SOME_HASH),
        (index, size, leaf, [*proof, b""], root),
        (index, size, leaf, [*proof, root], root),
        (index, size, leaf, [b"", *proof], root),
        (index, size, leaf, [root, *proof], root),
    ]
    for position in range(len(proof)):
        changed = list(proof)
        changed[position] = bytes([changed[position][0] ^ 8]) + changed[position][1:]
        probes.append((index, size, leaf, changed, root))
    if proof:
        probes.append((index, size, leaf, proof[:-1], root))
    if len(proof) > 1:
        probes.append((index, size, leaf, [proof[0], SOME_HASH, *proof[1:]], root))
    return probes


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS[1:])
def test_corrupted_inclusion_proofs_fail(index: int, size: int, proof: list[bytes]) -> None:
    for probe in _inclusion_probes(index, size, proof):
        with pytest.raises(ProofError):
            verify_inclusion(*probe)  # type: ignore[arg-type]


@pytest.mark.parametrize(("first", "second", "proof"), CONSISTENCY_VECTORS[1:])
def test_corrupted_consistency_proofs_fail(first: int, second: int, proof: list[bytes]) -> None:
    root1, root2 = ROOTS[first], ROOTS[second]
    probes: list[tuple[object, ...]] = [
        (first - 1, second, root1, root2, proof),
        (first + 1, second, root1, root2, proof),
        (first ^ 2, second, root1, root2, proof),
        (first, second * 2, root1, root2, proof),
        (first, second // 2, root1, root2, proof),
        (first, second, b"WrongRoot", root2, proof),
        (first, second, root1, b"WrongRoot", proof),
        (first, second, root2, root1, proof),
        (first, second, root1, root2, []),
        (first, second, root1, root2, [*proof, b""]),
        (first, second, root1, root2, [*proof, root1]),
        (first, second, root1, root2, [*proof, root2]),
        (first, second, root1, root2, [b"", *proof]),
        (first, second, root1, root2, [root1, *proof]),
        (first, second, root1, root2, [root2, *proof]),
        (first, second, root1, root2, [proof[0], *proof]),
        (first, second, root1, root2, proof[:-1]),
    ]
    for position in range(len(proof)):
        changed = list(proof)
        changed[position] = bytes([changed[position][0] ^ 16]) + changed[position][1:]
        probes.append((first, second, root1, root2, changed))
    for probe in probes:
        with pytest.raises(ProofError):
            verify_consistency(*probe)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "second", "root1", "root2", "proof", "valid"),
    [
        (0, 0, SOME_HASH, SOME_HASH, [], True),
        (0, 1, SOME_HASH, EMPTY_ROOT, [], True),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [], True),
        (1, 1, EMPTY_ROOT, SOME_HASH, [], False),
        (1, 0, SOME_HASH, SOME_HASH, [], False),
        (2, 1, SOME_HASH, SOME_HASH, [], False),
        (1, 2, SOME_HASH, EMPTY_ROOT, [], False),
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (0, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
        (1, 1, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT], False),
    ],
)
def test_trivial_consistency_cases(
    first: int, second: int, root1: bytes, root2: bytes, proof: list[bytes], valid: bool
) -> None:
    if valid:
        verify_consistency(first, second, root1, root2, proof)
    else:
        with pytest.raises(ProofError):
            verify_consistency(first, second, root1, root2, proof)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (1, 1), (2, 1)])
def test_inclusion_needs_an_index_inside_the_tree(index: int, size: int) -> None:
    with pytest.raises(ProofError):
        verify_inclusion(index, size, SOME_HASH, [], EMPTY_ROOT)
    with pytest.raises(ProofError):
        inclusion_ranges(index, size)


def test_generation_refuses_impossible_requests(reference: MemoryTiles) -> None:
    with pytest.raises(ProofError):
        consistency_ranges(5, 4)
    with pytest.raises(MissingHashError):
        prove_inclusion(reference, 3, 9)  # the tree has only 8 entries
    with pytest.raises(MissingHashError):
        prove_consistency(reference, 3, 12)


def test_a_proof_reads_the_tiles_once() -> None:
    tiles = MemoryTiles([leaf_hash(i.to_bytes(4, "big")) for i in range(70_000)], chunk=9_000)
    tiles.reads = 0
    proof = prove_inclusion(tiles, 12_345, 69_999)
    assert tiles.reads == 1
    assert len(proof.hashes) == 17


# A tree of up to 3 × 256 + 40 leaves spans partial and full tiles at levels 0 and 1.
SIZES = st.integers(min_value=1, max_value=3 * 256 + 40)


@st.composite
def trees(draw: st.DrawFn) -> tuple[list[bytes], MemoryTiles]:
    size = draw(SIZES)
    hashes = [leaf_hash(b"entry %d" % i) for i in range(size)]
    chunk = draw(st.integers(min_value=1, max_value=400))
    return hashes, MemoryTiles(hashes, chunk=chunk)


def _flip(proof: list[bytes], data: st.DataObject) -> list[bytes]:
    position = data.draw(st.integers(0, len(proof) - 1))
    byte = data.draw(st.integers(0, 31))
    bit = data.draw(st.integers(0, 7))
    changed = bytearray(proof[position])
    changed[byte] ^= 1 << bit
    return [*proof[:position], bytes(changed), *proof[position + 1 :]]


@settings(max_examples=60, deadline=None)
@given(tree=trees(), data=st.data())
def test_every_inclusion_proof_verifies_and_a_flipped_byte_fails(
    tree: tuple[list[bytes], MemoryTiles], data: st.DataObject
) -> None:
    hashes, tiles = tree
    size = data.draw(st.integers(1, len(hashes)), label="tree size")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = tree_root(hashes[:size])
    proof = prove_inclusion(tiles, index, size)
    assert proof.root_hash == root
    verify_inclusion(index, size, hashes[index], proof.hashes, root)
    if proof.hashes:
        with pytest.raises(ProofError):
            verify_inclusion(index, size, hashes[index], _flip(proof.hashes, data), root)
    flipped_leaf = bytes([hashes[index][0] ^ 1]) + hashes[index][1:]
    with pytest.raises(ProofError):
        verify_inclusion(index, size, flipped_leaf, proof.hashes, root)


@settings(max_examples=60, deadline=None)
@given(tree=trees(), data=st.data())
def test_every_consistency_proof_verifies_and_a_flipped_byte_fails(
    tree: tuple[list[bytes], MemoryTiles], data: st.DataObject
) -> None:
    hashes, tiles = tree
    second = data.draw(st.integers(0, len(hashes)), label="second")
    first = data.draw(st.integers(0, second), label="first")
    root1, root2 = tree_root(hashes[:first]), tree_root(hashes[:second])
    proof = prove_consistency(tiles, first, second)
    assert (proof.first_root, proof.second_root) == (root1, root2)
    verify_consistency(first, second, root1, root2, proof.hashes)
    if proof.hashes:
        with pytest.raises(ProofError):
            verify_consistency(first, second, root1, root2, _flip(proof.hashes, data))
    if 0 < first < second:
        flipped = bytes([root1[0] ^ 1]) + root1[1:]
        with pytest.raises(ProofError):
            verify_consistency(first, second, flipped, root2, proof.hashes)


@settings(max_examples=30, deadline=None)
@given(tree=trees())
def test_the_builder_root_is_the_tree_root_whatever_the_batches(
    tree: tuple[list[bytes], MemoryTiles],
) -> None:
    hashes, tiles = tree
    assert tiles.builder.root() == tree_root(hashes)
    assert tiles.builder.size == len(hashes)
