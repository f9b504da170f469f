"""The catalogue's services and selectors: the publishing workflow with its audit
entries, who may see and change what, field-level refusals, freshness, search."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from nentang.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from nentang.opendata import selectors, services
from nentang.opendata.models import Dataset
from nentang.opendata.tests import support
from nentang.opendata.tests.support import Cast

pytestmark = pytest.mark.django_db


def _actions(dataset: Dataset) -> list[str]:
    entries = apps.get_model("audit", "AuditEntry").objects.filter(
        subject_type="opendata.dataset", subject=str(dataset.public_id)
    )
    return list(entries.order_by("id").values_list("action", flat=True))


def test_a_created_dataset_is_a_draft_then_published_with_both_in_the_audit_log(cast: Cast) -> None:
    dataset = support.air_quality(cast)

    assert dataset.state == "published"
    assert _actions(dataset) == ["opendata.dataset.create", "opendata.dataset.published"]
    assert [t.name for t in dataset.tags.all()] == ["AQI", "không khí"]
    assert dataset.province_codes == "79"
    assert dataset.resources.get().format == "CSV"


def test_a_ward_in_the_coverage_counts_for_its_province(cast: Cast) -> None:
    """Ward 26740 (Sài Gòn) lies in province 79, not "26" as its first digits say."""
    dataset = support.air_quality(cast, spatial=["26740"])

    assert dataset.province_codes == "79"
    found = selectors.dataset_search(account=None, filters={"province": ["79"]})
    assert dataset in found.datasets
    assert not selectors.dataset_search(account=None, filters={"province": ["26"]}).count


def test_migration_0007_recomputes_the_provinces_written_from_a_wards_digits(cast: Cast) -> None:
    from importlib import import_module

    recompute = import_module(
        "nentang.opendata.migrations.0007_province_codes_from_the_units"
    ).recompute
    ward = support.air_quality(cast, spatial=["26740", "01"], name="bui-min-phuong")
    Dataset.objects.filter(pk=ward.pk).update(province_codes="01 26")  # as written before

    recompute(apps, None)

    ward.refresh_from_db()
    assert ward.province_codes == "01 79"


def test_drafts_are_visible_to_their_publishers_only(cast: Cast) -> None:
    draft = support.air_quality(cast, state="draft")

    assert draft.state == "draft"
    for outsider in (None, AnonymousUser(), cast.other_publisher):
        with pytest.raises(NotFound):
            selectors.dataset_get(account=outsider, ref=draft.name)
    assert selectors.dataset_get(account=cast.publisher, ref=str(draft.public_id)) == draft
    services.dataset_transition(account=cast.publisher, dataset=draft, to="published")
    assert selectors.dataset_get(account=None, ref=draft.name).state == "published"
    # /api/3/action/package_show?id=a%00b (and organization_show, group_show): a 500 on
    # PostgreSQL, the NUL went to the database.
    with pytest.raises(NotFound):
        selectors.dataset_get(account=None, ref="a\x00b")
    with pytest.raises(NotFound):
        selectors.organisation_get(ref="a\x00b")
    with pytest.raises(NotFound):
        selectors.group_get(ref="a\x00b")


def test_another_agency_cannot_change_the_dataset(cast: Cast) -> None:
    dataset = support.air_quality(cast)

    with pytest.raises(Forbidden):
        services.dataset_update(
            account=cast.other_publisher, dataset=dataset, data={"title": "Hacked"}, partial=True
        )
    with pytest.raises(Forbidden):
        services.dataset_transition(account=cast.other_publisher, dataset=dataset, to="deleted")
    with pytest.raises(Forbidden):
        services.dataset_create(account=cast.other_publisher, data={**support.AIR, "name": "x-y"})
    dataset.refresh_from_db()
    assert dataset.title == support.AIR["title"]
    assert dataset.state == "published"


def test_bad_input_is_refused_field_by_field_and_nothing_is_created(cast: Cast) -> None:
    before = Dataset.objects.count()
    with pytest.raises(ValidationFailed) as refused:
        services.dataset_create(
            account=cast.publisher,
            data={
                **support.AIR,
                "name": "Tên Có Dấu",
                "license_id": "no-such-licence",
                "frequency": "every-minute",
                "spatial": ["99"],
                "temporal_start": "31/12/2025",
                "temporal_end": "01/01/2025",
                "groups": [{"name": "khong-co"}],
            },
        )
    fields = {error.field for error in refused.value.errors}
    assert fields == {"name", "license_id", "frequency", "spatial", "temporal_end", "groups"}
    assert Dataset.objects.count() == before


def test_a_name_is_taken_once(cast: Cast) -> None:
    support.air_quality(cast)
    with pytest.raises(ValidationFailed) as refused:
        support.air_quality(cast)
    assert [e.field for e in refused.value.errors] == ["name"]


def test_the_lifecycle_goes_forward_and_deleted_is_final(cast: Cast) -> None:
    dataset = support.air_quality(cast)
    services.dataset_transition(account=cast.publisher, dataset=dataset, to="deprecated")
    assert selectors.dataset_get(account=None, ref=dataset.name).state == "deprecated"
    services.dataset_transition(account=cast.publisher, dataset=dataset, to="deleted")
    with pytest.raises(NotFound):
        selectors.dataset_get(account=None, ref=dataset.name)
    with pytest.raises(Conflict):
        services.dataset_transition(account=cast.publisher, dataset=dataset, to="published")
    assert _actions(dataset)[-2:] == ["opendata.dataset.deprecated", "opendata.dataset.deleted"]


def test_the_freshness_flag_is_raised_when_the_frequency_is_missed(cast: Cast) -> None:
    dataset = support.air_quality(cast)  # monthly
    today = timezone.now().date()
    assert not dataset.is_stale(today)
    assert not dataset.is_stale(today + datetime.timedelta(days=38))
    assert dataset.is_stale(today + datetime.timedelta(days=40))
    services.dataset_update(
        account=cast.publisher, dataset=dataset, data={"frequency": "irregular"}, partial=True
    )
    dataset.refresh_from_db()
    assert not dataset.is_stale(today + datetime.timedelta(days=400))


def test_search_matches_with_and_without_diacritics_and_ranks_titles_first(cast: Cast) -> None:
    support.air_quality(cast)
    services.dataset_create(
        account=cast.other_publisher,
        data={
            "name": "danh-sach-truong-hoc", "title": "Danh sách trường học",
            "notes": "Trường gần trạm đo không khí.", "owner_org": "so-gddt-hcm",
            "groups": [{"name": "giao-duc"}],
        },
    )  # fmt: skip
    for query in ("không khí", "khong khi", "KHÔNG KHI"):
        result = selectors.dataset_search(account=None, q=query)
        assert [d.name for d in result.datasets] == [
            "chat-luong-khong-khi-hcm-2025",
            "danh-sach-truong-hoc",
        ], query
    assert selectors.dataset_search(account=None, q="truong hoc").count == 1
    facets = selectors.dataset_search(
        account=None, facet_fields=("organization", "groups", "res_format", "province")
    ).facets
    assert facets["organization"] == {"so-gddt-hcm": 1, "so-tnmt-hcm": 1}
    assert facets["res_format"] == {"CSV": 1}
    assert facets["province"] == {"79": 1}
    filtered = selectors.dataset_search(
        account=None, filters=selectors.parse_fq('groups:"giao-duc"')
    )
    assert [d.name for d in filtered.datasets] == ["danh-sach-truong-hoc"]


@pytest.mark.parametrize("inline_ids", [0, 3000])
def test_ranking_paging_sorting_and_facets_of_a_query(
    cast: Cast, inline_ids: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Scores, recency, what the caller may see, and facets counted from the matches —
    the same whether the matches travel as ids or as a subquery."""
    from nentang.opendata.selectors import catalogue

    monkeypatch.setattr(catalogue, "INLINE_IDS", inline_ids)
    support.air_quality(cast)
    for n, title in enumerate(("Không khí quận 1", "Nước sạch", "Không khí Cần Giờ")):
        services.dataset_create(
            account=cast.other_publisher,
            data={"name": f"khong-khi-{n}", "title": title, "owner_org": "so-gddt-hcm",
                  "notes": "Đo không khí." if n == 1 else ""},
        )  # fmt: skip
    services.dataset_create(
        account=cast.other_publisher,
        data={"name": "khong-khi-nhap", "title": "Không khí (nháp)", "owner_org": "so-gddt-hcm",
              "state": "draft"},
    )  # fmt: skip
    everything = [d.name for d in selectors.dataset_search(account=None, q="khong khi").datasets]
    # Titles before a description (the engines weigh titles differently from each other,
    # BM25 against ts_rank, but both weigh a title over a description).
    assert set(everything[:3]) == {"khong-khi-0", "khong-khi-2", "chat-luong-khong-khi-hcm-2025"}
    assert everything[3] == "khong-khi-1"
    ranked = selectors.dataset_search(
        account=None, q="khong khi", rows=3, start=1, facet_fields=("organization",)
    )
    assert ranked.count == 4
    assert [d.name for d in ranked.datasets] == everything[1:4]
    assert ranked.facets == {"organization": {"so-gddt-hcm": 3, "so-tnmt-hcm": 1}}
    faceted = selectors.dataset_search(
        account=None, q="khong khi", facet_fields=selectors.FACETS
    ).facets
    assert faceted == {
        "organization": {"so-gddt-hcm": 3, "so-tnmt-hcm": 1}, "groups": {"moi-truong": 1},
        "tags": {"AQI": 1, "không khí": 1}, "res_format": {"CSV": 1}, "province": {"79": 1},
        "license_id": {"cc-by-4.0": 4},
    }  # fmt: skip
    by_name = selectors.dataset_search(account=None, q="khong khi", sort="name desc", rows=2)
    assert [d.name for d in by_name.datasets] == ["khong-khi-2", "khong-khi-1"]
