"""``python -m bench <name> [options]`` runs one benchmark; ``--list`` lists them."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from bench._api import Benchmark, BenchmarkError, ParamValue, registered
from bench._harness import RESULTS_DIR, discover, run


def _bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {raw!r}")


def _parser(benchmarks: dict[str, Benchmark]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run a nentang benchmark and its baseline in the same run.",
    )
    parser.add_argument("--list", action="store_true", help="List the benchmarks and exit.")
    commands = parser.add_subparsers(dest="name", metavar="NAME")
    for name, benchmark in benchmarks.items():
        sub = commands.add_parser(name, help=benchmark.description)
        sub.add_argument(
            "--repeats",
            type=int,
            default=benchmark.repeats,
            help=f"Measurements of each side (default {benchmark.repeats}).",
        )
        sub.add_argument(
            "--results-dir",
            type=Path,
            default=RESULTS_DIR,
            help="Where the JSON result goes (default bench/results).",
        )
        sub.add_argument(
            "--check",
            action="store_true",
            help="Exit with status 1 when the ratio misses the target.",
        )
        for key, param in benchmark.params.items():
            kind = _bool if isinstance(param.default, bool) else type(param.default)
            sub.add_argument(
                "--" + key.replace("_", "-"),
                dest=f"param_{key}",
                type=kind,
                default=param.default,
                help=f"{param.help} (default {param.default!r})",
            )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    discover()
    benchmarks = registered()
    parser = _parser(benchmarks)
    args = parser.parse_args(argv)
    if args.list:
        for name, benchmark in benchmarks.items():
            comparison = "≥" if benchmark.higher_is_better else "≤"
            print(
                f"{name}: {benchmark.description} "
                f"[{benchmark.unit}, ratio {comparison} {benchmark.target:g}]"
            )
        return 0
    if args.name is None:
        parser.print_usage(sys.stderr)
        print("python -m bench: name a benchmark, or use --list.", file=sys.stderr)
        return 2
    benchmark = benchmarks[args.name]
    params: dict[str, ParamValue] = {key: getattr(args, f"param_{key}") for key in benchmark.params}
    print(f"{benchmark.name}: {benchmark.description}", file=sys.stderr, flush=True)
    try:
        outcome = run(benchmark, params, repeats=args.repeats, results_dir=args.results_dir)
    except BenchmarkError as error:
        print(f"{benchmark.name}: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{benchmark.name}: interrupted.", file=sys.stderr)
        return 130
    print(f"  result: {outcome.path}", file=sys.stderr)
    print(outcome.summary, flush=True)
    if args.check and not outcome.result["meets_target"]:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
