"""A partner agency's refusal of its part, in the statistics and under attack.

Classification (docs/publicservices.md, "Statistics"): a dossier whose partner refused
its part is still one dossier, received once and finished once — completed, with the
whole dossier's SLA outcome, since the applicant got a decision on every part and the
ward's result — and each refused part is counted apart (``parts_refused``), so the
agency sees how many parts its partners refused.

Then the newest endpoints as an attacker tries them: the result-status API and page
with odd codes and agencies, and two refusals of the same part at once on PostgreSQL.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from nentang.audit.services import security_defaults_install
from nentang.kernel.errors import ProblemError
from nentang.publicservices import selectors, services
from nentang.publicservices.models import DailyStatistics, Dossier, DossierAction
from nentang.publicservices.services.statistics import statistics_rebuild
from nentang.publicservices.tests import support
from nentang.publicservices.tests.support import Cast
from nentang.publicservices.tests.test_handoff import (
    INSURANCE,
    POLICE,
    partners,
    signed_in,
    submitted_and_registered,
)


def refused_and_completed(cast: Cast) -> tuple[Dossier, Any, Any]:
    """The ward police refuse the permanent residence; the card is issued; the ward
    completes the dossier."""
    police, insurance = partners(cast)
    dossier = submitted_and_registered(cast)
    services.dossier_hand_off(actor=cast.processing, dossier_id=dossier.pk, reason="Thường trú")
    services.dossier_refuse_part(actor=police, dossier_id=dossier.pk, reason="Chỗ ở không hợp pháp")
    services.dossier_hand_off(actor=insurance, dossier_id=dossier.pk, reason="Đã cấp thẻ BHYT")
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)
    dossier.refresh_from_db()
    assert dossier.state == "completed"
    return dossier, police, insurance


@pytest.mark.django_db
def test_a_dossier_with_a_refused_part_counts_completed_and_its_part_refused(cast: Cast) -> None:
    dossier, _police, _insurance = refused_and_completed(cast)

    assert dossier.parts_refused == 1
    [row] = selectors.service_statistics(agency="ubnd-phuong-sai-gon")
    assert (row.received, row.finished, row.in_progress) == (1, 1, 0)
    assert (row.early + row.on_time + row.late, row.parts_refused) == (1, 1)
    assert row.average_days is not None  # completed: it has a processing time
    assert selectors.service_statistics() == selectors.statistics_recount()
    [measure] = selectors.statistics_measures([row], by="all")
    assert (measure.finished, measure.parts_refused) == (1, 1)
    # A rebuild recounts the same, from the dossiers.
    before = list(DailyStatistics.objects.values())
    statistics_rebuild()
    assert [
        {k: v for k, v in r.items() if k != "id"} for r in DailyStatistics.objects.values()
    ] == [{k: v for k, v in r.items() if k != "id"} for r in before]
    # The ward's officers see it on their statistics page, in Vietnamese.
    page = signed_in(cast.processing).get("/officer/statistics")
    assert page.context["total"]["parts_refused"] == 1
    assert "Phần việc bị cơ quan phối hợp từ chối" in page.content.decode()


@pytest.mark.django_db
def test_a_dossier_without_a_refused_part_counts_none(cast: Cast) -> None:
    police, insurance = partners(cast)
    dossier = submitted_and_registered(cast)
    for actor in (cast.processing, police, insurance):
        services.dossier_hand_off(actor=actor, dossier_id=dossier.pk, reason="Chuyển")
    services.dossier_issue_result(actor=cast.processing, dossier_id=dossier.pk)

    [row] = selectors.service_statistics(agency="ubnd-phuong-sai-gon")
    assert (row.finished, row.parts_refused) == (1, 0)
    page = signed_in(cast.processing).get("/officer/statistics").content.decode()
    assert "Phần việc bị cơ quan phối hợp từ chối" not in page


@pytest.mark.django_db
def test_the_result_status_api_and_page_refuse_odd_input_with_404s(cast: Cast) -> None:
    dossier, _police, _insurance = refused_and_completed(cast)
    code = str(dossier.receipt_code)
    anyone = Client()
    api = f"/api/v1/result-status/{code}"
    assert anyone.get(api, {"issuer": INSURANCE}).json()["status"] == "valid"
    # A NUL in a query parameter is refused before any view (422, kernel); the rest are
    # as unknown as a wrong code.
    odd_issuers = [
        (POLICE, 404),  # it refused its part: it issued nothing
        ("ubnd-phuong-sai-gon", 404),  # the receiving agency's result has no issuer
        ("bhxh-tp-hcm\x00", 422),
        ("\x00", 422),
        (INSURANCE + "x" * 100_000, 404),
        ("' OR 1=1 --", 404),
        ("bhxh-tp-hcm%", 404),
    ]
    for issuer, status in odd_issuers:
        answer = anyone.get(api, {"issuer": issuer})
        assert answer.status_code == status, (issuer[:20], answer.content[:200])
        assert answer["Content-Type"].startswith("application/problem+json")
        page = anyone.get("/results/verify", {"code": code, "issuer": issuer})
        assert page.status_code in (404, 422), issuer[:20]
    for odd_code in (code + "\x00", "%00", "x" * 10_000, code.lower() + "'--"):
        answer = anyone.get(f"/api/v1/result-status/{odd_code}", {"issuer": INSURANCE})
        assert answer.status_code == 404, odd_code[:20]
        page = anyone.get("/results/verify", {"code": odd_code, "issuer": INSURANCE})
        assert page.status_code == 404, odd_code[:20]
    # Nothing personal in a valid answer: the code, the status and the agency only.
    assert set(anyone.get(api, {"issuer": INSURANCE}).json()) == {
        "receipt_code",
        "status",
        "label",
        "issuer",
        "issuer_name",
    }


@pytest.mark.django_db
def test_refuse_part_with_odd_ids_and_reasons_changes_nothing(cast: Cast) -> None:
    police, _insurance = partners(cast)
    dossier = submitted_and_registered(cast)
    services.dossier_hand_off(actor=cast.processing, dossier_id=dossier.pk, reason="Thường trú")
    client = signed_in(police)
    for odd_id in ("00000000-0000-0000-0000-000000000000", "x\x00y", "1" * 5000):
        answer = client.post(
            f"/api/v1/tasks/{odd_id}/complete",
            {"action": "refuse_part", "reason": "Không"},
            content_type="application/json",
        )
        assert answer.status_code == 404, odd_id[:20]
    for reason in ("Chỗ ở\x00 không hợp pháp", "x" * 1_000_000):
        answer = client.post(
            f"/api/v1/tasks/{dossier.pk}/complete",
            {"action": "refuse_part", "reason": reason},
            content_type="application/json",
        )
        assert answer.status_code in (413, 422), (reason[:20], answer.status_code)
    dossier.refresh_from_db()
    assert (dossier.state, dossier.parts_refused) == ("residence", 0)
    assert not DossierAction.objects.filter(dossier=dossier, action="refuse_part").exists()


@pytest.mark.postgres_only
@pytest.mark.django_db(transaction=True)
def test_two_refusals_of_the_same_part_at_once_refuse_it_once() -> None:
    support.administrative_units()
    security_defaults_install()
    cast = support.cast()
    police, _insurance = partners(cast)
    dossier = submitted_and_registered(cast)
    services.dossier_hand_off(actor=cast.processing, dossier_id=dossier.pk, reason="Thường trú")
    start = threading.Barrier(6)
    outcomes: list[str] = []
    lock = threading.Lock()

    def refuse() -> None:
        try:
            start.wait()
            services.dossier_refuse_part(actor=police, dossier_id=dossier.pk, reason="Không")
            outcome = "refused"
        except ProblemError as error:
            outcome = error.code
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=refuse) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    # One refusal; the others find the dossier moved on (the police only read it now).
    assert sorted(outcomes) == ["dossier_handed_off"] * 5 + ["refused"]
    dossier.refresh_from_db()
    assert (dossier.state, dossier.handler_id, dossier.parts_refused) == (
        "health_insurance",
        INSURANCE,
        1,
    )
    assert DossierAction.objects.filter(dossier=dossier, action="refuse_part").count() == 1
    assert selectors.service_statistics() == selectors.statistics_recount()
