"""The environment reader: defaults, parsing, and one clear sentence per mistake."""

from __future__ import annotations

import ipaddress
import re
import stat
from pathlib import Path
from typing import Any

import pytest

from nentang.config.env import VARIABLES, ConfigError, read
from nentang.config.settings import _database as settings_database

ROOT = Path(__file__).resolve().parents[2]


def env(tmp_path: Path, **values: str) -> dict[str, str]:
    return {"NENTANG_HOME": str(tmp_path / "home"), **values}


def test_defaults_give_sqlite_in_home_and_a_generated_secret(tmp_path: Path) -> None:
    config = read(env(tmp_path))
    assert config.home == (tmp_path / "home").resolve()
    assert config.database.engine == "sqlite"
    assert config.database.name == str(config.home / "nentang.sqlite3")
    key_file = config.home / "secret_key"
    assert key_file.read_text().strip() == config.secret_key
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert read(env(tmp_path)).secret_key == config.secret_key  # generated once
    assert config.debug is False
    assert config.base_url == "http://localhost:8000"
    assert "127.0.0.1" in config.allowed_hosts
    assert config.max_body_bytes == 10 * 1024 * 1024


def test_postgres_url_is_split_into_parts(tmp_path: Path) -> None:
    config = read(
        env(
            tmp_path,
            NENTANG_DATABASE_URL="postgresql://nt:p%40ss@db.example:6543/nentang?sslmode=require",
        )
    )
    db = config.database
    assert (db.engine, db.name, db.user, db.password, db.host, db.port) == (
        "postgresql",
        "nentang",
        "nt",
        "p@ss",
        "db.example",
        "6543",
    )
    assert db.options == {"sslmode": "require"}


def test_base_url_host_is_allowed(tmp_path: Path) -> None:
    config = read(env(tmp_path, NENTANG_BASE_URL="https://dichvucong.example.vn/"))
    assert config.base_url == "https://dichvucong.example.vn"
    assert "dichvucong.example.vn" in config.allowed_hosts


def test_trusted_proxies_parse_and_default_to_none(tmp_path: Path) -> None:
    assert read(env(tmp_path)).trusted_proxies == ()
    config = read(env(tmp_path, NENTANG_TRUSTED_PROXIES="10.0.0.0/8,fd00::/8"))
    assert config.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("fd00::/8"),
    )


def test_networks_parse(tmp_path: Path) -> None:
    config = read(env(tmp_path, NENTANG_OUTBOUND_ALLOW_NETWORKS="127.0.0.0/8, ::1/128"))
    assert config.outbound_allow_networks == (
        ipaddress.ip_network("127.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("NENTANG_DEBUG", "maybe", "expected true or false"),
        ("NENTANG_DATABASE_URL", "mysql://x/y", "expected a sqlite:/// or postgresql:// URL"),
        ("NENTANG_DATABASE_URL", "postgresql://host:5432/", "names no database"),
        ("NENTANG_DATABASE_URL", "postgresql://host:99999999/x", "malformed port"),
        ("NENTANG_DATABASE_URL", "sqlite://host/x", "has no host"),
        ("NENTANG_BASE_URL", "ftp://x", "http:// or https://"),
        ("NENTANG_BASE_URL", "http://x/?a=1", "query or fragment"),
        ("NENTANG_MAX_BODY_BYTES", "10MB", "whole number"),
        ("NENTANG_MAX_BODY_BYTES", "0", "greater than zero"),
        ("NENTANG_LOG_FORMAT", "xml", "json or text"),
        ("NENTANG_LOG_LEVEL", "LOUD", "expected one of"),
        ("NENTANG_OUTBOUND_ALLOW_NETWORKS", "localhost", "not an IP network"),
        ("NENTANG_TRUSTED_PROXIES", "proxy.internal", "not an IP network"),
        ("NENTANG_SECRET_KEY", "short", "at least 32"),
        ("NENTANG_WEBHOOK_MAX_ATTEMPTS", "-3", "greater than zero"),
        ("NENTANG_IDEMPOTENCY_TTL_HOURS", "1.5", "whole number"),
    ],
)
def test_malformed_values_name_the_variable(
    tmp_path: Path, name: str, value: str, fragment: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        read(env(tmp_path, **{name: value}))
    assert caught.value.variable == name
    assert str(caught.value).startswith(f"{name}: ")
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)


def test_unwritable_home_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ConfigError, match=r"^NENTANG_HOME: cannot create"):
        read({"NENTANG_HOME": str(blocker / "home")})


def test_every_variable_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table_rows = set(re.findall(r"^\| `(NENTANG_[A-Z_]+)` \|", readme, flags=re.MULTILINE))
    declared = {variable.name for variable in VARIABLES}
    assert declared == table_rows, "README configuration table and env.VARIABLES disagree"


def test_no_module_reads_the_environment_behind_the_reader() -> None:
    """Only config/env.py reads NENTANG_* variables (one reader, one table)."""
    offenders = []
    for path in (ROOT / "src" / "nentang").rglob("*.py"):
        if path.name == "env.py" or "tests" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"environ(\.get)?\s*[\[(]\s*[\"']NENTANG_", text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_sqlite_folder_is_created(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "db.sqlite3"
    config = read(env(tmp_path, NENTANG_DATABASE_URL=f"sqlite:///{target}"))
    assert config.database.name == str(target)
    assert target.parent.is_dir()


def test_metrics_default_to_loopback_only_and_no_token(tmp_path: Path) -> None:
    config = read(env(tmp_path))
    assert [str(n) for n in config.metrics_allow_networks] == ["127.0.0.0/8", "::1/128"]
    assert config.metrics_token == ""
    assert read(env(tmp_path, NENTANG_METRICS_ALLOW_NETWORKS="")).metrics_allow_networks == ()
    with pytest.raises(ConfigError, match=r"^NENTANG_METRICS_TOKEN: must be at least 32"):
        read(env(tmp_path, NENTANG_METRICS_TOKEN="short"))


def test_prepared_statements_are_a_database_url_option(tmp_path: Path) -> None:
    def options(url: str) -> dict[str, Any]:
        config = read({"NENTANG_HOME": str(tmp_path), "NENTANG_DATABASE_URL": url})
        return dict(settings_database(config.database)["OPTIONS"])

    base = "postgresql://nt@127.0.0.1:5432/nentang"
    assert options(base)["prepare_threshold"] == 2**31 - 1  # asked for by fixed_cursor only
    off = options(base + "?prepared_statements=false")
    assert "prepare_threshold" not in off  # Django's default: None, nothing prepared
    assert "prepared_statements" not in off  # not passed on to psycopg
