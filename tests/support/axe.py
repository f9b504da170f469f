"""axe-core (through axe-playwright-python, which ships it: nothing is fetched) on a page
open in Playwright: the violations a test must not accept."""

from __future__ import annotations

from typing import Any

BLOCKING = ("serious", "critical")
EVERY_IMPACT = ("minor", "moderate", "serious", "critical")


def axe_violations(page: Any, impacts: tuple[str, ...] = BLOCKING) -> list[str]:
    """One line per violation of the given impacts: rule, impact, how many nodes, and
    the first offending element, so a failure says what to fix."""
    from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]

    results = Axe().run(page)
    found = []
    for violation in results.response.get("violations", []):
        if violation.get("impact") not in impacts:
            continue
        nodes = violation.get("nodes", [])
        first = nodes[0].get("html", "")[:160] if nodes else ""
        found.append(f"{violation['id']} ({violation['impact']}, {len(nodes)}×): {first}")
    return found
