"""``package_search`` at 100,000 datasets (the issue: "CKAN users report seconds": 1 s for
1,000 rows, 43 s with tracking on), against Datasette's full-text search with facets over
the same catalogue table.

One SQLite file (WAL) is built once per size (cached): a migrated nentang database with
N published datasets (``bench/_opendata_catalogue.py``: 60 organisations, the demo's
themes, tags and Vietnamese titles, one resource each) and their search index. nentang
serves it (``nentang serve``, ``/api/3/action/package_search``, what every CKAN client
calls); Datasette serves a copy, immutable, in which an FTS5 index over the datasets'
title and notes (``remove_diacritics 2``: folded matching, as ours) has been added — its
``_search`` with ``_facet``s is the nearest thing it has to a catalogue search.

* ``opendata-package-search`` — a broad query ("chất lượng không khí", a quarter of the
  catalogue matches), 20 rows ranked, facets by organisation, theme, format and licence
  (Datasette: organisation, licence, format; its facet time limit of 200 ms kept, a timed
  out facet counts as an error);
* ``opendata-package-search-narrow`` — a query naming a place ("không khí Đà Nẵng",
  1,956 matches), the same facets.

Datasette: ``python3 -m venv /tmp/ds && /tmp/ds/bin/pip install datasette``, then
``--datasette /tmp/ds/bin/datasette`` (or ``$DATASETTE``).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._servers import child_environment
from bench.opendata import _measure, _summary, _version, served
from nentang.opendata.catalogue_search import FTS

ROOT = Path(__file__).resolve().parent.parent
PARAMS = {
    "datasets": Param(100_000, "datasets in the catalogue"),
    "requests": Param(30, "requests per measurement"),
    "datasette": Param(os.environ.get("DATASETTE", ""), "path of the datasette executable"),
}
FACETS = ["organization", "groups", "res_format", "license_id"]


def _build(path: Path, count: int, context: Context) -> None:
    env = child_environment(
        {
            "NENTANG_DATABASE_URL": f"sqlite:///{path}",
            "NENTANG_HOME": str(path.parent / "home"),
            "PYTHONPATH": str(ROOT),
        }
    )
    nentang = str(Path(sys.executable).with_name("nentang"))
    context.log(f"migrating {path.name}")
    subprocess.run([nentang, "manage", "migrate", "-v", "0"], env=env, check=True)
    context.log(f"loading {count:,} datasets")
    code = f"from bench._opendata_catalogue import build; build({count})"
    subprocess.run([nentang, "manage", "shell", "-c", code], env=env, check=True, cwd=ROOT)
    connection = sqlite3.connect(path)
    # One segment, as the 'rebuild' of Datasette's copy below (bulk inserts leave many).
    connection.execute(f"INSERT INTO {FTS}({FTS}) VALUES ('optimize')")  # noqa: S608 - a constant
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def _datasette_copy(database: Path, copy: Path) -> None:
    """The same file, with the FTS5 index Datasette's ``_search`` reads."""
    partial = copy.with_suffix(".partial")
    shutil.copyfile(database, partial)
    connection = sqlite3.connect(partial)
    connection.executescript(
        """
        CREATE VIRTUAL TABLE "opendata_dataset_fts" USING fts5(
            title, notes, content="opendata_dataset", content_rowid="id",
            tokenize='unicode61 remove_diacritics 2');
        INSERT INTO "opendata_dataset_fts"("opendata_dataset_fts") VALUES ('rebuild');
        CREATE INDEX IF NOT EXISTS "bench_formats" ON "opendata_dataset" ("formats");
        """
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()
    partial.rename(copy)


@contextmanager
def _setup(context: Context) -> Iterator[None]:
    count = int(context.params["datasets"])
    datasette = str(context.params["datasette"]) or shutil.which("datasette") or ""
    if not datasette or not Path(datasette).exists():
        raise BenchmarkError("Datasette is not installed: pass --datasette PATH.")
    cache = Path(os.environ.get("NENTANG_BENCH_CACHE", "/tmp")) / f"nt_opendata_search_fts_{count}"  # noqa: S108 - a cache of generated data
    database = cache / "nentang.sqlite3"
    if not database.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / "building.sqlite3"
        partial.unlink(missing_ok=True)
        _build(partial, count, context)
        partial.rename(database)
    copy = cache / "datasette.sqlite3"
    if not copy.exists():
        _datasette_copy(database, copy)
    context.facts.update({"datasets": count, "datasette": _version(datasette)})
    with served(context, database=database, copy=copy, home=cache / "home",
                datasette=datasette) as (ours, theirs):  # fmt: skip
        context.state.update(
            {
                "ours": f"{ours}/api/3/action/package_search",
                "theirs": f"{theirs}/datasette/opendata_dataset.json",
            }
        )
        yield


Body = dict[str, Any]


def _ours(q: str) -> Callable[[Context], Sample]:
    query = {"q": q, "rows": "20", "facet.field": json.dumps(FACETS), "facet.limit": "50"}

    def check(body: Body) -> bool:
        result = body.get("result") or {}
        return (
            bool(body.get("success"))
            and len(result.get("results", [])) == 20
            and set(result.get("facets", {})) == set(FACETS)
        )

    def measure(context: Context) -> Sample:
        url = f"{context.state['ours']}?{urllib.parse.urlencode(query)}"
        return _measure(context, url, check)

    return measure


def _theirs(q: str) -> Callable[[Context], Sample]:
    query = [("_search", q), ("_size", "20"), ("_facet", "organisation_id"),
             ("_facet", "licence_id"), ("_facet", "formats")]  # fmt: skip

    def check(body: Body) -> bool:
        results = body.get("facet_results", {})
        results = results.get("results", results) if isinstance(results, dict) else {}
        return (
            len(body.get("rows", [])) == 20
            and not body.get("facets_timed_out")
            and len(results) == 3
        )

    def measure(context: Context) -> Sample:
        url = f"{context.state['theirs']}?{urllib.parse.urlencode(query)}"
        return _measure(context, url, check)

    return measure


SCENARIOS = (
    ("opendata-package-search", "a broad query (a quarter of the catalogue), 20 rows, 4 facets",
     "chất lượng không khí"),
    ("opendata-package-search-narrow", "a query naming a place (about 2,000 matches), facets",
     "không khí Đà Nẵng"),
)  # fmt: skip

for _name, _description, _q in SCENARIOS:
    register(
        Benchmark(
            name=_name,
            description=f"package_search at 100,000 datasets: {_description} vs Datasette",
            unit="requests/s",
            target=2,
            higher_is_better=True,
            scenario=_ours(_q),
            baseline=_theirs(_q),
            baseline_label="Datasette",
            params=PARAMS,
            setup=_setup,
            repeats=3,
            summary_details=_summary,  # type: ignore[arg-type]
        )
    )
