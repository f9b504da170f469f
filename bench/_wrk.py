"""The HTTP load generator of the benchmarks: Debian's ``wrk``, run and parsed."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass, field

from bench._api import BenchmarkError

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_LATENCY = re.compile(r"^\s*(50|75|90|99)%\s+([\d.]+)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+([\d.]+)\s*$", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m|h),", re.MULTILINE)
_NON_2XX = re.compile(r"^\s*Non-2xx or 3xx responses:\s+(\d+)\s*$", re.MULTILINE)
_SOCKET = re.compile(
    r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", re.MULTILINE
)
_AVERAGE = re.compile(r"^\s*Latency\s+([\d.]+)(us|ms|s|m|h)", re.MULTILINE)


@dataclass(frozen=True)
class WrkResult:
    requests_per_second: float
    requests: int
    duration_s: float
    latency_ms: dict[str, float]  # "avg", "p50", "p75", "p90", "p99"
    non_2xx: int = 0
    socket_errors: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def require_wrk() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise BenchmarkError(
            "the load generator wrk is not installed; install it with "
            "`apt-get install -y wrk` and run the benchmark again."
        )
    return path


def wrk_version() -> str:
    done = subprocess.run(
        [require_wrk(), "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    first = (done.stdout or done.stderr).strip().splitlines()
    return first[0] if first else "unknown"


def parse(output: str) -> WrkResult:
    rate = _RATE.search(output)
    total = _TOTAL.search(output)
    if rate is None or total is None:
        raise BenchmarkError(f"wrk printed no result: {output.strip()[:200]!r}.")
    latency = {f"p{m[1]}": float(m[2]) * _UNITS[m[3]] for m in _LATENCY.finditer(output)}
    average = _AVERAGE.search(output)
    if average is not None:
        latency["avg"] = float(average[1]) * _UNITS[average[2]]
    non_2xx = _NON_2XX.search(output)
    sockets = _SOCKET.search(output)
    socket_errors = {}
    if sockets is not None:
        socket_errors = {
            name: int(value)
            for name, value in zip(
                ("connect", "read", "write", "timeout"), sockets.groups(), strict=True
            )
        }
    return WrkResult(
        requests_per_second=float(rate[1]),
        requests=int(total[1]),
        duration_s=float(total[2]) * _UNITS[total[3]] / 1000.0,
        latency_ms=latency,
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=socket_errors,
    )


def run(
    url: str,
    *,
    threads: int,
    connections: int,
    duration: str,
    timeout: str = "5s",
) -> WrkResult:
    """One wrk run with latency percentiles. Loopback only: the URL must be 127.0.0.1."""
    if not url.startswith("http://127.0.0.1:"):
        raise BenchmarkError(f"benchmarks load loopback only, not {url}.")
    command = [
        require_wrk(),
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}",
        f"--timeout={timeout}",
        "--latency",
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"wrk failed ({done.returncode}): {done.stderr.strip()[:200]}.")
    return parse(done.stdout)
