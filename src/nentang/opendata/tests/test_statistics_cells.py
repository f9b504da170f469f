"""The cells of the published dossier statistics, without a database: a withheld
count cannot be worked out from the counts published beside it."""

from __future__ import annotations

from nentang.opendata.services.statistics import dossier_cells
from nentang.publicservices.selectors import Row


def _row(*, received: int, early: int, on_time: int, late: int) -> Row:
    return Row(
        agency="ubnd-phuong-sai-gon", procedure="dang-ky-khai-sinh", received=received,
        finished=early + on_time + late, early=early, on_time=on_time, late=late,
        online=received, paid_online=0, electronic_result=0, average_days=None,
    )  # fmt: skip


def test_a_small_late_count_is_not_the_finished_minus_the_on_time() -> None:
    """Nine finished, eight on time, one late: publishing 9 and 8 told everyone the
    withheld late count was 1 — one applicant's dossier, of a ward and a month."""
    cells = dossier_cells(_row(received=12, early=0, on_time=8, late=1))
    assert cells["so_da_giai_quyet"] == 9
    assert cells["so_tre_han"] is None
    assert cells["so_dung_han"] is None

    few_on_time = dossier_cells(_row(received=12, early=1, on_time=1, late=7))
    assert (few_on_time["so_dung_han"], few_on_time["so_tre_han"]) == (None, None)


def test_large_cells_are_all_published() -> None:
    cells = dossier_cells(_row(received=30, early=5, on_time=10, late=6))
    assert cells == {
        "so_tiep_nhan": 30, "so_da_giai_quyet": 21, "so_dung_han": 15, "so_tre_han": 6,
        "so_nop_truc_tuyen": 30, "ghi_chu": "",
    }  # fmt: skip
    small = dossier_cells(_row(received=3, early=0, on_time=1, late=0))
    assert set(small.values()) == {None, "<5"}
