"""Public read API of the transparency log (/api/v1/audit/…).

Anyone may verify the log, so nothing here needs authentication: the entries carry no
personal data (people appear as keyed pseudonyms). Hashes and leaves are base64 (RFC 4648
§4), as in C2SP checkpoints. The same tree is also served statically, per C2SP
tlog-tiles, at /audit/checkpoint, /audit/key and /audit/tile/… (views.py).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Router, Schema
from ninja.params.functions import Path, Query

from nentang.audit import selectors
from nentang.audit.models import Checkpoint
from nentang.audit.tlog.tiles import MAX_TREE_SIZE
from nentang.kernel.api import Problem
from nentang.kernel.pagination import CursorQuery, LimitQuery, PageOut

router = Router(tags=["audit"], auth=None)

Index = Annotated[
    int,
    Path(
        ge=0,
        le=MAX_TREE_SIZE,
        description=gettext_noop("Position of the entry in the log, from 0."),
    ),
]


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode()


class TreeHeadOut(Schema):
    size: int
    root_hash: str
    checkpoint: str | None = None


class EntryOut(Schema):
    index: int
    leaf: str
    leaf_hash: str
    document: dict[str, Any]


class InclusionProofOut(Schema):
    index: int
    tree_size: int
    leaf_hash: str
    root_hash: str
    proof: list[str]


class ConsistencyProofOut(Schema):
    first: int
    second: int
    first_root: str
    second_root: str
    proof: list[str]


class CheckpointOut(Schema):
    id: int
    size: int
    root_hash: str
    note: str
    created_at: datetime

    @classmethod
    def build(cls, checkpoint: Checkpoint) -> CheckpointOut:
        return cls(
            id=checkpoint.id,
            size=checkpoint.size,
            root_hash=_b64(bytes(checkpoint.root_hash)),
            note=checkpoint.note,
            created_at=checkpoint.created_at,
        )


@router.get(
    "/tree",
    response=TreeHeadOut,
    summary=gettext_noop("Size and root of the log, latest checkpoint"),
)
def tree_head(request: HttpRequest) -> TreeHeadOut:
    head = selectors.tlog_tree_head()
    latest = selectors.checkpoint_latest()
    return TreeHeadOut(
        size=head.size,
        root_hash=_b64(head.root_hash),
        checkpoint=latest.note if latest else None,
    )


@router.get(
    "/entries/{index}",
    response={200: EntryOut, 404: Problem, 422: Problem},
    summary=gettext_noop(
        "One entry: its canonical bytes (the leaf), the document they encode, its hash"
    ),
)
def entry(request: HttpRequest, index: Index) -> EntryOut:
    found = selectors.tlog_entry(index=index)
    return EntryOut(
        index=found.index,
        leaf=_b64(found.leaf),
        leaf_hash=_b64(found.leaf_hash),
        document=found.document,
    )


@router.get(
    "/proofs/inclusion",
    response={200: InclusionProofOut, 400: Problem, 422: Problem},
    summary=gettext_noop("Inclusion proof (RFC 9162 §2.1.3) of an entry in a tree of a given size"),
)
def inclusion_proof(
    request: HttpRequest,
    index: Annotated[
        int, Query(ge=0, le=MAX_TREE_SIZE, description=gettext_noop("Index of the entry."))
    ],
    tree_size: Annotated[
        int,
        Query(
            ge=0,
            le=MAX_TREE_SIZE,
            description=gettext_noop("Size of the tree, e.g. of a checkpoint."),
        ),
    ],
) -> InclusionProofOut:
    proof = selectors.tlog_inclusion_proof(index=index, tree_size=tree_size)
    return InclusionProofOut(
        index=proof.index,
        tree_size=proof.tree_size,
        leaf_hash=_b64(proof.leaf_hash),
        root_hash=_b64(proof.root_hash),
        proof=[_b64(value) for value in proof.hashes],
    )


@router.get(
    "/proofs/consistency",
    response={200: ConsistencyProofOut, 400: Problem, 422: Problem},
    summary=gettext_noop("Consistency proof (RFC 9162 §2.1.4) between two tree sizes"),
)
def consistency_proof(
    request: HttpRequest,
    first: Annotated[
        int, Query(ge=0, le=MAX_TREE_SIZE, description=gettext_noop("The older tree size."))
    ],
    second: Annotated[
        int, Query(ge=0, le=MAX_TREE_SIZE, description=gettext_noop("The newer tree size."))
    ],
) -> ConsistencyProofOut:
    proof = selectors.tlog_consistency_proof(first=first, second=second)
    return ConsistencyProofOut(
        first=proof.first,
        second=proof.second,
        first_root=_b64(proof.first_root),
        second_root=_b64(proof.second_root),
        proof=[_b64(value) for value in proof.hashes],
    )


@router.get(
    "/checkpoints",
    response={200: PageOut[CheckpointOut], 400: Problem, 422: Problem},
    summary=gettext_noop("Signed checkpoints, newest first"),
)
def checkpoints(
    request: HttpRequest, cursor: CursorQuery = None, limit: LimitQuery = None
) -> PageOut[CheckpointOut]:
    page = selectors.checkpoint_list(cursor=cursor, limit=limit)
    return PageOut[CheckpointOut](
        items=[CheckpointOut.build(item) for item in page.items], next_cursor=page.next_cursor
    )
