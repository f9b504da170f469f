"""Runs a benchmark: alternating scenario/baseline measurements, medians, JSON, summary."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, ParamValue, Sample

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_ROOT = PACKAGE_DIR.parent
RESULTS_DIR = PACKAGE_DIR / "results"

# Versions recorded with every result, whether or not the benchmark uses them.
KEY_PACKAGES = (
    "Django",
    "django-ninja",
    "granian",
    "asgiref",
    "pydantic",
    "whitenoise",
    "django-htmx",
    "prometheus-client",
    "python-json-logger",
    "uvicorn",
    "uvloop",
)


def discover() -> None:
    """Import every public module of the package: each registers its benchmarks."""
    for module in pkgutil.iter_modules([str(PACKAGE_DIR)]):
        if not module.name.startswith("_"):
            importlib.import_module(f"bench.{module.name}")


@dataclass(frozen=True)
class Outcome:
    benchmark: Benchmark
    result: dict[str, Any]
    path: Path | None
    summary: str


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_mb() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) // 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def package_versions(names: tuple[str, ...]) -> dict[str, str | None]:
    versions: dict[str, str | None] = {}
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return versions


def machine_facts(extra_packages: tuple[str, ...] = ()) -> dict[str, Any]:
    status = _git("status", "--porcelain", "--untracked-files=no")
    names = tuple(dict.fromkeys((*KEY_PACKAGES, *extra_packages)))
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
        "cpu_model": _cpu_model(),
        "memory_mb": _memory_mb(),
        "load_average": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "python_implementation": platform.python_implementation(),
        "packages": package_versions(names),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": None if status is None else bool(status),
    }


def format_value(value: float) -> str:
    """Thousands separators for big numbers, three significant digits for small ones."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def meets_target(benchmark: Benchmark, ratio: float) -> bool:
    return ratio >= benchmark.target if benchmark.higher_is_better else ratio <= benchmark.target


def summary_line(
    benchmark: Benchmark,
    scenario: float,
    baseline: float,
    ratio: float,
    details: str | None = None,
) -> str:
    comparison = "≥" if benchmark.higher_is_better else "≤"
    line = (
        f"{benchmark.name}: {benchmark.scenario_label} {format_value(scenario)} {benchmark.unit}"
        f" vs {benchmark.baseline_label} {format_value(baseline)} {benchmark.unit}"
        f" → ratio {ratio:.2f} (target {comparison} {benchmark.target:g})"
    )
    if details:
        line += f"; {details}"
    return line


def _median_details(samples: list[Sample]) -> dict[str, float]:
    keys = {
        key
        for sample in samples
        for key, value in sample.details.items()
        if isinstance(value, int | float) and not isinstance(value, bool)
    }
    medians: dict[str, float] = {}
    for key in sorted(keys):
        values = [float(s.details[key]) for s in samples if key in s.details]
        medians[key] = statistics.median(values)
    return medians


def _side(samples: list[Sample]) -> dict[str, Any]:
    values = [sample.value for sample in samples]
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "values": values,
        "details_median": _median_details(samples),
    }


def result_path(results_dir: Path, name: str, when: datetime) -> Path:
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    path = results_dir / f"{name}-{stamp}.json"
    counter = 1
    while path.exists():  # two runs within one second keep both files
        counter += 1
        path = results_dir / f"{name}-{stamp}-{counter}.json"
    return path


def run(
    benchmark: Benchmark,
    params: Mapping[str, ParamValue] | None = None,
    *,
    repeats: int | None = None,
    results_dir: Path | None = RESULTS_DIR,
    quiet: bool = False,
) -> Outcome:
    """Measure scenario and baseline ``repeats`` times each, alternating, and record it.

    The order alternates (S B, B S, S B …) so slow drift of the machine falls on both.
    ``results_dir=None`` skips writing the file.
    """
    values: dict[str, ParamValue] = {key: param.default for key, param in benchmark.params.items()}
    for key, value in (params or {}).items():
        if key not in benchmark.params:
            raise BenchmarkError(f"{benchmark.name} has no parameter {key!r}.")
        values[key] = value
    count = benchmark.repeats if repeats is None else repeats
    if count < 1:
        raise BenchmarkError("repeats must be at least 1.")

    started = datetime.now(UTC)
    clock = time.monotonic()
    facts = machine_facts(benchmark.packages)
    runs: list[dict[str, Any]] = []
    scenario_samples: list[Sample] = []
    baseline_samples: list[Sample] = []

    with tempfile.TemporaryDirectory(prefix=f"bench-{benchmark.name}-") as workdir:
        context = Context(params=values, workdir=Path(workdir), quiet=quiet)
        with benchmark.setup(context):
            if benchmark.warmup is not None:
                context.log("warming up")
                benchmark.warmup(context)
            for index in range(count):
                order = ("scenario", "baseline") if index % 2 == 0 else ("baseline", "scenario")
                for kind in order:
                    measure = benchmark.scenario if kind == "scenario" else benchmark.baseline
                    label = (
                        benchmark.scenario_label if kind == "scenario" else benchmark.baseline_label
                    )
                    run_started = datetime.now(UTC)
                    sample = measure(context)
                    (scenario_samples if kind == "scenario" else baseline_samples).append(sample)
                    runs.append(
                        {
                            "kind": kind,
                            "repeat": index,
                            "started_at": run_started.isoformat(timespec="seconds"),
                            "value": sample.value,
                            "details": dict(sample.details),
                        }
                    )
                    shown = f"{format_value(sample.value)} {benchmark.unit}"
                    context.log(f"{index + 1}/{count} {label}: {shown}")

    scenario = _side(scenario_samples)
    baseline = _side(baseline_samples)
    if baseline["median"] == 0:
        raise BenchmarkError(f"the baseline of {benchmark.name} measured zero; no ratio exists.")
    ratio = scenario["median"] / baseline["median"]
    pair_ratios = [
        s.value / b.value
        for s, b in zip(scenario_samples, baseline_samples, strict=True)
        if b.value
    ]
    details = None
    if benchmark.summary_details is not None:
        details = benchmark.summary_details(scenario["details_median"], baseline["details_median"])
    summary = summary_line(benchmark, scenario["median"], baseline["median"], ratio, details)
    result: dict[str, Any] = {
        "benchmark": benchmark.name,
        "description": benchmark.description,
        "started_at": started.isoformat(timespec="seconds"),
        "duration_s": round(time.monotonic() - clock, 1),
        "machine": facts,
        "parameters": {**values, "repeats": count},
        "unit": benchmark.unit,
        "higher_is_better": benchmark.higher_is_better,
        "labels": {"scenario": benchmark.scenario_label, "baseline": benchmark.baseline_label},
        "scenario": scenario,
        "baseline": baseline,
        "ratio": ratio,
        "pair_ratios": pair_ratios,
        "target": benchmark.target,
        "meets_target": meets_target(benchmark, ratio),
        "facts": context.facts,
        "runs": runs,
        "summary": summary,
    }
    path = None
    if results_dir is not None:
        results_dir.mkdir(parents=True, exist_ok=True)
        path = result_path(results_dir, benchmark.name, started)
        path.write_text(
            json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )
    return Outcome(benchmark=benchmark, result=result, path=path, summary=summary)
