"""The formats others implement to verify the log (docs/audit-log.md), against published
vectors and an independent implementation:

* leaf format v1 — the test vector of the document, and, for any summary ``record``
  accepts, exactly what Trail of Bits' RFC 8785 (JCS) encoder produces;
* signed notes — the example of Go's golang.org/x/mod/sumdb/note (key ``PeterNeumann``,
  ID c74f20a3), the reference implementation of C2SP signed-note.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from nentang.audit.models import AuditEntry
from nentang.audit.services import AuditRecordError, leaf_bytes
from nentang.audit.tlog import NoteError, Signer, Verifier, leaf_hash, open_note, sign_note
from nentang.kernel.jsonvalues import MAX_SAFE_INTEGER, check_json

# --- Leaf format v1 -------------------------------------------------------------------

VECTOR_ENTRY = AuditEntry(
    id=42,
    occurred_at=datetime(2026, 11, 28, 11, 7, 0, 123456, tzinfo=UTC),
    actor_type="officer",
    actor="p_5f0c2e8d7a1b4c3d9e8f7a6b5c4d3e2f",
    action="identity.person.verify_level2",
    subject_type="identity.person",
    subject="0190c7e2-7b7d-7a3e-8a1b-5d6f7e8f9a0b",
    summary={"level": 2, "agency": "UBND phường Sài Gòn", "note": 'tab\there "quoted"'},
    request_id="01JDZ0K3Q5V8W9X2Y3Z4A5B6C7",
)
VECTOR_LEAF = (
    '{"action":"identity.person.verify_level2","actor":"p_5f0c2e8d7a1b4c3d9e8f7a6b5c4d3e2f",'
    '"actor_type":"officer","id":42,"occurred_at":"2026-11-28T11:07:00.123456Z",'
    '"request_id":"01JDZ0K3Q5V8W9X2Y3Z4A5B6C7","subject":"0190c7e2-7b7d-7a3e-8a1b-'
    '5d6f7e8f9a0b","subject_type":"identity.person","summary":{"agency":"UBND phường Sài '
    'Gòn","level":2,"note":"tab\\there \\"quoted\\""},"v":1}'
)
VECTOR_LEAF_HASH = "fe5c7cd7fa952e7d70c84420f5a45434d8e827d286904bbb2ab0caa9a49b1749"


def test_the_documented_leaf_vector() -> None:
    leaf = leaf_bytes(VECTOR_ENTRY)
    assert leaf == VECTOR_LEAF.encode("utf-8")
    assert leaf_hash(leaf).hex() == VECTOR_LEAF_HASH  # SHA-256(0x00 ‖ leaf), RFC 6962


def accepted(value: Any) -> bool:
    try:
        check_json(value, "summary", AuditRecordError, canonical_keys=True)
    except AuditRecordError:
        return False
    return True


TEXT = st.text(max_size=12)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-MAX_SAFE_INTEGER, max_value=MAX_SAFE_INTEGER)
    | TEXT
)
SUMMARIES = st.dictionaries(
    TEXT,
    st.recursive(
        SCALARS,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
        max_leaves=8,
    ),
    max_size=5,
)


@settings(max_examples=300, deadline=None)
@given(summary=SUMMARIES)
def test_every_accepted_summary_gives_the_rfc_8785_form(summary: dict[str, Any]) -> None:
    if not accepted(summary):
        return  # refused by record(): NUL, lone surrogate, key above U+FFFF
    entry = AuditEntry(
        id=7,
        occurred_at=datetime(2026, 1, 1, tzinfo=UTC),
        actor_type="system",
        actor="webhooks",
        action="kernel.webhook_subscription.create",
        subject_type="kernel.webhook_subscription",
        subject="s-1",
        summary=summary,
        request_id="",
    )
    leaf = leaf_bytes(entry)
    assert leaf == rfc8785.dumps(json.loads(leaf))


def test_a_key_above_the_bmp_is_refused_its_order_would_differ() -> None:
    """U+10000 sorts after U+FFFD by code point but before it by UTF-16 code unit."""
    with pytest.raises(AuditRecordError, match="above U\\+FFFF"):
        check_json({"\U00010000": 1, "\ufffd": 2}, "summary", AuditRecordError, canonical_keys=True)


# --- Signed notes: Go's published example ----------------------------------------------

GO_VERIFIER_KEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_SIGNER_KEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2p"
    "ZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def go_signer() -> Signer:
    _private, _key, name, _hex_id, material = GO_SIGNER_KEY.split("+", 4)
    raw = base64.b64decode(material)
    assert raw[0] == 0x01  # Ed25519
    return Signer(name=name, seed=raw[1:])


def test_the_go_verifier_key_parses_and_opens_the_go_note() -> None:
    verifier = Verifier.parse(GO_VERIFIER_KEY)
    assert verifier.name == "PeterNeumann"
    assert verifier.key_id.hex() == "c74f20a3"
    assert open_note(GO_NOTE, verifier) == GO_TEXT


def test_signing_the_go_text_with_the_go_key_gives_the_go_note() -> None:
    signer = go_signer()
    assert signer.verifier.encode() == GO_VERIFIER_KEY
    assert sign_note(GO_TEXT, signer) == GO_NOTE  # Ed25519 signatures are deterministic


def test_the_go_note_altered_is_refused() -> None:
    verifier = Verifier.parse(GO_VERIFIER_KEY)
    with pytest.raises(NoteError, match="does not verify"):
        open_note(GO_NOTE.replace("cryptography", "cryptographY"), verifier)
