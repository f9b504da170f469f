"""The operator's fee schedule, as data (``data/fee-schedule.json`` or the file named by
``settings.PAYMENTS_FEE_SCHEDULE``): what a transaction costs, by GSMA transaction type.

No law sets these fees: each provider publishes its own tariff. The file holds
schedules with effective dates; each lists, per type (``transfer``, ``merchantpay``,
``billpay``, ``deposit``, ``withdrawal``), who bears the fee (``payer``: debited on top
of the amount; ``payee``: taken from what the payee receives, e.g. a merchant discount)
and tiers by amount::

    {"from": 0, "fixed": 1100, "rate_bp": 0, "min": 0, "max": null}

A tier applies from its ``from`` amount (đồng, inclusive) up to the next tier's; the fee
is ``fixed + amount × rate_bp / 10,000`` rounded half up to whole đồng, then held within
``[min, max]``. The file is validated when it is loaded: the first mistake is raised as
:class:`FeeScheduleError` naming the file and the field (``schedules[0].fees.transfer.
tiers[1].rate_bp``), so a bad tariff stops the start-up, never a payment.

This module is pure (no database): quoting (``POST /quotations``) and charging (the
wallet operations) both call :func:`fee_for`, so a quote and the charge agree.
"""

from __future__ import annotations

import datetime
import itertools
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "data" / "fee-schedule.json"
TYPES = ("transfer", "merchantpay", "billpay", "deposit", "withdrawal")
BORNE_BY = ("payer", "payee")
MAX_FEE = 10**12  # đồng: far above any tariff, below the ledger's limits


class FeeScheduleError(ValueError):
    """A fee-schedule file that cannot be used: ``file``, ``field`` and why."""

    def __init__(self, file: Path | str, field: str, message: str) -> None:
        self.file = str(file)
        self.field = field
        self.message = message
        super().__init__(f"{self.file}: {field}: {message}")


@dataclass(frozen=True)
class Tier:
    start: int
    fixed: int
    rate_bp: int
    minimum: int
    maximum: int | None


@dataclass(frozen=True)
class TypeFee:
    borne_by: str
    tiers: tuple[Tier, ...]


@dataclass(frozen=True)
class Schedule:
    code: str
    title: str
    effective_from: datetime.date
    effective_to: datetime.date | None
    fees: dict[str, TypeFee]


@dataclass(frozen=True)
class Fee:
    """What one transaction costs under ``schedule``; ``amount`` 0 means free."""

    amount: int
    borne_by: str
    schedule: str


# ------------------------------------------------------------------------------ loading


def load(path: Path | str) -> tuple[Schedule, ...]:
    """Read and validate a fee-schedule file (see the module docstring)."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise FeeScheduleError(path, "(file)", f"cannot be read: {error.strerror}") from None
    except ValueError as error:
        raise FeeScheduleError(path, "(file)", f"is not JSON: {error}") from None
    return _schedules(path, data)


@cache
def _loaded(path: str) -> tuple[Schedule, ...]:
    return load(path)


def schedules(path: str = "") -> tuple[Schedule, ...]:
    """The deployment's schedules (``settings.PAYMENTS_FEE_SCHEDULE`` or the default
    file), loaded and validated once per file."""
    if not path:
        from django.conf import settings

        path = str(getattr(settings, "PAYMENTS_FEE_SCHEDULE", "") or DEFAULT_FILE)
    return _loaded(path)


def schedule_in_force(*, on: datetime.date, path: str = "") -> Schedule | None:
    for schedule in schedules(path):
        if schedule.effective_from <= on and (
            schedule.effective_to is None or on <= schedule.effective_to
        ):
            return schedule
    return None


def fee_for(*, kind: str, amount: int, on: datetime.date, path: str = "") -> Fee:
    """The fee of a ``kind`` transaction of ``amount`` đồng under the schedule in force
    ``on`` (free when no schedule or no entry for the type)."""
    schedule = schedule_in_force(on=on, path=path)
    if schedule is None or kind not in schedule.fees:
        return Fee(amount=0, borne_by="payer", schedule=schedule.code if schedule else "")
    entry = schedule.fees[kind]
    tier = entry.tiers[0]
    for candidate in entry.tiers:
        if candidate.start <= amount:
            tier = candidate
    value = tier.fixed + (amount * tier.rate_bp + 5_000) // 10_000
    value = max(value, tier.minimum)
    if tier.maximum is not None:
        value = min(value, tier.maximum)
    return Fee(amount=value, borne_by=entry.borne_by, schedule=schedule.code)


# --------------------------------------------------------------------------- validation


def _schedules(path: Path, data: Any) -> tuple[Schedule, ...]:
    if not isinstance(data, dict):
        raise FeeScheduleError(path, "(file)", "must hold a JSON object")
    rows = data.get("schedules")
    if not isinstance(rows, list) or not rows:
        raise FeeScheduleError(path, "schedules", "must be a non-empty list")
    result = [_schedule(path, f"schedules[{i}]", row) for i, row in enumerate(rows)]
    seen: set[str] = set()
    for i, schedule in enumerate(result):
        if schedule.code in seen:
            raise FeeScheduleError(path, f"schedules[{i}].code", "is used twice")
        seen.add(schedule.code)
    ordered = sorted(enumerate(result), key=lambda pair: pair[1].effective_from)
    for (_, earlier), (j, later) in itertools.pairwise(ordered):
        if earlier.effective_to is None or later.effective_from <= earlier.effective_to:
            raise FeeScheduleError(
                path,
                f"schedules[{j}].effective_from",
                f"overlaps schedule {earlier.code!r} (one schedule in force per day)",
            )
    return tuple(result)


def _schedule(path: Path, where: str, row: Any) -> Schedule:
    if not isinstance(row, dict):
        raise FeeScheduleError(path, where, "must be an object")
    code = row.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 40:
        raise FeeScheduleError(path, f"{where}.code", "must be a text of 1 to 40 characters")
    start = _date(path, f"{where}.effective_from", row.get("effective_from"))
    if start is None:
        raise FeeScheduleError(path, f"{where}.effective_from", "is required (YYYY-MM-DD)")
    end = _date(path, f"{where}.effective_to", row.get("effective_to"))
    if end is not None and end < start:
        raise FeeScheduleError(path, f"{where}.effective_to", "is before effective_from")
    fees = row.get("fees")
    if not isinstance(fees, dict):
        raise FeeScheduleError(path, f"{where}.fees", "must be an object keyed by type")
    parsed = {}
    for kind, entry in fees.items():
        if kind not in TYPES:
            raise FeeScheduleError(
                path, f"{where}.fees.{kind}", f"is not a transaction type ({', '.join(TYPES)})"
            )
        parsed[kind] = _type_fee(path, f"{where}.fees.{kind}", entry)
    title = row.get("title", code)
    return Schedule(
        code=code, title=str(title), effective_from=start, effective_to=end, fees=parsed
    )


def _date(path: Path, where: str, value: Any) -> datetime.date | None:
    if value is None:
        return None
    try:
        if isinstance(value, str):
            return datetime.date.fromisoformat(value)
    except ValueError:
        pass
    raise FeeScheduleError(path, where, "must be a date YYYY-MM-DD or null")


def _type_fee(path: Path, where: str, entry: Any) -> TypeFee:
    if not isinstance(entry, dict):
        raise FeeScheduleError(path, where, "must be an object")
    borne_by = entry.get("borne_by", "payer")
    if borne_by not in BORNE_BY:
        raise FeeScheduleError(path, f"{where}.borne_by", "must be 'payer' or 'payee'")
    tiers = entry.get("tiers")
    if not isinstance(tiers, list) or not tiers:
        raise FeeScheduleError(path, f"{where}.tiers", "must be a non-empty list")
    parsed = [_tier(path, f"{where}.tiers[{i}]", tier) for i, tier in enumerate(tiers)]
    if parsed[0].start != 0:
        raise FeeScheduleError(path, f"{where}.tiers[0].from", "must be 0 (every amount)")
    for i in range(1, len(parsed)):
        if parsed[i].start <= parsed[i - 1].start:
            raise FeeScheduleError(
                path, f"{where}.tiers[{i}].from", "must be above the previous tier's"
            )
    return TypeFee(borne_by=borne_by, tiers=tuple(parsed))


def _tier(path: Path, where: str, tier: Any) -> Tier:
    if not isinstance(tier, dict):
        raise FeeScheduleError(path, where, "must be an object")
    unknown = set(tier) - {"from", "fixed", "rate_bp", "min", "max"}
    if unknown:
        raise FeeScheduleError(path, f"{where}.{sorted(unknown)[0]}", "is not a tier field")
    start = _whole(path, f"{where}.from", tier.get("from"), MAX_FEE * 1000)
    fixed = _whole(path, f"{where}.fixed", tier.get("fixed", 0), MAX_FEE)
    rate = _whole(path, f"{where}.rate_bp", tier.get("rate_bp", 0), 10_000)
    minimum = _whole(path, f"{where}.min", tier.get("min", 0), MAX_FEE)
    maximum = None
    if tier.get("max") is not None:
        maximum = _whole(path, f"{where}.max", tier["max"], MAX_FEE)
        if maximum < minimum:
            raise FeeScheduleError(path, f"{where}.max", "is below min")
    return Tier(start=start, fixed=fixed, rate_bp=rate, minimum=minimum, maximum=maximum)


def _whole(path: Path, where: str, value: Any, ceiling: int) -> int:
    # bool is an int in Python: refuse it explicitly (true is not 1 đồng).
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= ceiling:
        raise FeeScheduleError(path, where, f"must be a whole number from 0 to {ceiling:,}")
    return int(value)
