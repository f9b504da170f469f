"""The `nentang` command as a user runs it: real processes, a real server, real HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.processes import Server, nentang_env, run_nentang, start_server, stop_server

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NENTANG_DEBUG", "perhaps"),
        ("NENTANG_DATABASE_URL", "oracle://db/x"),
        ("NENTANG_BASE_URL", "not a url"),
        ("NENTANG_MAX_BODY_BYTES", "ten"),
    ],
)
@pytest.mark.parametrize("command", ["check", "serve", "demo", "migrate"])
def test_a_malformed_setting_stops_with_one_sentence(
    tmp_path: Path, variable: str, value: str, command: str
) -> None:
    env = nentang_env(tmp_path / "home", "sqlite:///x.sqlite3", **{variable: value})
    result = run_nentang(command, env=env, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert variable in lines[0]


def test_an_unreachable_database_is_one_sentence(tmp_path: Path) -> None:
    env = nentang_env(tmp_path / "home", "postgresql://nobody@127.0.0.1:1/none")
    result = run_nentang("migrate", env=env, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "database is not reachable" in result.stderr
    assert "NENTANG_DATABASE_URL" in result.stderr


def test_manage_passes_commands_through(tmp_path: Path, fresh_database_url: str) -> None:
    env = nentang_env(tmp_path / "home", fresh_database_url)
    result = run_nentang("manage", "showmigrations", "kernel", env=env)
    assert result.returncode == 0, result.stderr
    assert "[ ] 0001_initial" in result.stdout


@pytest.fixture
def served(tmp_path: Path, migrated_database_url: str) -> Iterator[Server]:
    env = nentang_env(tmp_path / "home", migrated_database_url)
    server = start_server(
        env, "--workers", "2", "--no-task-worker", log_path=tmp_path / "server.log"
    )
    try:
        yield server
    finally:
        stop_server(server)


def test_served_platform_answers_the_done_when_urls(served: Server) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        ready = http.get("/readyz")
        assert ready.status_code == 200
        assert ready.json()["checks"] == {"database": "ok", "migrations": "ok", "queues": "ok"}

        home = http.get("/")
        assert home.status_code == 200
        assert 'lang="vi"' in home.text

        docs = http.get("/api/v1/docs")
        assert docs.status_code == 200
        assert "/api/v1/addresses/provinces/{code}" in docs.text  # rendered on the server
        assert "cdn." not in docs.text

        # Without NENTANG_BASE_URL the served address is the base URL, named localhost
        # (browsers refuse an IP address as a passkey's relying party).
        port = served.url.rsplit(":", 1)[1]
        issuer = http.get("/.well-known/openid-configuration").json()["issuer"]
        assert issuer == f"http://localhost:{port}"

        spec = http.get("/api/v1/openapi.json").json()
        assert spec["openapi"].startswith("3.1")

        ping = http.get("/api/v1/ping", headers={"X-Request-ID": "trace-me-0001"})
        assert ping.json() == {"status": "ok"}
        assert ping.headers["x-request-id"] == "trace-me-0001"

        metrics = http.get("/metrics").text
        assert 'nentang_http_requests_total{method="GET",route="/api/v1/ping",status="200"}' in (
            metrics
        )
        assert "nentang_http_request_duration_seconds_bucket" in metrics
        assert "nentang_outbox_backlog" in metrics
        assert "nentang_task_queue_depth" in metrics

    access = [json.loads(line) for line in served.log_lines() if line.startswith("{")]
    traced = [entry for entry in access if entry.get("request_id") == "trace-me-0001"]
    assert traced
    assert traced[0]["path"] == "/api/v1/ping"
    assert traced[0]["status"] == 200


def test_served_errors_are_problems_never_500(served: Server) -> None:
    with httpx.Client(base_url=served.url, timeout=10) as http:
        unknown = http.get("/api/v1/nothing-here")
        assert unknown.status_code == 404
        assert unknown.headers["content-type"].startswith("application/problem+json")

        wrong = http.put("/api/v1/ping")
        assert wrong.status_code == 405
        assert wrong.json()["code"] == "method_not_allowed"

        big = http.post("/api/v1/ping", content=b"x" * (10 * 1024 * 1024 + 1))
        assert big.status_code == 413
        assert big.json()["code"] == "payload_too_large"

        def chunks() -> Iterator[bytes]:
            for _ in range(11):
                yield b"y" * (1024 * 1024)

        streamed = http.post("/api/v1/ping", content=chunks())
        assert streamed.status_code == 413
        assert streamed.json()["code"] == "payload_too_large"

        html_404 = http.get("/no-such-page")
        assert html_404.status_code == 404
        assert html_404.headers["content-type"].startswith("text/html")


def test_readyz_is_503_until_migrations_are_applied(
    tmp_path: Path, fresh_database_url: str
) -> None:
    env = nentang_env(tmp_path / "home", fresh_database_url)
    server = start_server(env, "--no-migrate", "--no-task-worker", log_path=tmp_path / "s.log")
    try:
        response = httpx.get(server.url + "/readyz", timeout=10)
        assert response.status_code == 503
        assert "unapplied" in response.json()["checks"]["migrations"]
        assert httpx.get(server.url + "/healthz", timeout=10).status_code == 200
    finally:
        stop_server(server)


def test_check_fails_before_migrate_and_passes_after(
    tmp_path: Path, fresh_database_url: str
) -> None:
    """On a fresh database: `nentang check` names the unapplied migrations, Django's own
    `manage migrate` applies them (`nentang migrate` builds the suite's template database),
    and the check passes. One migration run: each costs a core ~10 s."""
    env = nentang_env(tmp_path / "home", fresh_database_url)
    before = run_nentang("check", env=env)
    assert before.returncode == 1
    assert "nentang.E002" in before.stderr
    result = run_nentang("manage", "migrate", "--no-input", env=env)
    assert result.returncode == 0, result.stderr
    after = run_nentang("check", env=env)
    assert after.returncode == 0, after.stderr
    assert "all checks passed" in after.stdout
