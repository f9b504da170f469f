"""The operator's fee schedule as data: the shipped files load, the fee of each tier is
what the tariff says (rounding half up, minimum and maximum, who bears it, effective
dates), and a bad file is refused on load with the file and the field named."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import pytest

from nentang.payments.services.fee_schedule import (
    DEFAULT_FILE,
    Fee,
    FeeScheduleError,
    fee_for,
    load,
)

EXAMPLE = DEFAULT_FILE.with_name("fee-schedule.example.json")
IN_2026 = datetime.date(2026, 3, 1)


def test_the_shipped_schedule_is_valid_and_free() -> None:
    [free] = load(DEFAULT_FILE)
    for kind in ("transfer", "merchantpay", "billpay", "deposit", "withdrawal"):
        assert fee_for(kind=kind, amount=9_999_999, on=IN_2026, path=str(DEFAULT_FILE)) == Fee(
            amount=0, borne_by=free.fees[kind].borne_by, schedule="free"
        )


@pytest.mark.parametrize(
    ("kind", "amount", "fee", "borne_by"),
    [
        ("transfer", 499_999, 0, "payer"),  # below the second tier
        ("transfer", 500_000, 1_100, "payer"),  # a tier starts at its "from", inclusive
        ("merchantpay", 10_000, 500, "payee"),  # 0.6 % = 60 ₫, raised to the minimum
        ("merchantpay", 1_234_567, 7_407, "payee"),  # 7,407.4 rounds down
        ("merchantpay", 1_234_750, 7_409, "payee"),  # 7,408.5 rounds half up
        ("merchantpay", 100_000_000, 50_000, "payee"),  # capped at the maximum
        ("withdrawal", 1_999_999, 3_300, "payer"),
        ("withdrawal", 5_000_000, 10_000, "payer"),  # 0.2 %
        ("withdrawal", 50_000_000, 22_000, "payer"),  # capped
        ("billpay", 1_000_000, 0, "payer"),
    ],
)
def test_the_fee_of_each_tier(kind: str, amount: int, fee: int, borne_by: str) -> None:
    assert fee_for(kind=kind, amount=amount, on=IN_2026, path=str(EXAMPLE)) == Fee(
        amount=fee, borne_by=borne_by, schedule="example-2026"
    )


def test_the_schedule_in_force_on_the_day_applies() -> None:
    in_2025 = fee_for(kind="transfer", amount=600_000, on=datetime.date(2025, 12, 31),
                      path=str(EXAMPLE))  # fmt: skip
    assert (in_2025.amount, in_2025.schedule) == (2_200, "example-2025")
    # No entry for the type in that schedule: free.
    assert fee_for(kind="merchantpay", amount=600_000, on=datetime.date(2025, 6, 1),
                   path=str(EXAMPLE)).amount == 0  # fmt: skip
    # Before every schedule: free, and no schedule named.
    assert fee_for(kind="transfer", amount=600_000, on=datetime.date(2024, 1, 1),
                   path=str(EXAMPLE)) == Fee(0, "payer", "")  # fmt: skip


def _tariff(**tier: Any) -> dict[str, Any]:
    return {
        "schedules": [
            {
                "code": "t",
                "effective_from": "2026-01-01",
                "effective_to": None,
                "fees": {"transfer": {"borne_by": "payer", "tiers": [{"from": 0, **tier}]}},
            }
        ]
    }


def _with(change: Any) -> dict[str, Any]:
    data = _tariff(fixed=1000)
    change(data)
    return data


def _second_schedule(data: dict[str, Any]) -> None:
    data["schedules"].append({**data["schedules"][0], "code": "u",
                              "effective_from": "2026-06-01"})  # fmt: skip


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        (_tariff(rate_bp=-5), "schedules[0].fees.transfer.tiers[0].rate_bp", "whole number"),
        (_tariff(rate_bp=10_001), "schedules[0].fees.transfer.tiers[0].rate_bp", "10,000"),
        (_tariff(fixed=1.5), "schedules[0].fees.transfer.tiers[0].fixed", "whole number"),
        (_tariff(fixed=True), "schedules[0].fees.transfer.tiers[0].fixed", "whole number"),
        (_tariff(fixed="1000"), "schedules[0].fees.transfer.tiers[0].fixed", "whole number"),
        (_tariff(min=500, max=100), "schedules[0].fees.transfer.tiers[0].max", "below min"),
        (_tariff(percent=1), "schedules[0].fees.transfer.tiers[0].percent", "not a tier field"),
        (
            _with(lambda d: d["schedules"][0]["fees"]["transfer"]["tiers"][0].update({"from": 5})),
            "schedules[0].fees.transfer.tiers[0].from",
            "must be 0",
        ),
        (
            _with(lambda d: d["schedules"][0]["fees"]["transfer"]["tiers"].append({"from": 0})),
            "schedules[0].fees.transfer.tiers[1].from",
            "above the previous",
        ),
        (
            _with(lambda d: d["schedules"][0]["fees"]["transfer"].update(borne_by="bank")),
            "schedules[0].fees.transfer.borne_by",
            "'payer' or 'payee'",
        ),
        (
            _with(lambda d: d["schedules"][0]["fees"].update(remittance={"tiers": []})),
            "schedules[0].fees.remittance",
            "not a transaction type",
        ),
        (
            _with(lambda d: d["schedules"][0].update(effective_from="2026-13-01")),
            "schedules[0].effective_from",
            "YYYY-MM-DD",
        ),
        (
            _with(lambda d: d["schedules"][0].update(effective_to="2025-01-01")),
            "schedules[0].effective_to",
            "before effective_from",
        ),
        (_with(_second_schedule), "schedules[1].effective_from", "overlaps schedule 't'"),
        ({"schedules": []}, "schedules", "non-empty list"),
    ],
)
def test_a_bad_file_is_refused_naming_the_file_and_the_field(
    tmp_path: Path, data: dict[str, Any], field: str, message: str
) -> None:
    path = tmp_path / "tariff.json"
    path.write_text(json.dumps(data), encoding="utf-8")

    with pytest.raises(FeeScheduleError) as refused:
        load(path)

    assert (refused.value.file, refused.value.field) == (str(path), field)
    assert message in refused.value.message
    assert str(refused.value).startswith(f"{path}: {field}: ")


def test_a_file_that_is_not_json_or_missing_is_refused(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(FeeScheduleError, match=r"broken\.json: \(file\): is not JSON"):
        load(broken)
    with pytest.raises(FeeScheduleError, match=r"absent\.json: \(file\): cannot be read"):
        load(tmp_path / "absent.json")


def test_the_system_check_names_a_bad_deployment_file(tmp_path: Path, settings: Any) -> None:
    from nentang.payments.apps import fee_schedule_check

    assert fee_schedule_check() == []
    path = tmp_path / "tariff.json"
    path.write_text(json.dumps(_tariff(rate_bp=-1)), encoding="utf-8")
    settings.PAYMENTS_FEE_SCHEDULE = str(path)

    [error] = fee_schedule_check()

    assert error.id == "payments.E001"
    assert error.msg == f"{path}: schedules[0].fees.transfer.tiers[0].rate_bp: " + (
        "must be a whole number from 0 to 10,000"
    )
