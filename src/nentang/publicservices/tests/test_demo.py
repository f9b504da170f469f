"""The demo loader: dossiers in several states through the services, An's newborn
waiting for approval, the past months' dossiers consistent with their receipt codes, logs
and SLA outcomes, and nothing more on a second run."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict

import pytest
from django.apps import apps
from django.utils import timezone

from nentang.kernel import demodata
from nentang.publicservices import selectors
from nentang.publicservices.models import Dossier, DossierAction, ReceiptCounter
from nentang.publicservices.services.common import procedure_of
from nentang.publicservices.workflow import Step, replay

pytestmark = pytest.mark.django_db


class Quiet:
    def start(self, description: str, total: int) -> None:
        pass

    def advance(self, steps: int = 1) -> None:
        pass


def test_the_demo_loads_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from nentang.audit.services import security_defaults_install
    from nentang.publicservices import demo

    monkeypatch.setattr("nentang.publicservices.demo.DEFAULT_DOSSIERS", 12)
    monkeypatch.setattr("nentang.publicservices.demo.DEFAULT_HISTORY", 80)
    # identity's loader (found through the registry: its module is not ours to import)
    # makes the citizens and the Sài Gòn officer; a few generated people are enough.
    monkeypatch.setattr("nentang.identity.demo.GENERATED", 20)
    security_defaults_install()
    demodata.discover()
    [identity_loader] = [x for x in demodata.registered([]) if x.context == "identity"]
    identity_loader.load(Quiet())
    demo.load(Quiet())

    assert Dossier.objects.count() == 12 + 3 + 80
    assert Dossier.objects.filter(state="approval", procedure_slug="dang-ky-khai-sinh").exists()
    assert Dossier.objects.filter(state="residence", handler_id="cong-an-phuong-sai-gon").exists()
    # A completed interconnected dossier whose residence part the police refused, and the
    # social-insurance office's card, verifiable by its code (the journey is walkable).
    [refused] = Dossier.objects.filter(parts_refused=1, state="completed")
    check = selectors.result_status(receipt_code=str(refused.receipt_code), issuer="bhxh-tp-hcm")
    assert (check.status, check.issuer) == ("valid", "bhxh-tp-hcm")
    assert any(
        f"/results/verify?code={refused.receipt_code}&issuer=bhxh-tp-hcm" in line
        for line in demo._summary()
    )
    assert len(set(Dossier.objects.values_list("state", flat=True))) >= 3
    _the_past_is_consistent()
    demo.load(Quiet())
    assert Dossier.objects.count() == 95


def _the_past_is_consistent() -> None:
    today = timezone.localdate()
    received = Dossier.objects.exclude(received_at=None)
    days = {timezone.localdate(d.received_at) for d in received}
    assert len(days) > 20
    assert min(days) < today - datetime.timedelta(days=60)
    # Receipt codes: the date of receipt, and per unit and day 0001… with no gap.
    numbers: dict[tuple[str, str], list[int]] = defaultdict(list)
    for dossier in received:
        unit, day, number = str(dossier.receipt_code).rsplit("-", 2)
        assert day == f"{timezone.localdate(dossier.received_at):%y%m%d}"
        numbers[(unit, day)].append(int(number))
    for key, got in numbers.items():
        assert sorted(got) == list(range(1, len(got) + 1)), key
        counter = ReceiptCounter.objects.get(
            unit__unit_code=key[0], day=datetime.datetime.strptime(key[1], "%y%m%d").date()
        )
        assert counter.last == len(got)
    # Logs replay to the cached state, in time order; outcomes from the completion day.
    outcomes = set()
    for dossier in Dossier.objects.all():
        log = list(DossierAction.objects.filter(dossier=dossier).order_by("seq"))
        steps = [Step(a.action, a.payload) for a in log]
        assert replay(procedure_of(dossier).workflow, steps) == dossier.state
        assert [a.at for a in log] == sorted(a.at for a in log)
        if dossier.sla_outcome:
            outcomes.add(dossier.sla_outcome)
            done = timezone.localdate(dossier.completed_at)
            assert dossier.due_date is not None
            expected = "early" if done < dossier.due_date else "on_time"
            assert dossier.sla_outcome == (expected if done <= dossier.due_date else "late")
    assert outcomes == {"early", "on_time", "late"}
    # Every action of every log, generated or made through the services, has its
    # audit entry (the generated ones as the services write them).
    entries = apps.get_model("audit", "AuditEntry").objects.filter(
        subject_type="publicservices.dossier"
    )
    audited = Counter(entries.values_list("subject", "action"))
    logged = Counter(
        (str(dossier), f"publicservices.dossier.{action}")
        for dossier, action in DossierAction.objects.values_list("dossier_id", "action")
    )
    assert {key: audited[key] for key in logged} == logged
    past = entries.filter(summary__has_key="at").first()
    assert past is not None
    assert {"from", "to", "procedure"} <= set(past.summary)
    # The roll-up agrees with a recount.
    since = today - datetime.timedelta(days=400)
    assert selectors.service_statistics(since=since) == selectors.statistics_recount(since=since)
