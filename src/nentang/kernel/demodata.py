"""Registry of demo-data loaders, one per context, run by ``nentang demo``.

A context registers its loader in its own ``demo.py``::

    @demodata.loader("identity", accounts=[...])
    def load(progress: demodata.Progress) -> None: ...

Loaders must be idempotent: running ``nentang demo`` twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol


class Progress(Protocol):
    """What a loader may report: a task of ``total`` steps, advanced as it goes."""

    def start(self, description: str, total: int) -> None: ...

    def advance(self, steps: int = 1) -> None: ...


@dataclass(frozen=True)
class DemoAccount:
    role: str
    login: str
    password: str
    note: str = ""
    # Give it the documented demo authenticator (pages that need a second factor:
    # staff always have one; a merchant's or an agent's operator needs one too).
    second_factor: bool = False


@dataclass(frozen=True)
class Loader:
    context: str
    load: Callable[[Progress], None]
    accounts: tuple[DemoAccount, ...] = field(default_factory=tuple)
    # Lines to print after loading (client ids …), computed after the load ran.
    summary: Callable[[], list[str]] | None = None


_LOADERS: dict[str, Loader] = {}


def loader(
    context: str,
    *,
    accounts: tuple[DemoAccount, ...] = (),
    summary: Callable[[], list[str]] | None = None,
) -> Callable[[Callable[[Progress], None]], Callable[[Progress], None]]:
    def register(function: Callable[[Progress], None]) -> Callable[[Progress], None]:
        _LOADERS[context] = Loader(
            context=context, load=function, accounts=tuple(accounts), summary=summary
        )
        return function

    return register


def registered(order: list[str]) -> list[Loader]:
    """Loaders in the order of ``order`` (settings.NENTANG_APPS labels), others last."""
    rank = {name: index for index, name in enumerate(order)}
    return sorted(
        _LOADERS.values(), key=lambda item: (rank.get(item.context, 10_000), item.context)
    )


def discover() -> None:
    """Import ``demo`` of every installed app so their loaders register."""
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("demo")


class SilentProgress:
    def start(self, description: str, total: int) -> None:
        return None

    def advance(self, steps: int = 1) -> None:
        return None


def scaled(count: int) -> int:
    """``count`` generated items scaled by ``NENTANG_DEMO_PERCENT`` (at least one): the
    tests that run ``nentang demo`` load a tenth, a newcomer the full demo."""
    from django.conf import settings

    percent = int(getattr(settings, "NENTANG_DEMO_PERCENT", 100))
    return max(1, count * percent // 100) if count else 0
