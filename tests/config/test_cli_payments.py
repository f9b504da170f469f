"""`nentang payments reconcile` passes on a sound ledger and names the first account
whose stored totals differ from its entries."""

from __future__ import annotations

import uuid

import pytest
from click.testing import CliRunner
from django.apps import apps

from nentang.config.cli import cli
from nentang.kernel.auditing import Actor
from nentang.payments import services
from nentang.payments.services import TransferInput

pytestmark = pytest.mark.django_db


def test_reconcile_passes_then_names_the_tampered_account() -> None:
    actor = Actor.system("test")
    bank = services.system_account("system:bank-settlement")
    bob = services.account_open(actor=actor, code="wallet:bob", kind="wallet", name="Bob")
    services.transfer_create(
        actor=actor,
        transfer=TransferInput(
            id=uuid.uuid4(),
            debit_account_id=bank.id,
            credit_account_id=bob.id,
            amount=40_000,
            code="fund",
        ),
    )
    runner = CliRunner()

    sound = runner.invoke(cli, ["payments", "reconcile"])
    assert sound.exit_code == 0, sound.output
    assert "ledger reconciled" in sound.output

    apps.get_model("payments", "Account").objects.filter(pk=bob.pk).update(credits_posted=40_001)
    tampered = runner.invoke(cli, ["payments", "reconcile"])

    assert tampered.exit_code == 1
    assert "account wallet:bob differs: credits_posted stored 40001" in tampered.output
