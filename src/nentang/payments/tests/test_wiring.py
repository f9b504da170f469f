"""The payments context is installed, wired and has its place in the contracts."""

from __future__ import annotations

import tomllib
from pathlib import Path

from django.apps import apps
from django.conf import settings

from nentang.kernel import demodata

PYPROJECT = Path(__file__).resolve().parents[4] / "pyproject.toml"


def test_the_app_is_installed_in_dependency_order() -> None:
    assert apps.is_installed("nentang.payments")
    assert "nentang.payments" in settings.NENTANG_APPS


def test_its_demo_loader_is_registered() -> None:
    demodata.discover()

    assert "payments" in [loader.context for loader in demodata.registered([])]


def test_it_is_entered_only_through_its_services_and_selectors() -> None:
    contracts = tomllib.loads(PYPROJECT.read_text(encoding="utf-8"))["tool"]["importlinter"]

    assert "payments-entry" in [contract.get("id") for contract in contracts["contracts"]]
