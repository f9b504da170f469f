"""Reads by code and by folded name, and the errors they raise on bad input."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Callable, Iterable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nentang.addresses import selectors
from nentang.addresses.models import Commune, DataSource
from nentang.kernel.errors import NotFound, ValidationFailed
from nentang.kernel.text import fold

pytestmark = pytest.mark.django_db


def names(communes: Iterable[Commune]) -> list[str]:
    return [c.name for c in communes]


def test_province_get_returns_the_unit_with_that_code() -> None:
    province = selectors.province_get(code="79")
    assert (province.name, province.full_name, province.kind) == (
        "Hồ Chí Minh",
        "Thành phố Hồ Chí Minh",
        "thanh_pho",
    )


def test_province_list_is_the_34_units_in_code_order() -> None:
    codes = [p.code for p in selectors.province_list()]
    assert codes == sorted(codes)
    assert len(codes) == 34


@pytest.mark.parametrize(
    "query", ["phuong sai gon", "Sài Gòn", "SAI GON", "  sài   GÒN ", "gon sai"]
)
def test_folded_queries_find_phuong_sai_gon(query: str) -> None:
    assert names(selectors.commune_list(province_code="79", q=query)) == ["Phường Sài Gòn"]
    assert names(selectors.commune_search(q=query)) == ["Phường Sài Gòn"]


def test_a_folded_query_returns_every_unit_that_differs_only_by_marks() -> None:
    found = names(selectors.commune_list(province_code="80", q="Tân Thạnh"))
    assert "Xã Tân Thành" in found
    assert "Xã Tân Thạnh" in found


def test_national_search_spans_provinces() -> None:
    found = {(c.province_id, c.name) for c in selectors.commune_search(q="hoan kiem")}
    assert found == {("01", "Phường Hoàn Kiếm")}
    tan_thanh = {c.province_id for c in selectors.commune_search(q="xa tan thanh")}
    assert {"80", "82"} <= tan_thanh


def test_an_empty_query_lists_the_whole_province_in_name_order() -> None:
    communes = list(selectors.commune_list(province_code="46", q="   "))
    assert len(communes) == 40
    keys = [(c.name_folded, c.code) for c in communes]
    assert len(set(keys)) == 40


def test_a_query_that_matches_nothing_is_an_empty_list() -> None:
    assert names(selectors.commune_list(province_code="01", q="sai gon")) == []


def test_commune_get_returns_the_unit_and_its_province() -> None:
    commune = selectors.commune_get(code="00070")
    assert (commune.name, commune.province.name) == ("Phường Hoàn Kiếm", "Hà Nội")


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda: selectors.province_get(code="02"), "province_not_found"),
        (lambda: selectors.commune_list(province_code="99"), "province_not_found"),
        (lambda: selectors.commune_get(code="99999"), "ward_not_found"),
    ],
)
def test_unknown_codes_are_not_found_with_a_specific_code(
    call: Callable[[], object], code: str
) -> None:
    with pytest.raises(NotFound) as raised:
        call()
    assert raised.value.code == code


@pytest.mark.parametrize("bad", ["1", "001", "ab", "", " 1", "1\n", "١٢", "0x"])
def test_malformed_province_codes_are_a_field_error(bad: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        selectors.province_get(code=bad)
    assert [(e.field, e.code) for e in raised.value.errors] == [("code", "invalid_format")]


@pytest.mark.parametrize("bad", ["2674", "267400", "2674a", "", "٢٦٧٤٠", "26740\n"])
def test_malformed_commune_codes_are_a_field_error(bad: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        selectors.commune_get(code=bad)
    assert [(e.field, e.code) for e in raised.value.errors] == [("code", "invalid_format")]


def test_a_closed_unit_leaves_the_lists_but_keeps_its_code() -> None:
    # Given Phường Sài Gòn closed by a (hypothetical) re-organisation on 1 Jan 2030
    Commune.objects.filter(code="26740").update(effective_to=datetime.date(2030, 1, 1))
    before = datetime.date(2029, 12, 31)
    after = datetime.date(2030, 1, 1)
    # Then it is listed up to the day before, not from that day on
    assert names(selectors.commune_search(q="sai gon", on=before)) == ["Phường Sài Gòn"]
    assert names(selectors.commune_search(q="sai gon", on=after)) == []
    assert names(selectors.commune_list(province_code="79", q="sai gon", on=after)) == []
    # And its code still resolves, because codes are never reused
    assert selectors.commune_get(code="26740").effective_to == after


def test_a_unit_not_yet_in_force_is_not_listed() -> None:
    source = DataSource.objects.get()
    Commune.objects.create(
        code="99990",
        name="Phường Tương Lai",
        short_name="Tương Lai",
        kind=Commune.Kind.PHUONG,
        province_id="79",
        name_folded="phuong tuong lai",
        effective_from=datetime.date(2031, 1, 1),
        source=source,
    )
    assert names(selectors.commune_search(q="tuong lai", on=datetime.date(2030, 12, 31))) == []
    assert names(selectors.commune_search(q="tuong lai", on=datetime.date(2031, 1, 1))) == [
        "Phường Tương Lai"
    ]
    assert (
        selectors.province_commune_count(
            province=selectors.province_get(code="79"), on=datetime.date(2031, 1, 1)
        )
        == 169
    )


@pytest.mark.parametrize("query", ["\x00", "sai\x00gon", "sai\x1bgon"])
def test_control_characters_in_a_query_are_a_field_error(query: str) -> None:
    with pytest.raises(ValidationFailed) as raised:
        list(selectors.commune_search(q=query))
    assert [(e.field, e.code) for e in raised.value.errors] == [("q", "invalid_characters")]


def test_white_space_of_any_kind_separates_words() -> None:
    assert names(selectors.commune_search(q="sài\tgòn\n")) == ["Phường Sài Gòn"]


@settings(max_examples=60, deadline=None)
@given(query=st.text(max_size=30))
def test_any_query_either_matches_by_folded_words_or_is_a_field_error(query: str) -> None:
    if any(unicodedata.category(ch) == "Cc" and not ch.isspace() for ch in query):
        with pytest.raises(ValidationFailed):
            list(selectors.commune_search(q=query))
        return
    words = fold(query).split()[: selectors.MAX_QUERY_WORDS]
    found = list(selectors.commune_search(q=query)[:50])
    assert all(word in commune.name_folded for commune in found for word in words)
