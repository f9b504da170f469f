"""The import contracts of pyproject.toml cover every context and mean what they say.

Each contract is proved by injecting imports it forbids into a copy of the source and
running import-linter on the copy: the contract must come out BROKEN naming exactly the
injected import. A context missing from the contracts fails before that. The scaffold
(scripts/new_context.py) is proved the same way: a context it creates in a copy of the
repository passes the gate's static checks.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "nentang"
BIN = Path(sys.executable).parent


def _contracts() -> dict[str, dict[str, object]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return {c["id"]: c for c in config["tool"]["importlinter"]["contracts"]}


def _contexts() -> list[str]:
    return [app.rsplit(".", 1)[-1] for app in settings.NENTANG_APPS]


def test_every_installed_context_is_in_the_layers_and_has_an_entry_contract() -> None:
    contracts = _contracts()
    layers = contracts["layers"]["layers"]
    assert isinstance(layers, list)
    business = [name.strip() for name in layers[1].split(":")]

    assert layers[0] == "config"
    assert layers[2:] == ["web", "kernel"]
    assert sorted(business) == sorted(c for c in _contexts() if c not in ("kernel", "web"))
    missing = [c for c in business if f"{c}-entry" not in contracts]
    assert missing == []


def test_every_nentang_package_is_a_context_or_the_configuration() -> None:
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}

    assert packages == {*_contexts(), "config"}


def _copy_source(target: Path) -> Path:
    shutil.copytree(
        ROOT / "src",
        target / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "data"),
    )
    shutil.copy(ROOT / "pyproject.toml", target / "pyproject.toml")
    shutil.copy(ROOT / "conftest.py", target / "conftest.py")
    return target


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:  # another file system
        shutil.copy2(source, target)


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "lint-imports"), "--no-cache", "--config", str(root / "pyproject.toml")],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root / "src")},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


# (contract id, module that gets the import, module it imports): one per rule, the
# first two of each kind being the ones a review found passing the old contracts.
INJECTIONS = [
    ("identity-entry", "nentang.addresses.selectors", "nentang.identity.oidc.keys"),
    ("identity-entry", "nentang.audit.services.entries", "nentang.identity.auth"),
    ("identity-entry", "nentang.audit.views.soc", "nentang.identity.models"),
    ("audit-entry", "nentang.identity.services.accounts", "nentang.audit.models"),
    ("audit-entry", "nentang.identity.views.account", "nentang.audit.tlog"),
    ("addresses-entry", "nentang.identity.services.people", "nentang.addresses.models"),
    ("domain-without-ui", "nentang.identity.services.login", "nentang.identity.oidc.views"),
    ("domain-without-ui", "nentang.audit.selectors.security", "nentang.audit.views.soc"),
    ("domain-without-ui", "nentang.identity.models.people", "nentang.identity.api"),
    ("domain-without-ui", "nentang.addresses.selectors", "nentang.addresses.admin"),
    ("layers", "nentang.kernel.money", "nentang.identity.services"),
    ("layers", "nentang.web.components", "nentang.audit.selectors"),
    ("layers", "nentang.identity.validators", "nentang.config.env"),
]


def _module_file(root: Path, module: str) -> Path:
    base = root / "src" / Path(*module.split("."))
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


def _sections(output: str, contracts: dict[str, dict[str, object]]) -> dict[str, str]:
    """The report of each broken contract, by id (import-linter prints each broken
    contract's name as a heading, then its violations)."""
    names = {str(c["name"]): cid for cid, c in contracts.items()}
    report = output.split("Broken contracts", 1)[-1]
    positions = sorted(
        (report.find(f"\n{name}\n"), cid) for name, cid in names.items() if f"\n{name}\n" in report
    )
    sections = {}
    for index, (start, cid) in enumerate(positions):
        end = positions[index + 1][0] if index + 1 < len(positions) else len(report)
        sections[cid] = report[start:end]
    return sections


@pytest.mark.slow
def test_each_contract_breaks_on_the_imports_it_forbids(tmp_path: Path) -> None:
    root = _copy_source(tmp_path)
    assert _lint_imports(root).returncode == 0, "the unmodified copy must pass"
    for _contract, importer, imported in INJECTIONS:
        assert _module_file(root, imported).exists(), f"{imported} is not a module"
        path = _module_file(root, importer)
        path.write_text(
            path.read_text(encoding="utf-8") + f"\nimport {imported}  # injected\n",
            encoding="utf-8",
        )

    result = _lint_imports(root)

    assert result.returncode != 0
    contracts = _contracts()
    sections = _sections(result.stdout, contracts)
    assert set(sections) == {contract for contract, _, _ in INJECTIONS}, result.stdout[-3000:]
    for contract, importer, imported in INJECTIONS:
        # A direct import is reported as "importer -> imported (l.N)"; a chain as one
        # link per line, from the importer's link to the one that reaches the target.
        section = sections[contract]
        starts = re.search(rf"\b{re.escape(importer)} -> ", section)
        ends = re.search(rf" -> {re.escape(imported)}(\.\w+)* \(l\.", section)
        assert starts, f"{contract} did not report {importer} -> …:\n{section}"
        assert ends, f"{contract} did not report … -> {imported}:\n{section}"


@pytest.mark.slow
def test_a_scaffolded_context_passes_the_static_gate(tmp_path: Path) -> None:
    root = _copy_source(tmp_path)
    for name in ("src/nentang/kernel/data", "src/nentang/addresses/data"):
        shutil.copytree(ROOT / name, root / name)  # the migrations read them
    # the system checks read it (payments.E001: the fee schedule must load)
    shutil.copytree(ROOT / "src/nentang/payments/data", root / "src/nentang/payments/data")
    env = {**os.environ, "PYTHONPATH": str(root / "src"), "NENTANG_HOME": str(tmp_path / "home")}

    def run(*command: str) -> None:
        result = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, check=False, timeout=600
        )
        assert result.returncode == 0, f"{command}:\n{result.stdout[-3000:]}{result.stderr[-3000:]}"

    run(
        sys.executable, str(ROOT / "scripts/new_context.py"), "letters", "--title", "Letters",
        "--root", str(root),
    )  # fmt: skip

    package = root / "src/nentang/letters"
    assert (package / "locale/vi/LC_MESSAGES/django.mo").exists()
    assert '"nentang.letters",' in (root / "src/nentang/config/settings.py").read_text()
    run(str(BIN / "ruff"), "check", "--no-cache", str(package), str(root / "src/nentang/config"))
    run(str(BIN / "ruff"), "format", "--check", "--no-cache", str(package))
    run(str(BIN / "lint-imports"), "--no-cache", "--config", str(root / "pyproject.toml"))
    # Starting from the project's mypy cache (the gate's, kept outside the clone and named
    # by NENTANG_MYPY_CACHE; else the checkout's), mypy checks the new package and what
    # imports it (~20 s of a core) instead of the whole project and Django's stubs (~2 min).
    # Cache files are linked, not copied: mypy replaces a cache file rather than writing
    # into it, so the project's stays as it is.
    cache = Path(os.environ.get("NENTANG_MYPY_CACHE") or ROOT / ".mypy_cache")
    if cache.is_dir():
        shutil.copytree(cache, root / ".mypy_cache", copy_function=_link_or_copy)
        run(str(BIN / "mypy"), str(package))
    else:
        run(str(BIN / "mypy"), "--no-incremental", str(package))
    database = f"sqlite:///{tmp_path / 'gate.sqlite3'}"
    env["NENTANG_DATABASE_URL"] = database
    run(sys.executable, "-m", "nentang", "manage", "makemigrations", "--check", "--dry-run")
    run(
        sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--no-header",
        "--rootdir", str(root), "-c", str(root / "pyproject.toml"), str(package / "tests"),
    )  # fmt: skip
