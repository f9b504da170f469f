"""nentang benchmarks: each one measures a scenario and its baseline in the same run.

Run ``python -m bench --list`` to see them and ``python -m bench <name>`` to run one.
A new benchmark is a module ``bench/<name>.py`` that calls :func:`register`::

    from bench import Benchmark, Context, Sample, register

    def scenario(context: Context) -> Sample: ...
    def baseline(context: Context) -> Sample: ...

    register(Benchmark(name="my-thing", description="…", unit="ops/s", target=0.5,
                       scenario=scenario, baseline=baseline, baseline_label="peer"))
"""

from bench._api import (
    Benchmark,
    BenchmarkError,
    Context,
    Param,
    ParamValue,
    Sample,
    register,
    registered,
    unregister,
)

__all__ = [
    "Benchmark",
    "BenchmarkError",
    "Context",
    "Param",
    "ParamValue",
    "Sample",
    "register",
    "registered",
    "unregister",
]
