"""The transparency log's pure code: no Django, no database, only bytes and integers.

* hashing — RFC 6962 leaf and node hashes, perfect-subtree roots;
* tiles — C2SP tlog-tiles: tile math, paths, the reader interface, entry bundles;
* proofs — inclusion and consistency proofs: generation from tiles, RFC 9162 verification;
* builder — the growing right edge of the tree (integrator and verifier);
* note, checkpoint — C2SP signed-note (Ed25519) and tlog-checkpoint;
* keys — the signing key's file.

The Django side (services/tlog.py, selectors/tlog.py) stores tiles and reads them back
through :class:`~nentang.audit.tlog.tiles.TileReader`.
"""

from nentang.audit.tlog.builder import TreeBuilder
from nentang.audit.tlog.checkpoint import (
    Checkpoint,
    CheckpointError,
    open_checkpoint,
    parse_checkpoint,
    sign_checkpoint,
)
from nentang.audit.tlog.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash, tree_root
from nentang.audit.tlog.note import NoteError, Signer, Verifier, open_note, sign_note
from nentang.audit.tlog.proofs import (
    ConsistencyProof,
    InclusionProof,
    ProofError,
    prove_consistency,
    prove_inclusion,
    root_from_inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from nentang.audit.tlog.tiles import (
    TILE_WIDTH,
    MissingHashError,
    TileKey,
    TilePathError,
    TileReader,
    TileRef,
    parse_tile_path,
    tile_path,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "TILE_WIDTH",
    "Checkpoint",
    "CheckpointError",
    "ConsistencyProof",
    "InclusionProof",
    "MissingHashError",
    "NoteError",
    "ProofError",
    "Signer",
    "TileKey",
    "TilePathError",
    "TileReader",
    "TileRef",
    "TreeBuilder",
    "Verifier",
    "leaf_hash",
    "node_hash",
    "open_checkpoint",
    "open_note",
    "parse_checkpoint",
    "parse_tile_path",
    "prove_consistency",
    "prove_inclusion",
    "root_from_inclusion_proof",
    "root_hash",
    "sign_checkpoint",
    "sign_note",
    "tile_path",
    "tree_root",
    "verify_consistency",
    "verify_inclusion",
]
