"""The read API of the transparency log, through the real request stack: what it serves
verifies with our pure verifier against the signed checkpoint, and bad input gets a
clear error and changes nothing."""

from __future__ import annotations

import base64
import json
from collections.abc import Collection, Mapping
from typing import Any

import pytest
from django.db import transaction
from django.test import Client

from nentang.audit.models import AuditEntry, Checkpoint, LogLeaf, PendingEntry, Tile
from nentang.audit.services import checkpoint_sign, integrate_pending, record
from nentang.audit.tlog import Checkpoint as CheckpointText
from nentang.audit.tlog import (
    TileKey,
    Verifier,
    leaf_hash,
    open_checkpoint,
    prove_consistency,
    prove_inclusion,
    verify_consistency,
    verify_inclusion,
)
from nentang.audit.tlog.tiles import decode_bundle, split_hashes, tile_path, tile_width
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db

API = "/api/v1/audit"
AN = Actor.person("079090001234")  # Nguyễn Văn An


def grow(count: int) -> None:
    with transaction.atomic():
        for number in range(count):
            record(
                actor=AN,
                action="payments.transfer.create",
                subject_type="payments.transfer",
                subject=f"t-{number}",
                summary={"amount_vnd": 150_000 + number},
            )
    integrate_pending(batch_size=97)


def get_json(client: Client, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.content
    expected = "application/json" if status < 400 else "application/problem+json"
    assert response["Content-Type"].startswith(expected)
    return json.loads(response.content)


def b64(text: str) -> bytes:
    return base64.b64decode(text)


def verifier(client: Client) -> Verifier:
    response = client.get("/audit/key")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    return Verifier.parse(response.content.decode())


def signed_head(client: Client) -> CheckpointText:
    response = client.get("/audit/checkpoint")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    key = verifier(client)
    return open_checkpoint(response.content, key, origin=key.name)


class HttpTiles:
    """A tlog-tiles client: fetches only the tiles a checkpoint of ``size`` implies."""

    def __init__(self, client: Client, size: int) -> None:
        self.client, self.size = client, size

    def read_tiles(self, keys: Collection[TileKey]) -> Mapping[TileKey, bytes]:
        found = {}
        for key in keys:
            width = tile_width(key.level, key.index, self.size)
            response = self.client.get("/audit/" + tile_path(key.level, key.index, width))
            assert response.status_code == 200, response.content
            assert response["Content-Type"] == "application/octet-stream"
            assert len(response.content) == width * 32
            found[key] = response.content
        return found


@pytest.fixture
def log(client: Client) -> CheckpointText:
    """600 entries integrated and signed: level-0 tiles 0, 1 and 2 (partial, 88)."""
    grow(600)
    checkpoint_sign()
    return signed_head(client)


def test_the_tree_head_and_the_signed_checkpoint_agree(client: Client, log: CheckpointText) -> None:
    body = get_json(client, f"{API}/tree")
    assert body["size"] == log.size == 600
    assert b64(body["root_hash"]) == log.root_hash
    assert body["checkpoint"] == Checkpoint.objects.get().note


def test_an_entry_is_served_with_its_leaf_and_hash(client: Client, log: CheckpointText) -> None:
    body = get_json(client, f"{API}/entries/7")
    leaf = b64(body["leaf"])
    assert leaf_hash(leaf) == b64(body["leaf_hash"])
    assert json.loads(leaf) == body["document"]
    assert body["document"]["summary"] == {"amount_vnd": 150_007}
    assert body["document"]["actor"].startswith("p_")  # a pseudonym, never the ID number
    assert "079090001234" not in leaf.decode()


@pytest.mark.parametrize(("index", "size"), [(0, 1), (7, 600), (255, 256), (599, 600), (300, 513)])
def test_inclusion_proofs_verify_against_the_signed_root(
    client: Client, log: CheckpointText, index: int, size: int
) -> None:
    body = get_json(client, f"{API}/proofs/inclusion?index={index}&tree_size={size}")
    proof = [b64(value) for value in body["proof"]]
    entry = get_json(client, f"{API}/entries/{index}")
    assert b64(body["leaf_hash"]) == b64(entry["leaf_hash"])
    verify_inclusion(index, size, b64(entry["leaf_hash"]), proof, b64(body["root_hash"]))
    if size == log.size:
        assert b64(body["root_hash"]) == log.root_hash


def test_consistency_between_two_signed_checkpoints(client: Client, log: CheckpointText) -> None:
    grow(333)
    checkpoint_sign()
    newer = signed_head(client)
    assert newer.size == 933
    body = get_json(client, f"{API}/proofs/consistency?first={log.size}&second={newer.size}")
    proof = [b64(value) for value in body["proof"]]
    verify_consistency(log.size, newer.size, log.root_hash, newer.root_hash, proof)
    items = get_json(client, f"{API}/checkpoints?limit=1")
    assert [item["size"] for item in items["items"]] == [933]
    older = get_json(client, f"{API}/checkpoints?limit=1&cursor={items['next_cursor']}")
    assert [item["size"] for item in older["items"]] == [600]
    assert older["next_cursor"] is None


def test_a_verifier_needs_nothing_but_the_tiles(client: Client, log: CheckpointText) -> None:
    tiles = HttpTiles(client, log.size)
    proof = prove_inclusion(tiles, 517, log.size)
    assert proof.root_hash == log.root_hash
    verify_inclusion(517, log.size, proof.leaf_hash, proof.hashes, log.root_hash)
    assert prove_consistency(tiles, 300, log.size).second_root == log.root_hash


def test_entry_bundles_hash_to_the_level_0_tiles(client: Client, log: CheckpointText) -> None:
    for index, width in ((0, None), (2, 88)):
        bundle = client.get("/audit/" + tile_path("entries", index, width))
        assert bundle.status_code == 200
        tile = client.get("/audit/" + tile_path(0, index, width))
        assert [leaf_hash(leaf) for leaf in decode_bundle(bundle.content)] == split_hashes(
            tile.content
        )


def test_full_tiles_are_immutable_and_partial_ones_are_served_by_width(
    client: Client, log: CheckpointText
) -> None:
    full = client.get("/audit/tile/0/000")
    assert full["Cache-Control"] == "public, max-age=31536000, immutable"
    assert len(full.content) == 8192
    stored = bytes(Tile.objects.get(level=0, index=2).hashes)
    assert client.get("/audit/tile/0/002.p/88").content == stored
    assert len(client.get("/audit/tile/0/002.p/5").content) == 5 * 32
    assert len(client.get("/audit/tile/1/000.p/2").content) == 64
    checkpoint = client.get("/audit/checkpoint")
    assert checkpoint["Cache-Control"] == "public, max-age=5"


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("tile/0/002", 404),  # still partial
        ("tile/0/002.p/89", 404),  # wider than the log
        ("tile/0/003.p/1", 404),
        ("tile/1/000", 404),
        ("tile/2/000.p/1", 404),
        ("tile/entries/002", 404),
        ("tile/entries/003.p/1", 404),
        ("tile/0/2", 400),
        ("tile/0/002.p/0", 400),
        ("tile/0/002.p/256", 400),
        ("tile/0/002.p/", 400),
        ("tile/64/000", 400),
        ("tile/0/x000/002", 400),
        ("tile/0/-01", 400),
        ("tile/", 400),
        ("tile/entries/x999/x999/x999/x999/x999/x999/999", 400),
    ],
)
def test_tiles_the_log_lacks_or_cannot_have(
    client: Client, log: CheckpointText, path: str, status: int
) -> None:
    response = client.get("/audit/" + path)
    assert response.status_code == status
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Cache-Control"] == "no-store"
    assert response.content.decode().strip()


def test_no_checkpoint_before_the_first_is_signed(client: Client) -> None:
    response = client.get("/audit/checkpoint")
    assert response.status_code == 404
    assert b"No checkpoint" in response.content
    assert client.post("/audit/checkpoint").status_code == 405


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/entries/600", 404, "audit_entry_not_found"),
        ("/entries/-1", 422, "validation_failed"),
        ("/entries/abc", 422, "validation_failed"),
        ("/entries/9223372036854775808", 422, "validation_failed"),
        ("/proofs/inclusion?index=600&tree_size=600", 400, "audit_index_out_of_range"),
        ("/proofs/inclusion?index=0&tree_size=0", 400, "audit_index_out_of_range"),
        ("/proofs/inclusion?index=3&tree_size=601", 400, "audit_tree_size_too_large"),
        ("/proofs/inclusion?index=3", 422, "validation_failed"),
        ("/proofs/inclusion?index=-1&tree_size=5", 422, "validation_failed"),
        ("/proofs/inclusion?index=1&tree_size=99999999999999999999", 422, "validation_failed"),
        ("/proofs/consistency?first=6&second=5", 400, "audit_consistency_sizes"),
        ("/proofs/consistency?first=5&second=601", 400, "audit_tree_size_too_large"),
        ("/proofs/consistency?first=x&second=5", 422, "validation_failed"),
        ("/checkpoints?cursor=forged", 400, "invalid_cursor"),
        ("/checkpoints?limit=0", 422, "validation_failed"),
    ],
)
def test_bad_requests_get_a_problem_and_change_nothing(
    client: Client, log: CheckpointText, url: str, status: int, code: str
) -> None:
    tables = (AuditEntry, PendingEntry, LogLeaf, Tile, Checkpoint)
    before = [model.objects.count() for model in tables]
    body = get_json(client, API + url, status=status)
    assert body["code"] == code
    assert body["status"] == status
    assert body.get("detail") or body.get("errors")
    assert [model.objects.count() for model in tables] == before


def test_trivial_proofs(client: Client, log: CheckpointText) -> None:
    same = get_json(client, f"{API}/proofs/consistency?first=600&second=600")
    assert same["proof"] == []
    assert same["first_root"] == same["second_root"]
    empty = get_json(client, f"{API}/proofs/consistency?first=0&second=0")
    assert empty["proof"] == []
    single = get_json(client, f"{API}/proofs/inclusion?index=0&tree_size=1")
    assert single["proof"] == []
    assert single["root_hash"] == single["leaf_hash"]
