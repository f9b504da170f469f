"""Catalogue search on the database's own full-text engine (FTS5 on SQLite, a GIN
``tsvector`` on PostgreSQL), judged on a labelled set: Vietnamese queries written with
their diacritics, without them and in capitals, each with the datasets a reader expects
at the top. The same set must hold on both databases (their rankings differ in detail —
BM25 against ``ts_rank`` — not in what comes first)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from nentang.opendata import catalogue_search, selectors, services
from nentang.opendata.models import Dataset, DatasetSearch
from nentang.opendata.tests import support
from nentang.opendata.tests.support import OPERATOR, Cast

pytestmark = pytest.mark.django_db

ENV, EDU = "so-tnmt-hcm", "so-gddt-hcm"
# name, title, description, tags, theme, organisation
CATALOGUE: tuple[tuple[str, str, str, list[str], str, str], ...] = (
    ("khong-khi-da-nang", "Chất lượng không khí Đà Nẵng",
     "Chỉ số AQI theo giờ tại các trạm quan trắc.", ["không khí"], "moi-truong", ENV),
    ("nuoc-song-sai-gon", "Quan trắc chất lượng nước sông Sài Gòn",
     "Chỉ số WQI hằng tháng tại 12 điểm quan trắc.", ["nước mặt", "WQI"], "moi-truong", ENV),
    ("ngap-nuoc-khi-mua", "Điểm ngập nước khi mưa lớn",
     "Vị trí, độ sâu ngập và thời gian rút.", ["ngập"], "moi-truong", ENV),
    ("tieng-on-giao-thong", "Đo tiếng ồn giao thông tại các nút giao",
     "Mức ồn dB theo khung giờ.", ["tiếng ồn"], "moi-truong", ENV),
    ("rac-thai-sinh-hoat", "Khối lượng rác thải sinh hoạt thu gom",
     "Tấn mỗi ngày theo phường.", ["rác thải"], "moi-truong", ENV),
    ("cay-xanh-do-thi", "Cây xanh đô thị",
     "Vị trí, loài cây, chiều cao, năm trồng.", ["cây xanh"], "moi-truong", ENV),
    ("luong-mua-da-lat", "Lượng mưa trạm Đà Lạt",
     "Milimét mỗi ngày.", ["mưa"], "moi-truong", ENV),
    ("truong-thpt", "Danh sách trường trung học phổ thông",
     "Tên trường, địa chỉ, số học sinh, số lớp.", ["trường học"], "giao-duc", EDU),
    ("truong-mam-non", "Danh sách trường mầm non công lập và tư thục",
     "Địa chỉ và số trẻ.", ["trường học", "mầm non"], "giao-duc", EDU),
    ("diem-thi-tot-nghiep-2025", "Phổ điểm thi tốt nghiệp THPT năm 2025",
     "Số thí sinh theo mức điểm từng môn.", ["điểm thi"], "giao-duc", EDU),
    ("ngan-sach-giao-duc-2026", "Dự toán ngân sách giáo dục năm 2026",
     "Chi thường xuyên theo Luật Ngân sách nhà nước.", ["ngân sách"], "giao-duc", EDU),
    ("ho-so-dich-vu-cong", "Số hồ sơ dịch vụ công trực tuyến theo tháng",
     "Hồ sơ tiếp nhận, giải quyết đúng hạn, quá hạn.", ["dịch vụ công"], "dich-vu-cong", EDU),
)  # fmt: skip

# query → the datasets expected first (in any order), and how many places they may take.
RELEVANCE: tuple[tuple[tuple[str, ...], set[str], int], ...] = (
    (("không khí", "khong khi", "KHÔNG KHÍ"),
     {"khong-khi-da-nang", "chat-luong-khong-khi-hcm-2025"}, 2),
    (("chất lượng nước", "chat luong nuoc", "Chat Luong Nuoc"), {"nuoc-song-sai-gon"}, 1),
    (("Đà Nẵng", "da nang", "ĐÀ NẴNG"), {"khong-khi-da-nang"}, 1),
    (("Đà Lạt", "da lat"), {"luong-mua-da-lat"}, 1),
    (("trường học", "truong hoc", "TRUONG HOC"), {"truong-thpt", "truong-mam-non"}, 2),
    (("mầm non", "mam non"), {"truong-mam-non"}, 1),
    (("điểm thi", "diem thi", "ĐIỂM THI"), {"diem-thi-tot-nghiep-2025"}, 1),
    (("ngân sách 2026", "ngan sach 2026"), {"ngan-sach-giao-duc-2026"}, 1),
    (("tiếng ồn", "tieng on"), {"tieng-on-giao-thong"}, 1),
    (("rác thải", "rac thai"), {"rac-thai-sinh-hoat"}, 1),
    (("cây xanh", "cay xanh"), {"cay-xanh-do-thi"}, 1),
    (("hồ sơ dịch vụ công", "ho so dich vu cong", "HỒ SƠ dich vu cong"),
     {"ho-so-dich-vu-cong"}, 1),
    # "nước" is in two titles and in one description ("nhà nước"): titles first.
    (("nước", "nuoc"), {"nuoc-song-sai-gon", "ngap-nuoc-khi-mua"}, 2),
    # A word of the theme ("Giáo dục") finds the theme's datasets, a title word first.
    (("giáo dục", "giao duc"), {"ngan-sach-giao-duc-2026"}, 1),
    # Prefix: "quan*" is "quan trắc" (a title and two descriptions).
    (("quan*",), {"nuoc-song-sai-gon"}, 1),
)  # fmt: skip


@pytest.fixture
def catalogue(cast: Cast) -> Cast:
    services.group_create(actor=OPERATOR, name="dich-vu-cong", title="Dịch vụ công")
    support.air_quality(cast)
    for name, title, notes, tags, theme, organisation in CATALOGUE:
        account = cast.publisher if organisation == ENV else cast.other_publisher
        services.dataset_create(
            account=account,
            data={"name": name, "title": title, "notes": notes, "owner_org": organisation,
                  "tags": [{"name": t} for t in tags], "groups": [{"name": theme}]},
        )  # fmt: skip
    return cast


def _names(q: str, **kwargs: Any) -> list[str]:
    return [d.name for d in selectors.dataset_search(account=None, q=q, rows=20, **kwargs).datasets]


@pytest.mark.parametrize(
    ("query", "expected", "k"),
    [(q, expected, k) for queries, expected, k in RELEVANCE for q in queries],
)
def test_the_labelled_queries_find_their_datasets_first(
    catalogue: Cast, query: str, expected: set[str], k: int
) -> None:
    found = _names(query)
    assert set(found[:k]) == expected, (connection.vendor, query, found)


def test_accented_folded_and_capitalised_queries_find_exactly_the_same(catalogue: Cast) -> None:
    for queries, _expected, _k in RELEVANCE:
        results = {q: _names(q) for q in queries}
        assert len({tuple(r) for r in results.values()}) == 1, results


def test_every_word_must_match_and_counts_are_exact(catalogue: Cast) -> None:
    assert selectors.dataset_search(account=None, q="không khí").count == 2
    assert selectors.dataset_search(account=None, q="mầm non").count == 1
    assert selectors.dataset_search(account=None, q="nuoc").count == 3
    assert selectors.dataset_search(account=None, q="không khí Đà Lạt").count == 0
    assert selectors.dataset_search(account=None, q="xyzzy").count == 0
    # Query syntax of the engines is only punctuation here, never an error.
    assert _names('"không" AND (khí*) -') == _names("khong khi") != []
    assert _names('+"tiếng" (ồn) -:') == ["tieng-on-giao-thong"]
    assert selectors.dataset_search(account=None, q="!!! ---").count == 13  # no word: all


def test_the_index_follows_changes_in_the_same_transaction(catalogue: Cast) -> None:
    dataset = Dataset.objects.get(name="cay-xanh-do-thi")
    services.dataset_update(
        account=catalogue.publisher, dataset=dataset,
        data={"title": "Công viên và mảng xanh", "notes": "Diện tích từng công viên.",
              "tags": [{"name": "công viên"}]}, partial=True,
    )  # fmt: skip
    assert _names("cong vien dien tich") == ["cay-xanh-do-thi"]
    assert _names("chiều cao") == []  # the old description is gone from the index
    services.dataset_transition(account=catalogue.publisher, dataset=dataset, to="deleted")
    assert _names("cong vien") == []
    Dataset.objects.filter(pk=dataset.pk).delete()  # a hard delete takes its document along
    assert not DatasetSearch.objects.filter(dataset_id=dataset.pk).exists()
    assert _index_hits("vien") == 0


def test_private_and_draft_matches_are_only_their_publishers(catalogue: Cast) -> None:
    services.dataset_create(
        account=catalogue.publisher,
        data={"name": "khong-khi-nhap", "title": "Không khí (nháp)", "owner_org": ENV,
              "state": "draft"},
    )  # fmt: skip
    assert "khong-khi-nhap" not in _names("khong khi")
    mine = selectors.dataset_search(
        account=catalogue.publisher, q="khong khi", include_drafts=True, rows=10
    )
    assert "khong-khi-nhap" in [d.name for d in mine.datasets]
    theirs = selectors.dataset_search(
        account=catalogue.other_publisher, q="khong khi", include_drafts=True, rows=10
    )
    assert "khong-khi-nhap" not in [d.name for d in theirs.datasets]


def _index_hits(word: str) -> int:
    """Documents the full-text index itself returns for a word."""
    sql, params = catalogue_search.ids_sql(connection.vendor, [word])
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({sql}) hits", params)
        return int(cursor.fetchone()[0])


def test_queries_are_answered_by_the_full_text_index_not_a_scan(catalogue: Cast) -> None:
    assert _index_hits("khong") == 2
    sql, params = catalogue_search.matches_sql(connection.vendor, ["khong", "khi"])
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute(f"EXPLAIN {sql}", params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "od_dataset_search_gin" in plan, plan
        else:
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}", params)
            plan = "\n".join(str(row[-1]) for row in cursor.fetchall())
            assert "VIRTUAL TABLE INDEX" in plan, plan
            assert catalogue_search.FTS in plan, plan


def test_the_province_filter_matches_whole_codes_with_and_without_words(cast: Cast) -> None:
    for name, spatial in (("ha-noi-va-hcm", ["01", "79"]), ("da-nang", ["48"]),
                          ("hcm", ["79"]), ("ca-nuoc", [])):  # fmt: skip
        services.dataset_create(
            account=cast.publisher,
            data={"name": name, "title": f"Quan trắc {name}", "owner_org": ENV,
                  "spatial": spatial},
        )  # fmt: skip

    def names(fq: str, q: str = "") -> set[str]:
        found = selectors.dataset_search(account=None, q=q, filters=selectors.parse_fq(fq))
        return {d.name for d in found.datasets}

    assert names("province:79") == {"ha-noi-va-hcm", "hcm"}
    assert names("province:01") == {"ha-noi-va-hcm"}
    assert names("province:7") == set()  # a whole code, not a prefix
    assert names("province:48", q="quan trac") == {"da-nang"}
    facets = selectors.dataset_search(account=None, q="quan trac", facet_fields=("province",))
    assert facets.facets == {"province": {"79": 2, "01": 1, "48": 1}}
