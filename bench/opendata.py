"""Benchmarks of the open-data datastore against Datasette on the same 1,000,000-row
SQLite table (the issue's anchor: Datasette's facets time out at a million rows).

One SQLite file is built once per row count (cached under the work directory): a
nentang database (migrated) holding one datastore table of air-quality readings —
``tinh`` (50 provinces), ``tram``, ``ngay``, ``aqi``, ``pm25`` and the folded
``_full_text`` — registered as a resource's table. nentang serves it
(``nentang serve``, ``/api/3/action/datastore_search``, the CKAN action clients call);
Datasette serves a copy of the same file, immutable (``datasette serve -i``), with its
JSON API. Both get the same index on ``tinh``. Four scenarios, each its own benchmark,
requests sent one at a time by the same client (after two untimed ones to each server),
requests/s and p50/p99:

* ``opendata-filter``   — rows of one province (100 rows + total);
* ``opendata-fulltext`` — rows having two words, from the table's FTS5 index (the one a
  load builds, ``opendata.full_text``; Datasette finds it too and answers ``_search``
  from it), nentang's folded ``q``;
* ``opendata-facet``    — counts per province over the whole table (``_facet=tinh`` vs
  our ``facets``); Datasette's default facet time limit (200 ms) is kept, and a timed
  out facet is counted as an error;
* ``opendata-deep-page`` — 100 rows starting at row 900,000.

Datasette is not a dependency of nentang: install it in a separate environment
(``python3 -m venv /tmp/ds && /tmp/ds/bin/pip install datasette``) and pass its
executable with ``--datasette`` (or ``$DATASETTE``).
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench._api import Benchmark, BenchmarkError, Context, Param, Sample, register
from bench._servers import Server, child_environment, fetch, free_port, stop, wait_ready
from nentang.opendata import full_text

PROVINCES = [
    "Hà Nội", "Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Huế", "Lạng Sơn", "Cao Bằng",
    "Lào Cai", "Điện Biên", "Lai Châu", "Sơn La", "Tuyên Quang", "Thái Nguyên", "Phú Thọ",
    "Bắc Ninh", "Hưng Yên", "Ninh Bình", "Quảng Ninh", "Thanh Hóa", "Nghệ An", "Hà Tĩnh",
    "Quảng Trị", "Quảng Ngãi", "Gia Lai", "Khánh Hòa", "Lâm Đồng", "Đắk Lắk", "Đồng Nai",
    "Tây Ninh", "Vĩnh Long", "Đồng Tháp", "Cà Mau", "An Giang", "Bình Dương", "Long An",
    "Bến Tre", "Trà Vinh", "Sóc Trăng", "Bạc Liêu", "Kiên Giang", "Hậu Giang", "Bình Phước",
    "Bình Thuận", "Ninh Thuận", "Phú Yên", "Bình Định", "Quảng Nam", "Kon Tum", "Đắk Nông",
]  # fmt: skip
RESOURCE = "0190c0de-0000-7000-8000-000000000001"
PARAMS = {
    "rows": Param(1_000_000, "rows of the table"),
    "requests": Param(30, "requests per measurement"),
    "datasette": Param(os.environ.get("DATASETTE", ""), "path of the datasette executable"),
}


def _fold(text: str) -> str:
    import unicodedata

    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _build(path: Path, rows: int, context: Context) -> None:
    env = child_environment(
        {"NENTANG_DATABASE_URL": f"sqlite:///{path}", "NENTANG_HOME": str(path.parent / "home")}
    )
    nentang = str(Path(sys.executable).with_name("nentang"))
    context.log(f"migrating {path.name}")
    subprocess.run([nentang, "manage", "migrate", "-v", "0"], env=env, check=True)
    context.log(f"loading {rows:,} rows")
    rng = random.Random(20260301)
    connection = sqlite3.connect(path)
    connection.execute(
        f'CREATE TABLE "{RESOURCE}" ("_id" integer PRIMARY KEY, "_full_text" text, "tinh" TEXT, '
        '"tram" TEXT, "ngay" TEXT, "aqi" INTEGER, "pm25" REAL)'
    )

    def generate() -> Iterator[tuple[object, ...]]:
        for n in range(1, rows + 1):
            tinh = PROVINCES[rng.randrange(50)]
            tram = f"Trạm {rng.randrange(1, 40)} {tinh}"
            ngay = f"2025-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}"
            yield (
                n,
                _fold(f"{tinh} {tram}"),
                tinh,
                tram,
                ngay,
                rng.randrange(10, 300),
                round(rng.uniform(3, 150), 1),
            )

    insert = f'INSERT INTO "{RESOURCE}" VALUES (?, ?, ?, ?, ?, ?, ?)'  # noqa: S608 - a constant
    connection.executemany(insert, generate())
    connection.execute(f'CREATE INDEX "tinh_idx" ON "{RESOURCE}" ("tinh")')
    context.log("building the full-text index")
    for statement in full_text.index_statements("sqlite", RESOURCE, lambda n: f'"{n}"'):
        connection.execute(statement)
    now = "2026-03-01 00:00:00"
    fields = [{"id": n, "type": t, "kind": k, "info": {}} for n, t, k in (
        ("tinh", "text", "text"), ("tram", "text", "text"), ("ngay", "date", "date"),
        ("aqi", "int", "int"), ("pm25", "numeric", "dec_en"))]  # fmt: skip
    org = connection.execute(
        "INSERT INTO opendata_organisation (public_id, name, title, description, agency_code, "
        "province_code, created_at) VALUES (?, 'bench', 'Bench', '', 'bench', '', ?)",
        ("0190c0de00007000800000000000000a", now),
    ).lastrowid
    dataset = connection.execute(
        "INSERT INTO opendata_dataset (public_id, name, title, notes, organisation_id, "
        "licence_id, contact_name, contact_email, spatial_codes, province_codes, frequency, "
        "version, state, private, extras, created_at, modified_at, formats) VALUES "
        "(?, 'bench', 'Bench', '', ?, 'cc-by-4.0', '', '', '[]', '', 'irregular', '', "
        "'published', 0, '{}', ?, ?, 'CSV')",
        ("0190c0de00007000800000000000000b", org, now, now),
    ).lastrowid
    resource = connection.execute(
        "INSERT INTO opendata_resource (public_id, dataset_id, name, description, url, format, "
        "mimetype, sha256, encoding, stored_path, position, created_at, modified_at) VALUES "
        "(?, ?, 'Quan trắc', '', '', 'CSV', '', '', 'utf-8', '', 0, ?, ?)",
        (RESOURCE.replace("-", ""), dataset, now, now),
    ).lastrowid
    connection.execute(
        "INSERT INTO opendata_datastoretable (resource_id, table_name, fields, row_count, "
        "encoding, created_at, modified_at) VALUES (?, ?, ?, ?, 'utf-8', ?, ?)",
        (resource, RESOURCE, json.dumps(fields), rows, now, now),
    )
    connection.commit()
    connection.execute("ANALYZE")
    connection.close()


def _start(name: str, command: list[str], env: dict[str, str], port: int, log: Path) -> Server:
    with log.open("ab") as out:
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(name=name, process=process, log_path=log, port=port)


@contextmanager
def _setup(context: Context) -> Iterator[None]:
    rows = int(context.params["rows"])
    datasette = str(context.params["datasette"]) or shutil.which("datasette") or ""
    if not datasette or not Path(datasette).exists():
        raise BenchmarkError(
            "Datasette is not installed: pass --datasette PATH (see bench/opendata.py)."
        )
    cache = Path(os.environ.get("NENTANG_BENCH_CACHE", "/tmp")) / f"nt_opendata_bench_v2_{rows}"  # noqa: S108 - a cache of generated data
    database = cache / "nentang.sqlite3"
    if not database.exists():
        cache.mkdir(parents=True, exist_ok=True)
        partial = cache / "building.sqlite3"
        partial.unlink(missing_ok=True)
        _build(partial, rows, context)
        partial.rename(database)
    copy = cache / "datasette.sqlite3"
    if not copy.exists():
        shutil.copyfile(database, copy)
    context.facts.update({"rows": rows, "datasette": _version(datasette)})
    with served(context, database=database, copy=copy, home=cache / "home",
                datasette=datasette) as (ours, theirs):  # fmt: skip
        context.state.update(
            {"ours": ours, "theirs": f"{theirs}/datasette/{urllib.parse.quote(RESOURCE)}.json"}
        )
        yield


def _version(datasette: str) -> str:
    return subprocess.run(
        [datasette, "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()


@contextmanager
def served(
    context: Context, *, database: Path, copy: Path, home: Path, datasette: str
) -> Iterator[tuple[str, str]]:
    """nentang serving ``database`` and Datasette serving its immutable ``copy``, both
    on loopback until the block ends: yields their base URLs."""
    context.facts["database"] = "SQLite (WAL)"
    ours_port, theirs_port = free_port(), free_port()
    env = child_environment(
        {
            "NENTANG_DATABASE_URL": f"sqlite:///{database}",
            "NENTANG_HOME": str(home),
            "NENTANG_LOG_LEVEL": "WARNING",
        }
    )
    nentang = str(Path(sys.executable).with_name("nentang"))
    ours = _start(
        "nentang", [nentang, "serve", "--port", str(ours_port)], env, ours_port,
        context.workdir / "nentang.log",
    )  # fmt: skip
    theirs = _start(
        "datasette",
        [datasette, "serve", "-i", str(copy), "-p", str(theirs_port),
         "--setting", "num_sql_threads", "3"],
        dict(os.environ), theirs_port, context.workdir / "datasette.log",
    )  # fmt: skip
    try:
        wait_ready(ours, "/readyz")
        wait_ready(theirs, "/-/versions.json")
        yield ours.base_url, theirs.base_url
    finally:
        stop(ours)
        stop(theirs)


def _measure(context: Context, url: str, check: Callable[[dict[str, Any]], bool]) -> Sample:
    count = int(context.params["requests"])
    for _ in range(2):  # untimed: both servers' first answers (imports, page cache) apart
        fetch(url, timeout=60)
    latencies, errors = [], 0
    started = time.perf_counter()
    for _ in range(count):
        begin = time.perf_counter()
        answer = fetch(url, timeout=60)
        latencies.append((time.perf_counter() - begin) * 1000)
        try:
            ok = answer.status == 200 and check(json.loads(answer.body))
        except ValueError:
            ok = False
        errors += not ok
    elapsed = time.perf_counter() - started
    latencies.sort()
    return Sample(
        count / elapsed,
        {
            "p50_ms": round(statistics.median(latencies), 1),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 1),
            "errors": errors,
        },
    )


Body = dict[str, Any]


def _ours(query: dict[str, str], check: Callable[[Body], bool]) -> Callable[[Context], Sample]:
    def measure(context: Context) -> Sample:
        search = f"{context.state['ours']}/api/3/action/datastore_search"
        url = f"{search}?resource_id={RESOURCE}&{urllib.parse.urlencode(query)}"
        return _measure(
            context, url, lambda body: bool(body.get("success")) and check(body["result"])
        )

    return measure


def _theirs(query: dict[str, str], check: Callable[[Body], bool]) -> Callable[[Context], Sample]:
    def measure(context: Context) -> Sample:
        return _measure(
            context, f"{context.state['theirs']}?{urllib.parse.urlencode(query)}", check
        )

    return measure


def _rows(n: int) -> Callable[[Body], bool]:
    return lambda body: len(body.get("records", body.get("rows", [])) or []) == n


def _facet_ours(body: Body) -> bool:
    return len(body.get("facets", {}).get("tinh", {})) == 50


def _facet_theirs(body: Body) -> bool:
    results = body.get("facet_results", {})
    results = results.get("results", results) if isinstance(results, dict) else {}
    timed_out = bool(body.get("facets_timed_out"))
    return len(results.get("tinh", {}).get("results", [])) >= 30 and not timed_out


def _summary(scenario: dict[str, float], baseline: dict[str, float]) -> str:
    return (
        f"p50 {scenario['p50_ms']:.0f} vs {baseline['p50_ms']:.0f} ms, "
        f"p99 {scenario['p99_ms']:.0f} vs {baseline['p99_ms']:.0f} ms, "
        f"errors {scenario['errors']:.0f} vs {baseline['errors']:.0f}"
    )


SCENARIOS = (
    ("opendata-filter", "rows of one province (100 rows and the total)",
     _ours({"filters": json.dumps({"tinh": "Đà Nẵng"}), "limit": "100"}, _rows(100)),
     _theirs({"tinh": "Đà Nẵng", "_size": "100"}, _rows(100))),
    ("opendata-fulltext", "rows with two words (the same FTS5 index on both sides)",
     _ours({"q": "lao cai", "limit": "100"}, _rows(100)),
     _theirs({"_search": "lao cai", "_size": "100"}, _rows(100))),
    ("opendata-facet", "counts per province (~50 values) over the whole table",
     _ours({"facets": json.dumps(["tinh"]), "limit": "0", "facet_limit": "60"}, _facet_ours),
     _theirs({"_facet": "tinh", "_size": "0"}, _facet_theirs)),
    ("opendata-deep-page", "100 rows from row 900,000",
     _ours({"offset": "900000", "limit": "100"}, _rows(100)),
     _theirs({"_next": "900000", "_size": "100"}, _rows(100))),
)  # fmt: skip

for _name, _description, _scenario, _baseline in SCENARIOS:
    register(
        Benchmark(
            name=_name,
            description=f"datastore_search: {_description} vs Datasette on the same 1 M-row table",
            unit="requests/s",
            target=2,
            higher_is_better=True,
            scenario=_scenario,
            baseline=_baseline,
            baseline_label="Datasette",
            params=PARAMS,
            setup=_setup,
            repeats=3,
            summary_details=_summary,  # type: ignore[arg-type]
        )
    )
