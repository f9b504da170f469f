"""The witness: each signed checkpoint is also kept outside NENTANG_HOME (a directory or
an http(s) URL), only ever moved forward, and ``tlog_verify`` compares the log with it —
so a tail cut together with its checkpoints, counters and tree state is still found.
"""

from __future__ import annotations

import ipaddress
import stat
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction

from nentang.audit.models import AuditEntry, Checkpoint, EntryCounter, LogLeaf, Tile, TreeState
from nentang.audit.selectors import tlog_signer
from nentang.audit.selectors.tlog_verify import tlog_verify
from nentang.audit.services import checkpoint_sign, integrate_pending, record, witness_publish
from nentang.audit.tests.guards import guards_lifted
from nentang.audit.tlog import Checkpoint as CheckpointText
from nentang.audit.tlog import sign_checkpoint
from nentang.audit.tlog.tiles import TILE_WIDTH
from nentang.kernel.auditing import Actor

pytestmark = pytest.mark.django_db

CASHIER = Actor.client("merchant-bach-hoa-an")


def record_entries(count: int) -> None:
    with transaction.atomic():
        for number in range(count):
            record(
                actor=CASHIER,
                action="payments.merchant_payment.create",
                subject_type="payments.merchant_payment",
                subject=f"mp-{number}",
                summary={"amount_vnd": 25_000},
            )


def tamper(sql: str, *params: Any) -> None:
    with guards_lifted(connection), connection.cursor() as cursor:
        cursor.execute(sql, params)


def signed(count: int, django_capture_on_commit_callbacks: Any) -> Checkpoint:
    record_entries(count)
    integrate_pending()
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = checkpoint_sign()
    assert checkpoint is not None
    return checkpoint


def tile_key(tile: Tile) -> tuple[int, int]:
    return tile.level, tile.index


def cut_the_tail_to(size: int) -> None:
    """What an intruder with the database does to hide the newest entries: remove them
    with their leaves and checkpoints, shrink the tiles, move the tree state back and
    correct the entry counters. Only the witness disagrees afterwards."""
    kept = Checkpoint.objects.filter(size=size).get()
    doomed = list(LogLeaf.objects.filter(index__gte=size).values_list("entry_id", flat=True))
    tamper('DELETE FROM audit_logleaf WHERE "index" >= %s', size)
    for entry_id in doomed:
        tamper("DELETE FROM audit_auditentry WHERE id = %s", entry_id)
    tamper("DELETE FROM audit_checkpoint WHERE size > %s", size)
    for tile in Tile.objects.all():
        covered = size >> (8 * tile.level)  # hashes of this level in a tree of `size`
        width = max(0, min(TILE_WIDTH, covered - tile.index * TILE_WIDTH))
        if width == 0:
            tamper(
                'DELETE FROM audit_tile WHERE level = %s AND "index" = %s', tile.level, tile.index
            )
        elif width < tile.width:
            tamper(
                'UPDATE audit_tile SET width = %s, hashes = %s WHERE level = %s AND "index" = %s',
                width,
                bytes(tile.hashes)[: width * 32],
                tile.level,
                tile.index,
            )
    tamper(
        "UPDATE audit_treestate SET size = %s, root_hash = %s WHERE id = 1",
        size,
        bytes(kept.root_hash),
    )
    tamper("DELETE FROM audit_entrycounter")
    tamper("INSERT INTO audit_entrycounter (shard, entries) VALUES (0, %s)", size)


@pytest.fixture
def witness_directory(tmp_path: Path, settings: Any) -> Path:
    directory = tmp_path / "witness"  # another disk in production
    settings.NENTANG_AUDIT_WITNESS = str(directory)
    return directory


def test_each_checkpoint_goes_to_the_witness_directory(
    witness_directory: Path, django_capture_on_commit_callbacks: Any
) -> None:
    first = signed(300, django_capture_on_commit_callbacks)
    held = witness_directory / "checkpoint"
    assert held.read_text() == first.note
    assert stat.S_IMODE(held.stat().st_mode) == 0o600
    second = signed(10, django_capture_on_commit_callbacks)
    assert held.read_text() == second.note
    report = tlog_verify()
    assert report.ok, report.problems
    assert report.witness == f"compared with the witness at {witness_directory}"


def test_a_cut_tail_is_found_by_the_witness_alone(
    witness_directory: Path, django_capture_on_commit_callbacks: Any
) -> None:
    signed(300, django_capture_on_commit_callbacks)
    last = signed(300, django_capture_on_commit_callbacks)
    cut_the_tail_to(300)
    assert TreeState.objects.get().size == 300
    assert AuditEntry.objects.count() == 300

    report = tlog_verify()
    assert report.problems == [
        f"the checkpoint held by the witness at {witness_directory} is for 600 entries, but "
        "the log holds only 300: the log lost entries, or the checkpoint is not ours."
    ]
    # A checkpoint of the cut log does not overwrite the evidence.
    with django_capture_on_commit_callbacks(execute=True):
        checkpoint_sign()
    assert (witness_directory / "checkpoint").read_text() == last.note


def test_without_a_witness_the_same_cut_passes(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    """Why the witness exists: the intruder of the test above covers every other trace."""
    settings.NENTANG_AUDIT_WITNESS = ""
    signed(300, django_capture_on_commit_callbacks)
    signed(300, django_capture_on_commit_callbacks)
    cut_the_tail_to(300)
    assert EntryCounter.objects.get().entries == AuditEntry.objects.count() == 300
    assert tlog_verify().ok


def test_an_empty_witness_is_said_not_alarmed(witness_directory: Path) -> None:
    record_entries(3)
    integrate_pending()
    report = tlog_verify()
    assert report.ok, report.problems
    assert report.witness == f"the witness at {witness_directory} holds no checkpoint yet"


def test_a_witness_keeps_its_tree_against_a_fork_of_the_same_size(
    witness_directory: Path, django_capture_on_commit_callbacks: Any
) -> None:
    checkpoint = signed(5, django_capture_on_commit_callbacks)
    assert witness_publish(checkpoint.note) is True  # the same tree again: nothing to do
    signer = tlog_signer()
    fork = sign_checkpoint(CheckpointText(signer.name, 5, bytes(32)), signer)
    assert witness_publish(fork) is False
    assert (witness_directory / "checkpoint").read_text() == checkpoint.note


class _WitnessServer(ThreadingHTTPServer):
    daemon_threads = True
    held: bytes | None = None
    puts = 0


class _WitnessHandler(BaseHTTPRequestHandler):
    server: _WitnessServer

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        held = self.server.held
        self.send_response(200 if held is not None else 404)
        self.send_header("Content-Length", str(len(held or b"")))
        self.end_headers()
        self.wfile.write(held or b"")

    def do_PUT(self) -> None:
        self.server.held = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.puts += 1
        self.send_response(204)
        self.end_headers()


@pytest.fixture
def witness_url(settings: Any) -> Iterator[_WitnessServer]:
    server = _WitnessServer(("127.0.0.1", 0), _WitnessHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NENTANG_AUDIT_WITNESS = f"http://127.0.0.1:{server.server_address[1]}/nentang?k=s"
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    yield server
    server.shutdown()
    server.server_close()


def test_a_witness_url_gets_each_checkpoint_and_is_compared(
    witness_url: _WitnessServer, django_capture_on_commit_callbacks: Any
) -> None:
    signed(300, django_capture_on_commit_callbacks)
    last = signed(300, django_capture_on_commit_callbacks)
    assert witness_url.held == last.note.encode()
    assert witness_url.puts == 2
    assert tlog_verify().ok
    cut_the_tail_to(300)
    problems = tlog_verify().problems
    assert problems == [
        f"the checkpoint held by the witness at http://127.0.0.1:{witness_url.server_address[1]}"
        "/nentang is for 600 entries, but the log holds only 300: the log lost entries, or the "
        "checkpoint is not ours."
    ]


def test_an_unreachable_witness_is_reported_and_signing_goes_on(
    settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.NENTANG_AUDIT_WITNESS = "http://127.0.0.1:9/witness"  # discard port: refused
    settings.NENTANG_OUTBOUND_ALLOW_NETWORKS = (ipaddress.ip_network("127.0.0.0/8"),)
    checkpoint = signed(3, django_capture_on_commit_callbacks)
    assert checkpoint.size == 3
    problems = tlog_verify().problems
    assert len(problems) == 1
    assert problems[0].startswith("the witness at http://127.0.0.1:9/witness could not be read:")
