"""The demo loader builds agents, merchants, fee accounts and An's wallet with months of
history, through the services, and changes nothing when run again."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps

from nentang.payments import selectors, services
from nentang.payments.demo import AGENCY_CODE, AN_ID, load
from nentang.payments.models import Entry, Transfer
from nentang.payments.tests.support import person

pytestmark = pytest.mark.django_db


class Quiet:
    def start(self, description: str, total: int) -> None:
        return None

    def advance(self, steps: int = 1) -> None:
        return None


def test_the_demo_is_idempotent_and_reconciles() -> None:
    an: Any = person("Nguyễn Văn An")
    an.id_number = AN_ID
    an.save(update_fields=["id_number"])
    apps.get_model("identity", "Agency").objects.create(
        code=AGENCY_CODE, name="UBND phường Sài Gòn", kind="commune", province_code="79"
    )

    load(Quiet())
    counts = (Transfer.objects.count(), Entry.objects.count())
    load(Quiet())

    assert (Transfer.objects.count(), Entry.objects.count()) == counts
    wallet = services.wallet_of_person(person_id=an.id)
    statement = selectors.account_statement(account=wallet.account, limit=100)
    # Six months of one top-up and 13 payments, then this month's top-up, bánh mì and fee.
    assert len(statement.items) == 6 * (1 + 13) + 3
    usage = {u.category: u.used for u in services.wallet_usage(wallet=wallet)}
    assert usage["essential"] == 50_000
    assert selectors.ledger_reconcile().ok
