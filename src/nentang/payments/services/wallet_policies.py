"""The wallet limit policies (``data/wallet-policies.json``), read once per process:
``pilot-316-2021`` (Decision 316/2021) and ``decree-368-2025``. The deployment chooses one
with ``settings.PAYMENTS_WALLET_POLICY``; unset, the policy in force on the day applies.
``settings.PAYMENTS_LIMIT_OVERRIDES`` (``{category: monthly}``) sets the items marked
``verify``. The operations that apply them are in ``wallets``."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

POLICY_FILE = Path(__file__).resolve().parents[1] / "data" / "wallet-policies.json"


@dataclass(frozen=True)
class Limit:
    category: str
    monthly: int
    counts: tuple[str, ...]
    verify: bool


@dataclass(frozen=True)
class Policy:
    code: str
    title: str
    effective_from: datetime.date
    effective_to: datetime.date | None
    limits: tuple[Limit, ...]


@cache
def _policy_data() -> dict[str, Any]:
    return dict(json.loads(POLICY_FILE.read_text(encoding="utf-8")))


def policies() -> dict[str, Policy]:
    overrides: dict[str, int] = getattr(settings, "PAYMENTS_LIMIT_OVERRIDES", {}) or {}
    result = {}
    for code, row in _policy_data()["policies"].items():
        limits = tuple(
            Limit(
                category=limit["category"],
                monthly=int(overrides.get(limit["category"], limit["monthly"])),
                counts=tuple(limit["counts"]),
                verify=bool(limit["verify"]),
            )
            for limit in row["limits"]
        )
        result[code] = Policy(
            code=code,
            title=row["title"],
            effective_from=datetime.date.fromisoformat(row["effective_from"]),
            effective_to=(
                datetime.date.fromisoformat(row["effective_to"]) if row["effective_to"] else None
            ),
            limits=limits,
        )
    return result


def policy_in_force(*, on: datetime.date | None = None) -> Policy:
    """The deployment's policy (``PAYMENTS_WALLET_POLICY``) or the one in force ``on``."""
    every = policies()
    chosen = getattr(settings, "PAYMENTS_WALLET_POLICY", "")
    if chosen:
        return every[chosen]
    day = on or timezone.localdate()
    for policy in every.values():
        if policy.effective_from <= day and (
            policy.effective_to is None or day <= policy.effective_to
        ):
            return policy
    return every["decree-368-2025"]


def kyc_rules() -> dict[str, Any]:
    """Who may hold a wallet (the data file's ``kyc``: the age below which a child's
    wallet goes through a guardian)."""
    return dict(_policy_data()["kyc"])
