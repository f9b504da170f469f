"""The small API a benchmark module uses: describe a scenario, its baseline and a target.

A benchmark module ``bench/<name>.py`` builds a :class:`Benchmark` and passes it to
:func:`register` at import time; ``python -m bench`` imports every public module of the
package, so adding a file is all it takes to add a benchmark.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ParamValue = int | float | str | bool
Detail = int | float | str


class BenchmarkError(Exception):
    """The benchmark cannot run or its measurement is invalid; the message is one sentence."""


@dataclass(frozen=True)
class Param:
    """An option of one benchmark, offered on the command line as ``--<name>``."""

    default: ParamValue
    help: str


@dataclass(frozen=True)
class Sample:
    """One measurement: the headline number in the benchmark's unit, plus details.

    Numeric details (latency percentiles, error counts …) get a median across runs in
    the result file; string details are kept per run only.
    """

    value: float
    details: Mapping[str, Detail] = field(default_factory=dict)


@dataclass
class Context:
    """What scenario, baseline, setup and warm-up functions receive."""

    params: Mapping[str, ParamValue]
    workdir: Path
    # Facts about this run that belong in the result file (server settings, tool versions).
    facts: dict[str, Any] = field(default_factory=dict)
    # Free space for setup to hand things (URLs, handles) to the measuring functions.
    state: dict[str, Any] = field(default_factory=dict)
    quiet: bool = False

    def log(self, message: str) -> None:
        if not self.quiet:
            print(f"  {message}", file=sys.stderr, flush=True)


Measure = Callable[[Context], Sample]
Setup = Callable[[Context], AbstractContextManager[None]]


@contextmanager
def _no_setup(context: Context) -> Iterator[None]:
    yield


@dataclass(frozen=True)
class Benchmark:
    """A scenario of nentang and the baseline it is compared with, in the same run.

    ``ratio`` is always ``scenario / baseline``. With ``higher_is_better`` (throughput)
    the target is met when ``ratio >= target``; otherwise (latency, time) when
    ``ratio <= target``.
    """

    name: str
    description: str
    unit: str
    target: float
    scenario: Measure
    baseline: Measure
    higher_is_better: bool = True
    scenario_label: str = "nentang"
    baseline_label: str = "baseline"
    params: Mapping[str, Param] = field(default_factory=dict)
    setup: Setup = _no_setup
    warmup: Callable[[Context], None] | None = None
    repeats: int = 3
    # Distributions whose versions matter to this benchmark, beyond the usual ones.
    packages: tuple[str, ...] = ()
    # Optional tail of the summary line, from the median details of scenario and baseline.
    summary_details: Callable[[Mapping[str, float], Mapping[str, float]], str] | None = None


_REGISTRY: dict[str, Benchmark] = {}


def register(benchmark: Benchmark) -> Benchmark:
    """Make a benchmark known to ``python -m bench``; registering a name twice is an error."""
    existing = _REGISTRY.get(benchmark.name)
    if existing is not None and existing is not benchmark:
        raise ValueError(f"a benchmark named {benchmark.name!r} is already registered")
    if benchmark.repeats < 1:
        raise ValueError("a benchmark repeats its measurement at least once")
    _REGISTRY[benchmark.name] = benchmark
    return benchmark


def unregister(name: str) -> None:
    _REGISTRY.pop(name, None)


def registered() -> dict[str, Benchmark]:
    return dict(sorted(_REGISTRY.items()))
