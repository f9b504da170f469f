"""The benchmark harness on a fake benchmark: result file, summary line, CLI, parsers.

No timing is asserted anywhere: the fake benchmark returns fixed numbers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from bench import (
    Benchmark,
    BenchmarkError,
    Context,
    Param,
    Sample,
    _harness,
    _serve,
    _wrk,
    register,
    unregister,
)
from bench import __main__ as bench_cli

FAKE = "fake-bench"
SUMMARY = re.compile(
    r"^(?P<name>[a-z0-9-]+): (?P<scenario_label>.+?) (?P<scenario>[\d,.]+) (?P<unit>\S+)"
    r" vs (?P<baseline_label>.+?) (?P<baseline>[\d,.]+) (?P=unit)"
    r" → ratio (?P<ratio>\d+\.\d\d) \(target (?P<cmp>[≥≤]) (?P<target>[\d.]+)\)(?:; .+)?$"
)


# What the fake benchmark's functions were called for, by benchmark name.
CALLS: dict[str, list[str]] = {}


def _fake(name: str = FAKE, *, higher_is_better: bool = True) -> Benchmark:
    calls: list[str] = []
    CALLS[name] = calls

    @contextmanager
    def setup(context: Context) -> Iterator[None]:
        context.facts["fake_server"] = "up"
        calls.append("setup")
        yield
        calls.append("teardown")

    def scenario(context: Context) -> Sample:
        calls.append("scenario")
        return Sample(value=1234.0, details={"latency_p50_ms": 2.0, "note": "fixed"})

    def baseline(context: Context) -> Sample:
        calls.append("baseline")
        scale = float(context.params["scale"])
        return Sample(value=2468.0 * scale, details={"latency_p50_ms": 1.0})

    return Benchmark(
        name=name,
        description="a fake benchmark for the harness tests",
        unit="req/s",
        target=0.5,
        higher_is_better=higher_is_better,
        scenario=scenario,
        baseline=baseline,
        scenario_label="fake",
        baseline_label="fake baseline",
        params={"scale": Param(1.0, "multiplies the baseline")},
        setup=setup,
        warmup=lambda context: calls.append("warmup"),
        summary_details=lambda s, b: f"p50 {s['latency_p50_ms']:g} vs {b['latency_p50_ms']:g} ms",
    )


@pytest.fixture
def fake() -> Iterator[Benchmark]:
    benchmark = register(_fake())
    yield benchmark
    unregister(FAKE)


def test_run_writes_a_valid_json_result(fake: Benchmark, tmp_path: Path) -> None:
    outcome = _harness.run(fake, repeats=3, results_dir=tmp_path, quiet=True)

    assert outcome.path is not None
    assert outcome.path.parent == tmp_path
    assert re.fullmatch(rf"{FAKE}-\d{{8}}T\d{{6}}Z\.json", outcome.path.name)
    result = json.loads(outcome.path.read_text(encoding="utf-8"))
    assert result["benchmark"] == FAKE
    assert result["unit"] == "req/s"
    assert result["parameters"] == {"scale": 1.0, "repeats": 3}
    assert result["scenario"]["values"] == [1234.0] * 3
    assert result["baseline"]["median"] == 2468.0
    assert result["ratio"] == pytest.approx(0.5)
    assert result["pair_ratios"] == [pytest.approx(0.5)] * 3
    assert result["meets_target"] is True
    assert result["scenario"]["details_median"] == {"latency_p50_ms": 2.0}
    assert result["facts"] == {"fake_server": "up"}
    machine = result["machine"]
    for key in ("cpu_count", "cpu_model", "python", "packages", "git_commit"):
        assert key in machine
    assert "Django" in machine["packages"]
    assert result["summary"] == outcome.summary


def test_runs_alternate_scenario_and_baseline(fake: Benchmark, tmp_path: Path) -> None:
    outcome = _harness.run(fake, repeats=3, results_dir=tmp_path, quiet=True)

    kinds = [run["kind"] for run in outcome.result["runs"]]
    assert kinds == ["scenario", "baseline", "baseline", "scenario", "scenario", "baseline"]
    calls = CALLS[FAKE]
    assert calls[:2] == ["setup", "warmup"]
    assert calls[-1] == "teardown"


def test_summary_line_format(fake: Benchmark) -> None:
    outcome = _harness.run(fake, {"scale": 4.0}, repeats=1, results_dir=None, quiet=True)

    assert outcome.path is None
    assert outcome.summary == (
        f"{FAKE}: fake 1,234 req/s vs fake baseline 9,872 req/s → ratio 0.12 (target ≥ 0.5);"
        " p50 2 vs 1 ms"
    )
    match = SUMMARY.match(outcome.summary)
    assert match is not None
    assert match["cmp"] == "≥"
    assert outcome.result["meets_target"] is False


def test_lower_is_better_flips_the_target() -> None:
    benchmark = _fake("fake-latency", higher_is_better=False)
    outcome = _harness.run(benchmark, repeats=1, results_dir=None, quiet=True)

    assert "(target ≤ 0.5)" in outcome.summary
    assert outcome.result["meets_target"] is True  # 0.5 ≤ 0.5


def test_unknown_parameter_is_refused(fake: Benchmark) -> None:
    with pytest.raises(BenchmarkError, match="no parameter"):
        _harness.run(fake, {"nope": 1}, results_dir=None, quiet=True)


def test_registering_a_name_twice_is_an_error(fake: Benchmark) -> None:
    with pytest.raises(ValueError, match="already registered"):
        register(_fake())


def test_cli_lists_and_runs(
    fake: Benchmark, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bench_cli.main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert "http-floor:" in listed
    assert f"{FAKE}:" in listed

    code = bench_cli.main([FAKE, "--repeats", "3", "--scale", "2", "--results-dir", str(tmp_path)])

    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert SUMMARY.match(lines[0]) is not None
    assert lines[0].startswith(
        f"{FAKE}: fake 1,234 req/s vs fake baseline 4,936 req/s → ratio 0.25"
    )
    (written,) = tmp_path.glob(f"{FAKE}-*.json")
    assert json.loads(written.read_text(encoding="utf-8"))["parameters"]["scale"] == 2.0


def test_cli_check_fails_below_target(fake: Benchmark, tmp_path: Path) -> None:
    code = bench_cli.main(
        [FAKE, "--repeats", "1", "--scale", "4", "--check", "--results-dir", str(tmp_path)]
    )
    assert code == 1


def test_value_formatting() -> None:
    assert _harness.format_value(21050.4) == "21,050"
    assert _harness.format_value(0.2049) == "0.205"
    assert _harness.format_value(42.0) == "42"


WRK_OUTPUT = """\
Running 10s test @ http://127.0.0.1:8000/api/v1/ping
  1 threads and 64 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    15.20ms    3.10ms  80.00ms   90.00%
    Req/Sec     4.21k   300.00     4.80k    70.00%
  Latency Distribution
     50%   14.90ms
     75%   16.00ms
     90%   18.20ms
     99%    1.02s
  42100 requests in 10.00s, 9.10MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 3
Requests/sec:   4210.00
Transfer/sec:      0.91MB
"""


def test_wrk_output_is_parsed() -> None:
    result = _wrk.parse(WRK_OUTPUT)

    assert result.requests_per_second == 4210.0
    assert result.requests == 42100
    assert result.duration_s == 10.0
    assert result.latency_ms["p50"] == pytest.approx(14.9)
    assert result.latency_ms["p99"] == pytest.approx(1020.0)
    assert result.latency_ms["avg"] == pytest.approx(15.2)
    assert result.non_2xx == 3
    assert result.socket_errors == {"connect": 0, "read": 2, "write": 0, "timeout": 1}
    assert result.errors == 6


def test_missing_wrk_fails_with_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bench._wrk.shutil.which", lambda name: None)
    with pytest.raises(BenchmarkError) as caught:
        _wrk.require_wrk()
    message = str(caught.value)
    assert "apt-get install -y wrk" in message
    assert message.endswith(".")
    assert "\n" not in message


def test_load_generator_stays_on_loopback() -> None:
    with pytest.raises(BenchmarkError, match="loopback"):
        _wrk.run("http://example.org/", threads=1, connections=1, duration="1s")


def test_server_settings_round_trip() -> None:
    from granian.constants import Interfaces, Loops
    from granian.http import HTTP1Settings

    kwargs = {
        "address": "127.0.0.1",
        "port": 8000,
        "interface": Interfaces.ASGINL,
        "workers": 2,
        "log_access": False,
        "http1_settings": HTTP1Settings(keep_alive=True),
    }
    encoded = _serve.encode(kwargs)
    json.dumps(encoded)  # JSON-safe
    merged = _serve.apply_overrides(
        encoded,
        _serve.parse_overrides(["loop=uvloop", "runtime_threads=2", "http1.pipeline_flush=true"]),
    )
    decoded = _serve.decode(merged)

    assert decoded["interface"] is Interfaces.ASGINL
    assert decoded["loop"] is Loops.uvloop
    assert decoded["runtime_threads"] == 2
    assert decoded["http1_settings"].pipeline_flush is True
    assert decoded["http1_settings"].keep_alive is True
