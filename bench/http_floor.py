"""http-floor: requests/s of ``GET /api/v1/ping`` through the whole nentang stack.

Scenario: ``nentang serve`` (every middleware, Granian, N workers, SQLite in a temporary
NENTANG_HOME, JSON access log to a file). Baseline: a bare ASGI app sending the very same
response bytes (status, body, every header), served by the same Granian with the
settings ``nentang serve`` gave it. Both are loaded by the same wrk command, alternately,
on loopback. ``http-floor-django`` swaps the baseline for a middleware-less Django view.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass

from bench import _servers, _wrk
from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register

PATH = "/api/v1/ping"
EXPECTED_BODY = b'{"status": "ok"}'
# Added by the server itself, or different on every response.
_NOT_COPIED = {"server", "date", "content-length", "connection", "transfer-encoding"}


def _environment(context: Context) -> dict[str, str]:
    home = context.workdir / "home"
    return {
        "NENTANG_HOME": str(home),
        "NENTANG_DATABASE_URL": f"sqlite:///{home}/nentang.sqlite3",
        "NENTANG_DEBUG": "false",
        "NENTANG_LOG_FORMAT": "json",
        "NENTANG_LOG_LEVEL": "INFO",
    }


def _server_arguments(context: Context) -> list[str]:
    arguments = ["--server", str(context.params["server"])]
    for item in str(context.params["server_options"]).split(","):
        if item.strip():
            arguments += ["--override", item.strip()]
    return arguments


@dataclass(frozen=True)
class Baseline:
    """The app the scenario is compared with, served like nentang."""

    label: str
    target: str  # module:attribute of an ASGI app


BARE_ASGI = Baseline("bare ASGI", "bench._bare_asgi:app")
DJANGO_FLOOR = Baseline("bare Django", "bench._django_floor:application")


def servers_up(baseline: Baseline) -> Callable[[Context], AbstractContextManager[None]]:
    """A setup that starts nentang, then ``baseline`` with nentang's server settings."""

    def setup(context: Context) -> AbstractContextManager[None]:
        return _servers_up(context, baseline)

    return setup


@contextmanager
def _servers_up(context: Context, baseline: Baseline) -> Iterator[None]:
    _wrk.require_wrk()
    context.facts["wrk"] = _wrk.wrk_version()
    settings = context.workdir / "server-settings.json"
    environment = _servers.child_environment(_environment(context))
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    started: list[_servers.Server] = []
    try:
        nentang_port = _servers.free_port()
        nentang = _servers.start(
            "nentang",
            [
                "nentang",
                "--port",
                str(nentang_port),
                "--workers",
                str(context.params["workers"]),
                "--settings",
                str(settings),
                *_server_arguments(context),
            ],
            environment,
            context.workdir / "nentang.log",
            nentang_port,
        )
        started.append(nentang)
        context.log(f"starting nentang on {nentang.base_url}")
        reference = _servers.wait_ready(nentang, PATH)
        if reference.status != 200 or reference.body != EXPECTED_BODY:
            raise BenchmarkError(
                f"nentang answered {PATH} with {reference.status} {reference.body[:80]!r}, "
                f"not 200 {EXPECTED_BODY!r}."
            )
        headers = [
            [name.lower(), value]
            for name, value in reference.headers
            if name.lower() not in _NOT_COPIED
        ]
        bare_environment = {
            **environment,
            "BENCH_BARE_STATUS": str(reference.status),
            "BENCH_BARE_BODY": reference.body.decode(),
            "BENCH_BARE_HEADERS": json.dumps(headers),
        }
        bare_port = _servers.free_port()
        bare = _servers.start(
            baseline.label,
            [
                "other",
                "--target",
                baseline.target,
                "--port",
                str(bare_port),
                "--settings",
                str(settings),
                "--server",
                str(context.params["server"]),
            ],
            bare_environment,
            context.workdir / "bare.log",
            bare_port,
        )
        started.append(bare)
        context.log(f"starting {baseline.label} on {bare.base_url}")
        answer = _servers.wait_ready(bare, PATH)
        _check_same(reference, answer)
        context.facts["server"] = json.loads(settings.read_text(encoding="utf-8"))
        context.facts["server"]["implementation"] = context.params["server"]
        context.facts["baseline_app"] = baseline.target
        context.facts["response"] = {
            "status": reference.status,
            "body": reference.body.decode(),
            "headers": sorted(reference.headers),
            "bytes_compared": "status, body, every header except server/date/x-request-id",
        }
        context.state["urls"] = {
            "scenario": nentang.base_url + PATH,
            "baseline": bare.base_url + PATH,
        }
        yield
        context.facts["nentang_access_log_lines"] = _count_access_lines(nentang)
    finally:
        for server in reversed(started):
            _servers.stop(server)


def _check_same(reference: _servers.Response, answer: _servers.Response) -> None:
    if (answer.status, answer.body) != (reference.status, reference.body):
        raise BenchmarkError("the baseline app does not answer like nentang; fix the baseline.")
    ours = {(k.lower(), v) for k, v in reference.headers if k.lower() not in _NOT_COPIED}
    theirs = {(k.lower(), v) for k, v in answer.headers if k.lower() not in _NOT_COPIED}
    differing = {name for name, _ in ours ^ theirs} - {"x-request-id"}
    if differing:
        raise BenchmarkError(
            f"the baseline app's headers differ from nentang's: {', '.join(sorted(differing))}."
        )


def _count_access_lines(server: _servers.Server) -> int:
    try:
        with server.log_path.open(encoding="utf-8", errors="replace") as log:
            return sum(1 for line in log if '"logger": "nentang.access"' in line)
    except OSError:
        return 0


def _load(context: Context, url: str, duration: str) -> _wrk.WrkResult:
    return _wrk.run(
        url,
        threads=int(context.params["threads"]),
        connections=int(context.params["connections"]),
        duration=duration,
    )


def _measure(context: Context, kind: str) -> Sample:
    url: str = context.state["urls"][kind]
    result = _load(context, url, str(context.params["duration"]))
    if result.non_2xx:
        raise BenchmarkError(
            f"{url} gave {result.non_2xx} non-2xx answers during the run; the numbers are void."
        )
    details: dict[str, int | float | str] = {
        f"latency_{name}_ms": round(value, 3) for name, value in result.latency_ms.items()
    }
    details["requests"] = result.requests
    details["errors"] = result.errors
    return Sample(value=result.requests_per_second, details=details)


def _scenario(context: Context) -> Sample:
    return _measure(context, "scenario")


def _baseline(context: Context) -> Sample:
    return _measure(context, "baseline")


def _warmup(context: Context) -> None:
    duration = str(context.params["warmup"])
    for kind in ("scenario", "baseline"):
        _load(context, context.state["urls"][kind], duration)


def _latencies(scenario: Mapping[str, float], baseline: Mapping[str, float]) -> str:
    def pair(details: Mapping[str, float]) -> str:
        return f"{details.get('latency_p50_ms', 0):.3g}/{details.get('latency_p99_ms', 0):.3g} ms"

    return f"p50/p99 {pair(scenario)} vs {pair(baseline)}"


PARAMS = {
    "duration": Param("10s", "wrk duration of each measurement"),
    "warmup": Param("3s", "wrk duration of the warm-up of each server"),
    "connections": Param(64, "wrk connections (-c)"),
    "threads": Param(1, "wrk threads (-t)"),
    "workers": Param(2, "server worker processes, the same for both"),
    "server": Param("granian", "granian (as nentang serve runs it) or uvicorn"),
    "server_options": Param(
        "",
        "Granian settings applied to both servers, e.g. "
        "loop=uvloop,runtime_threads=2,backpressure=64,http1.pipeline_flush=true",
    ),
}

HTTP_FLOOR = register(
    Benchmark(
        name="http-floor",
        description="GET /api/v1/ping through the full nentang stack vs a bare ASGI app",
        unit="req/s",
        target=0.5,
        higher_is_better=True,
        scenario=_scenario,
        baseline=_baseline,
        scenario_label="nentang",
        baseline_label=BARE_ASGI.label,
        setup=servers_up(BARE_ASGI),
        warmup=_warmup,
        repeats=3,
        packages=("uvloop", "rloop"),
        params=PARAMS,
        summary_details=_latencies,
    )
)

# For information: the same scenario against Django itself (no middleware, one async
# view), to tell Django's own per-request cost from what nentang adds on top of it.
HTTP_FLOOR_DJANGO = register(
    Benchmark(
        name="http-floor-django",
        description="GET /api/v1/ping through the full nentang stack vs a bare Django view",
        unit="req/s",
        target=0.5,
        higher_is_better=True,
        scenario=_scenario,
        baseline=_baseline,
        scenario_label="nentang",
        baseline_label=DJANGO_FLOOR.label,
        setup=servers_up(DJANGO_FLOOR),
        warmup=_warmup,
        repeats=3,
        packages=("uvloop", "rloop"),
        params=PARAMS,
        summary_details=_latencies,
    )
)
